using System.Globalization;
using System.Text;
using DistributedTrainer.Training;

namespace DistributedTrainer.Reports;

/// <summary>
/// An SVG picture of loss and accuracy per epoch: two panels (loss left, accuracy right), one line per split,
/// with axes, ticks and a legend. Self-contained (no scripts, no external fonts) so any browser shows it.
/// </summary>
public static class TrainingCurvesSvg
{
    private const int PanelWidth = 420, PanelHeight = 300, Margin = 48, Gap = 40;

    private static readonly (string Name, string Color)[] Splits =
    [
        ("train", "#1f77b4"),
        ("validation", "#2ca02c"),
        ("test", "#d62728"),
    ];

    /// <summary>The SVG document for <paramref name="epochs"/> (an empty chart for none).</summary>
    public static string Render(IReadOnlyList<EpochReport> epochs, string title)
    {
        int width = 2 * (PanelWidth + Margin) + Gap, height = PanelHeight + 2 * Margin + 20;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">{Escape(title)}</text>\n");
        Panel(svg, epochs, Margin, "loss",
            [e => e.TrainLoss, e => e.ValidationLoss, e => e.TestLoss], fromZero: false);
        Panel(svg, epochs, 2 * Margin + PanelWidth + Gap, "accuracy",
            [e => e.TrainAccuracy, e => e.ValidationAccuracy, e => e.TestAccuracy], fromZero: false);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void Panel(StringBuilder svg, IReadOnlyList<EpochReport> epochs, int left, string label,
        Func<EpochReport, double>[] series, bool fromZero)
    {
        int top = Margin, bottom = Margin + PanelHeight, right = left + PanelWidth;
        var values = epochs.SelectMany(e => series.Select(s => s(e))).Where(double.IsFinite).ToList();
        double low = values.Count == 0 ? 0 : values.Min(), high = values.Count == 0 ? 1 : values.Max();
        if (fromZero)
        {
            low = Math.Min(0, low);
        }
        if (high - low < 1e-12)
        {
            high = low + 1;
        }
        int lastEpoch = Math.Max(1, epochs.Count == 0 ? 1 : epochs[^1].Epoch);
        double X(double epoch) => left + (lastEpoch == 1 ? PanelWidth / 2.0 : (epoch - 1) / (lastEpoch - 1) * PanelWidth);
        double Y(double value) => bottom - (value - low) / (high - low) * PanelHeight;

        svg.Append(CultureInfo.InvariantCulture,
            $"<rect x=\"{left}\" y=\"{top}\" width=\"{PanelWidth}\" height=\"{PanelHeight}\" fill=\"none\" stroke=\"#444\"/>\n");
        svg.Append(CultureInfo.InvariantCulture,
            $"<text x=\"{left + PanelWidth / 2}\" y=\"{top - 8}\" text-anchor=\"middle\">{label}</text>\n");
        for (int tick = 0; tick <= 4; tick++)
        {
            double value = low + (high - low) * tick / 4;
            svg.Append(CultureInfo.InvariantCulture,
                $"<line x1=\"{left - 4}\" x2=\"{right}\" y1=\"{Y(value):F1}\" y2=\"{Y(value):F1}\" stroke=\"#ddd\"/>" +
                $"<text x=\"{left - 6}\" y=\"{Y(value) + 4:F1}\" text-anchor=\"end\">{value:G4}</text>\n");
        }
        int step = Math.Max(1, lastEpoch / 10);
        for (int epoch = 1; epoch <= lastEpoch; epoch += step)
        {
            svg.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{X(epoch):F1}\" y=\"{bottom + 16}\" text-anchor=\"middle\">{epoch}</text>\n");
        }
        svg.Append(CultureInfo.InvariantCulture,
            $"<text x=\"{left + PanelWidth / 2}\" y=\"{bottom + 34}\" text-anchor=\"middle\">epoch</text>\n");
        for (int s = 0; s < series.Length; s++)
        {
            var points = epochs.Where(e => double.IsFinite(series[s](e)))
                .Select(e => string.Create(CultureInfo.InvariantCulture, $"{X(e.Epoch):F1},{Y(series[s](e)):F1}"))
                .ToList();
            if (points.Count == 0)
            {
                continue;
            }
            svg.Append(CultureInfo.InvariantCulture,
                $"<polyline fill=\"none\" stroke=\"{Splits[s].Color}\" stroke-width=\"2\" points=\"{string.Join(' ', points)}\"/>\n");
            foreach (var point in points)
            {
                var xy = point.Split(',');
                svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{xy[0]}\" cy=\"{xy[1]}\" r=\"2.5\" fill=\"{Splits[s].Color}\"/>\n");
            }
            svg.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{right - 8}\" y=\"{top + 16 + 14 * s}\" text-anchor=\"end\" fill=\"{Splits[s].Color}\">{Splits[s].Name}</text>\n");
        }
    }

    private static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal);
}
