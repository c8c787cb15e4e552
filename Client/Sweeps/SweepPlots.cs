using DistributedTrainer.Protos.V1;
using ScottPlot;

namespace DistributedTrainer.Client.Sweeps;

/// <summary>
/// The sweep's plots as SVG, drawn with ScottPlot: the objective of every trial against its number with the running
/// best (<c>objective.svg</c>), and the objective against each parameter (<c>parameter-&lt;path&gt;.svg</c>; log_uniform
/// parameters on a log10 axis, listed values at their positions). Trials without an objective are left out.
/// </summary>
internal static class SweepPlots
{
    private const int Width = 800;
    private const int Height = 500;

    /// <summary>Writes the plots into <paramref name="directory"/>; returns the files written.</summary>
    public static IReadOnlyList<string> Write(Sweep sweep, string directory)
    {
        var spec = sweep.Spec;
        string metric = spec.Objective?.Metric is { Length: > 0 } named ? named : DistributedTrainer.Sweeps.SweepObjective.DefaultMetric;
        bool maximize = spec.Objective?.Goal == ObjectiveSpec.Types.Goal.Maximize
            || (spec.Objective?.Goal != ObjectiveSpec.Types.Goal.Minimize && DistributedTrainer.Sweeps.SweepObjective.MaximizesByDefault(metric));
        var scored = sweep.Trials.Where(trial => trial.HasObjective).ToList();
        var written = new List<string> { ObjectivePlot(scored, metric, maximize, Path.Combine(directory, "objective.svg")) };
        for (int i = 0; i < spec.Parameters.Count; i++)
        {
            string file = Path.Combine(directory, $"parameter-{FileName(spec.Parameters[i].Path)}.svg");
            written.Add(ParameterPlot(scored, spec.Parameters[i], i, metric, file));
        }
        return written;
    }

    private static string ObjectivePlot(List<Trial> scored, string metric, bool maximize, string path)
    {
        var plot = new Plot();
        double[] numbers = [.. scored.Select(trial => (double)trial.Number)];
        double[] values = [.. scored.Select(trial => trial.Objective)];
        var points = plot.Add.ScatterPoints(numbers, values);
        points.LegendText = "trial";
        double[] best = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            best[i] = i == 0 ? values[0] : maximize ? Math.Max(best[i - 1], values[i]) : Math.Min(best[i - 1], values[i]);
        }
        var line = plot.Add.ScatterLine(numbers, best);
        line.LegendText = "running best";
        plot.Title($"{metric} by trial");
        plot.XLabel("trial");
        plot.YLabel(metric);
        plot.ShowLegend();
        plot.SaveSvg(path, Width, Height);
        return path;
    }

    private static string ParameterPlot(List<Trial> scored, ParameterSpec parameter, int index, string metric, string path)
    {
        var plot = new Plot();
        double[] values = [.. scored.Select(trial => trial.Objective)];
        var listed = (parameter.Choice ?? parameter.Grid)?.Values;
        string label = parameter.Path;
        double[] xs;
        if (listed is not null)
        {
            // Listed values at positions 0..n-1, labelled with the values.
            var positions = listed.Select((value, i) => (Text: DistributedTrainer.Sweeps.FieldValues.Format(value), Position: (double)i)).ToList();
            xs = [.. scored.Select(trial => positions.First(p => p.Text == DistributedTrainer.Sweeps.FieldValues.Format(trial.Parameters[index].Value)).Position)];
            plot.Axes.Bottom.SetTicks([.. positions.Select(p => p.Position)], [.. positions.Select(p => p.Text)]);
        }
        else if (parameter.DomainCase == ParameterSpec.DomainOneofCase.LogUniform)
        {
            xs = [.. scored.Select(trial => Math.Log10(trial.Parameters[index].Value.NumberValue))];
            label = $"log10({parameter.Path})";
        }
        else
        {
            xs = [.. scored.Select(trial => trial.Parameters[index].Value.NumberValue)];
        }
        plot.Add.ScatterPoints(xs, values);
        plot.Title($"{metric} by {parameter.Path}");
        plot.XLabel(label);
        plot.YLabel(metric);
        plot.SaveSvg(path, Width, Height);
        return path;
    }

    private static string FileName(string parameterPath) =>
        new([.. parameterPath.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_')]);
}
