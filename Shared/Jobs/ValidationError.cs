namespace DistributedTrainer.Jobs;

/// <summary>
/// One problem in a job spec: <paramref name="FieldPath"/> is the proto field path with snake_case names and list
/// indices (<c>model.layers[2].dense.units</c>; empty for the document as a whole) and <paramref name="Reason"/>
/// says what is wrong (<c>must be &gt; 0, got -4</c>).
/// </summary>
public sealed record ValidationError(string FieldPath, string Reason)
{
    /// <summary><c>path: reason</c>, or the reason alone when the path is empty.</summary>
    public override string ToString() => FieldPath.Length == 0 ? Reason : $"{FieldPath}: {Reason}";
}
