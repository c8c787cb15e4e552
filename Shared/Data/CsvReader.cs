using System.Globalization;

namespace DistributedTrainer.Data;

/// <summary>
/// Reads numeric CSV: one sample per line, comma-separated, one column holding a non-negative integer class
/// label and every other column a finite number. Blank lines are skipped; cells may carry surrounding spaces.
/// Quoted cells are not supported (numeric data has none). Gzip files are accepted (detected by content).
/// Errors name the file, the 1-based line and the 1-based column, and the reason, never the cell: a spec may name a
/// file that is not data at all, and the error goes back to whoever submitted it.
/// </summary>
public static class CsvReader
{
    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="labelColumn">Zero-based column of the label (default 0).</param>
    /// <param name="hasHeader">Whether the first non-blank line names the columns and is skipped.</param>
    public static CsvTable Read(string path, int labelColumn = 0, bool hasHeader = false)
    {
        if (labelColumn < 0)
        {
            throw new ArgumentException($"Invalid label column: {labelColumn} (must be >= 0)", nameof(labelColumn));
        }
        using var reader = new StreamReader(DataFile.OpenRead(path));
        var features = new List<float>();
        var labels = new List<int>();
        int columnCount = -1;
        int lineNumber = 0;
        bool headerPending = hasHeader;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            int cells = CountCells(line);
            if (columnCount < 0)
            {
                columnCount = cells;
                if (columnCount < 2)
                {
                    throw new InvalidDataException($"{path}: line {lineNumber}: {columnCount} column(s); need a label and at least one feature");
                }
                if (labelColumn >= columnCount)
                {
                    throw new InvalidDataException(
                        $"{path}: line {lineNumber}: label column {labelColumn} (zero-based) is past the last of {columnCount} columns");
                }
            }
            else if (cells != columnCount)
            {
                throw new InvalidDataException($"{path}: line {lineNumber}: {cells} columns, expected {columnCount} as on the first line");
            }
            if (headerPending)
            {
                headerPending = false;
                continue;
            }
            ParseRow(line, labelColumn, path, lineNumber, features, labels);
        }
        if (labels.Count == 0)
        {
            throw new InvalidDataException($"{path}: no data rows");
        }
        return new CsvTable(features.ToArray(), labels.ToArray(), columnCount - 1);
    }

    private static int CountCells(string line) => line.AsSpan().Count(',') + 1;

    private static void ParseRow(string line, int labelColumn, string path, int lineNumber, List<float> features, List<int> labels)
    {
        var rest = line.AsSpan();
        for (int column = 0; ; column++)
        {
            int comma = rest.IndexOf(',');
            var cell = (comma < 0 ? rest : rest[..comma]).Trim();
            if (column == labelColumn)
            {
                labels.Add(ParseLabel(cell, path, lineNumber, column));
            }
            else
            {
                features.Add(ParseFeature(cell, path, lineNumber, column));
            }
            if (comma < 0)
            {
                return;
            }
            rest = rest[(comma + 1)..];
        }
    }

    private static int ParseLabel(ReadOnlySpan<char> cell, string path, int lineNumber, int column)
    {
        if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            || value < 0 || value > int.MaxValue || value != Math.Floor(value))
        {
            throw new InvalidDataException(
                $"{path}: line {lineNumber}, column {column + 1}: the label is not a non-negative integer");
        }
        return (int)value;
    }

    private static float ParseFeature(ReadOnlySpan<char> cell, string path, int lineNumber, int column)
    {
        if (!float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !float.IsFinite(value))
        {
            throw new InvalidDataException($"{path}: line {lineNumber}, column {column + 1}: the feature is not a finite number");
        }
        return value;
    }
}
