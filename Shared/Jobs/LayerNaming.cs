using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Jobs;

/// <summary>
/// How layers are named, for checkpoint parameter names (<c>fc1.weight</c>) and for <c>transfer.freeze</c>.
/// A layer's effective name is its <c>name</c> when set, otherwise its kind (the <c>LayerSpec</c> oneof field name:
/// dense, activation, dropout, batch_norm, layer_norm, residual, highway) followed by its zero-based index within the
/// list that holds it: <c>dense0</c>, <c>activation1</c>, <c>batch_norm3</c>. Effective names are unique within one
/// list. A layer inside a residual or highway body is named by joining the effective names from the top with
/// <see cref="Separator"/>: <c>block2.dense0</c>; its parameters then read <c>block2.dense0.weight</c>.
/// Set names may hold only letters, digits, '_' and '-', so a qualified name splits back unambiguously.
/// </summary>
public static class LayerNaming
{
    /// <summary>Joins the names of enclosing layers and parameter names: '.'.</summary>
    public const char Separator = '.';

    /// <summary>The name of <paramref name="layer"/> at position <paramref name="index"/> of its parent list.</summary>
    public static string EffectiveName(LayerSpec layer, int index)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return layer.Name.Length > 0 ? layer.Name : KindName(layer) + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The qualified name of a layer called <paramref name="name"/> inside the layer qualified as
    /// <paramref name="parent"/> (empty for a top-level layer): <c>block2.dense0</c>.
    /// </summary>
    public static string QualifiedName(string parent, string name) =>
        string.IsNullOrEmpty(parent) ? name : parent + Separator + name;

    /// <summary>The oneof field name of the layer's kind ("dense", "batch_norm"), or "layer" when none is set.</summary>
    internal static string KindName(LayerSpec layer) =>
        layer.KindCase == LayerSpec.KindOneofCase.None
            ? "layer"
            : LayerSpec.Descriptor.FindFieldByNumber((int)layer.KindCase).Name;

    /// <summary>Whether a set name keeps to letters, digits, '_' and '-'.</summary>
    internal static bool IsValidName(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
}
