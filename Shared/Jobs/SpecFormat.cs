namespace DistributedTrainer.Jobs;

/// <summary>The text format of a job spec file; both hold the proto3 JSON mapping of <c>JobSpec</c>.</summary>
public enum SpecFormat
{
    /// <summary>JSON (<c>.json</c>).</summary>
    Json,

    /// <summary>YAML 1.2 (<c>.yaml</c>, <c>.yml</c>), read as the JSON it denotes.</summary>
    Yaml,
}
