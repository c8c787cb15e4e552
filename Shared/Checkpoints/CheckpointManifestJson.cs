using System.Text.Json.Serialization;

namespace DistributedTrainer.Checkpoints;

/// <summary>
/// Source-generated JSON for the manifest (no reflection, trimming-safe). Named floating-point literals are
/// allowed because an early-stopping best loss starts at +infinity and a diverged metric can be NaN.
/// </summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    RespectNullableAnnotations = true)]
[JsonSerializable(typeof(CheckpointManifest))]
internal sealed partial class CheckpointManifestJson : JsonSerializerContext;
