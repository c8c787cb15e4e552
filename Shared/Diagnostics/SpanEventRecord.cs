namespace DistributedTrainer.Diagnostics;

/// <summary>An event of a <see cref="SpanRecord"/>.</summary>
/// <param name="Name">The event name.</param>
/// <param name="TimeUnixNano">When it happened, nanoseconds since 1970-01-01 UTC.</param>
/// <param name="Attributes">The event's attributes.</param>
public sealed record SpanEventRecord(string Name, long TimeUnixNano, IReadOnlyList<KeyValuePair<string, object?>> Attributes);
