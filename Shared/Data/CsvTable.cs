namespace DistributedTrainer.Data;

/// <summary>Samples read from a CSV file.</summary>
/// <param name="Features">Row-major (rows, <paramref name="FeatureCount"/>), the label column removed.</param>
/// <param name="Labels">One class index per row.</param>
/// <param name="FeatureCount">Columns per row minus the label column.</param>
public sealed record CsvTable(float[] Features, int[] Labels, int FeatureCount)
{
    /// <summary>Number of rows (samples).</summary>
    public int Count => Labels.Length;
}
