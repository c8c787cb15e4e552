using DistributedTrainer.Client.Commands;
using DistributedTrainer.Protos.V1;
using Grpc.Core;
using Spectre.Console;

namespace DistributedTrainer.Client.Sweeps;

/// <summary>
/// Follows a sweep to its end through WatchSweep: on a terminal a table of trials redrawn in place (Spectre.Console),
/// otherwise (or with --json, on stderr) one line per event. Returns the sweep as it ended.
/// </summary>
internal static class SweepFollower
{
    public static async Task<Sweep> FollowAsync(CoordinatorConnection connection, string sweepId, bool json, CancellationToken cancellation)
    {
        using var call = connection.Sweeps.WatchSweep(new WatchSweepRequest { SweepId = sweepId }, connection.Call(cancellation));
        Sweep? sweep = null;
        if (!json && !Console.IsOutputRedirected)
        {
            var table = new Table().Border(TableBorder.Rounded);
            await AnsiConsole.Live(table).StartAsync(async context =>
            {
                await foreach (var sweepEvent in call.ResponseStream.ReadAllAsync(cancellation))
                {
                    sweep = Apply(sweep, sweepEvent);
                    Draw(table, sweep, sweepEvent);
                    context.Refresh();
                }
            });
        }
        else
        {
            var lines = json ? Console.Error : Console.Out;
            await foreach (var sweepEvent in call.ResponseStream.ReadAllAsync(cancellation))
            {
                sweep = Apply(sweep, sweepEvent);
                string metric = sweep.Spec?.Objective?.Metric is { Length: > 0 } named ? named : "objective";
                string? line = sweepEvent.EventCase switch
                {
                    SweepEvent.EventOneofCase.Snapshot => SweepLines.Sweep(sweep),
                    SweepEvent.EventOneofCase.Trial => SweepLines.Trial(sweepEvent.Trial, metric),
                    SweepEvent.EventOneofCase.Message => $"sweep: {sweepEvent.Message}",
                    SweepEvent.EventOneofCase.State => $"sweep {SweepLines.State(sweepEvent.State)}",
                    _ => null,
                };
                if (line is not null)
                {
                    lines.WriteLine(line);
                }
            }
        }
        // The stream ends when the sweep does; the final state is read again to include everything.
        return await connection.Sweeps.GetSweepAsync(new GetSweepRequest { SweepId = sweepId }, connection.Call(cancellation));
    }

    /// <summary>The sweep after <paramref name="sweepEvent"/>: a snapshot replaces it, a trial replaces its row, a state sets it.</summary>
    internal static Sweep Apply(Sweep? sweep, SweepEvent sweepEvent)
    {
        if (sweepEvent.Snapshot is { } snapshot)
        {
            return snapshot;
        }
        sweep ??= new Sweep();
        if (sweepEvent.Trial is { } trial)
        {
            while (sweep.Trials.Count <= trial.Number)
            {
                sweep.Trials.Add(new Trial { Number = sweep.Trials.Count });
            }
            sweep.Trials[trial.Number] = trial;
            var objective = sweep.Spec?.Objective;
            bool maximize = objective?.Goal == ObjectiveSpec.Types.Goal.Maximize
                || (objective?.Goal != ObjectiveSpec.Types.Goal.Minimize && DistributedTrainer.Sweeps.SweepObjective.MaximizesByDefault(
                    objective?.Metric is { Length: > 0 } metric ? metric : DistributedTrainer.Sweeps.SweepObjective.DefaultMetric));
            if (trial.HasObjective && (!sweep.HasBestTrial || (maximize ? trial.Objective > sweep.Trials[sweep.BestTrial].Objective : trial.Objective < sweep.Trials[sweep.BestTrial].Objective)))
            {
                sweep.BestTrial = trial.Number;
            }
        }
        else if (sweepEvent.EventCase == SweepEvent.EventOneofCase.State)
        {
            sweep.State = sweepEvent.State;
        }
        else if (sweepEvent.EventCase == SweepEvent.EventOneofCase.Message)
        {
            sweep.Message = sweepEvent.Message;
        }
        return sweep;
    }

    private static void Draw(Table table, Sweep sweep, SweepEvent sweepEvent)
    {
        table.Rows.Clear();
        if (table.Columns.Count == 0 && sweep.Spec is { } spec)
        {
            table.AddColumn("trial").AddColumn("state").AddColumn("epochs");
            foreach (var parameter in spec.Parameters)
            {
                table.AddColumn(Markup.Escape(parameter.Path));
            }
            table.AddColumn(Markup.Escape(spec.Objective?.Metric is { Length: > 0 } metric ? metric : "objective")).AddColumn("note");
        }
        foreach (var trial in sweep.Trials)
        {
            string number = sweep.HasBestTrial && sweep.BestTrial == trial.Number ? $"[bold]{trial.Number}*[/]" : $"{trial.Number}";
            var cells = new List<string> { number, SweepLines.State(trial.State), $"{trial.EpochsRun}" };
            cells.AddRange(trial.Parameters.Select(parameter => Markup.Escape(SweepLines.Value(parameter))));
            cells.Add(SweepLines.Objective(trial));
            cells.Add(Markup.Escape(trial.Message));
            table.AddRow([.. cells.Take(table.Columns.Count)]);
        }
        table.Caption(Markup.Escape(sweepEvent.EventCase == SweepEvent.EventOneofCase.Message ? sweepEvent.Message : SweepLines.Sweep(sweep)));
    }
}
