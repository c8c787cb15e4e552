using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace DistributedTrainer.Sweeps;

/// <summary>The metric a sweep optimizes and in which direction; reads it from a trial's epoch metrics.</summary>
public sealed record SweepObjective(string Metric, bool Maximize)
{
    /// <summary>The metric used when the spec names none.</summary>
    public const string DefaultMetric = "test_accuracy";

    /// <summary>The metric names an objective may take: fields of trainer.v1.EpochMetrics.</summary>
    public static IReadOnlyList<string> Metrics { get; } =
        ["test_accuracy", "test_loss", "validation_accuracy", "validation_loss", "train_accuracy", "train_loss"];

    /// <summary>True when <paramref name="metric"/> is one of <see cref="Metrics"/>.</summary>
    public static bool IsKnown(string metric) => Metrics.Contains(metric);

    /// <summary>Accuracies are maximized, losses minimized, unless a spec says otherwise.</summary>
    public static bool MaximizesByDefault(string metric) => metric.EndsWith("accuracy", StringComparison.Ordinal);

    /// <summary>
    /// The metric in <paramref name="epoch"/> (a trainer.v1.EpochMetrics, read by field name, so this library needs
    /// no wire types); null when it is not a finite number (no validation split, a diverged run).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="epoch"/> has no such double field.</exception>
    public double? Read(IMessage epoch)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        var field = epoch.Descriptor.FindFieldByName(Metric) is { FieldType: FieldType.Double } found
            ? found
            : throw new ArgumentException($"Invalid epoch message {epoch.Descriptor.Name}: no double field {Metric}", nameof(epoch));
        double value = (double)field.Accessor.GetValue(epoch);
        return double.IsFinite(value) ? value : null;
    }

    /// <summary>The value turned so that larger is always better (negated when minimizing).</summary>
    public double Score(double value) => Maximize ? value : -value;

    /// <summary>True when <paramref name="candidate"/> beats <paramref name="incumbent"/> (which may be absent).</summary>
    public bool IsBetter(double candidate, double? incumbent) => incumbent is not { } best || Score(candidate) > Score(best);

    /// <summary><c>maximize test_accuracy</c>.</summary>
    public override string ToString() => $"{(Maximize ? "maximize" : "minimize")} {Metric}";
}
