using System.Globalization;
using System.Text;
using DistributedTrainer.Client.Commands;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Reports;
using Google.Protobuf;

namespace DistributedTrainer.Client.Sweeps;

/// <summary>
/// What a sweep leaves in its output directory: <c>trials.csv</c> (one row per trial: parameters, state, epochs run,
/// objective), <c>sweep.json</c> (the whole sweep), the best trial's job spec (<c>best-trial.json</c>, a job spec
/// <c>trainctl train</c> reads) and newest checkpoint (<c>best-checkpoint.tar</c>), and the plots of <see cref="SweepPlots"/>.
/// </summary>
internal static class SweepOutputs
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithIndentation());

    /// <summary>Writes every output of <paramref name="sweep"/> into <paramref name="directory"/>; returns the files written.</summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(CoordinatorConnection connection, Sweep sweep, string directory, CancellationToken cancellation)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        string csv = Path.Combine(directory, "trials.csv");
        AtomicFile.WriteAllText(csv, TrialsCsv(sweep));
        written.Add(csv);
        string whole = Path.Combine(directory, "sweep.json");
        AtomicFile.WriteAllText(whole, Formatter.Format(sweep));
        written.Add(whole);
        if (sweep.HasBestTrial)
        {
            var best = sweep.Trials[sweep.BestTrial];
            var job = await connection.Jobs.GetJobAsync(new GetJobRequest { JobId = best.JobId }, connection.Call(cancellation));
            string spec = Path.Combine(directory, "best-trial.json");
            AtomicFile.WriteAllText(spec, Formatter.Format(job.Spec));
            written.Add(spec);
            if (job.LastCheckpoint.Length > 0)
            {
                string checkpoint = Path.Combine(directory, "best-checkpoint.tar");
                var request = new DownloadCheckpointRequest { JobId = best.JobId };
                await AtomicFile.WriteAsync(checkpoint, file => ExportCommand.DownloadAsync(connection, request, file, cancellation));
                written.Add(checkpoint);
            }
        }
        written.AddRange(SweepPlots.Write(sweep, directory));
        return written;
    }

    /// <summary>trial, job_id, one column per parameter path, state, epochs_run, the objective metric, message.</summary>
    internal static string TrialsCsv(Sweep sweep)
    {
        string metric = sweep.Spec?.Objective?.Metric is { Length: > 0 } named ? named : DistributedTrainer.Sweeps.SweepObjective.DefaultMetric;
        var csv = new StringBuilder();
        var header = new List<string> { "trial", "job_id" };
        header.AddRange(sweep.Spec?.Parameters.Select(parameter => parameter.Path) ?? []);
        header.AddRange(["state", "epochs_run", metric, "message"]);
        csv.AppendLine(string.Join(',', header.Select(Quote)));
        foreach (var trial in sweep.Trials)
        {
            var row = new List<string> { trial.Number.ToString(CultureInfo.InvariantCulture), trial.JobId };
            row.AddRange(trial.Parameters.Select(parameter => DistributedTrainer.Sweeps.FieldValues.Format(parameter.Value)));
            row.Add(SweepLines.State(trial.State));
            row.Add(trial.EpochsRun.ToString(CultureInfo.InvariantCulture));
            row.Add(trial.HasObjective ? trial.Objective.ToString("R", CultureInfo.InvariantCulture) : "");
            row.Add(trial.Message);
            csv.AppendLine(string.Join(',', row.Select(Quote)));
        }
        return csv.ToString();
    }

    private static string Quote(string cell) =>
        cell.IndexOfAny([',', '"', '\n']) >= 0 ? $"\"{cell.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : cell;
}
