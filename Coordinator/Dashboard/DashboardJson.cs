using System.Text.Json;
using Google.Protobuf;

namespace DistributedTrainer.Coordinator.Dashboard;

/// <summary>
/// The dashboard's JSON: protobuf messages in their canonical JSON mapping (the same fields the Jobs API streams; int64
/// as strings, NaN as "NaN", enums by name), with default values written so the page never guesses a missing field.
/// </summary>
internal static class DashboardJson
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    /// <summary><paramref name="message"/> as one line of JSON.</summary>
    public static string Format(IMessage message) => Formatter.Format(message);

    /// <summary><c>{"jobId":ID,"event":EVENT}</c>: one job's event on a stream that carries several jobs.</summary>
    public static string Tagged(string key, string id, IMessage message) =>
        $"{{\"{key}\":{JsonSerializer.Serialize(id)},\"event\":{Format(message)}}}";
}
