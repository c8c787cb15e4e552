namespace DistributedTrainer.ClusterApi;

/// <summary>
/// The shape shared by the messages of a Step stream (cluster.proto): a oneof of a vector piece (<c>int64 offset = 1;
/// bytes values = 2;</c>) and one ordinary message. StepRequest holds the parameter pieces after its header;
/// StepResponse holds the gradient pieces before its result. The names are the fields' names in problems.
/// </summary>
/// <param name="PieceField">Field number of the piece in the oneof.</param>
/// <param name="PieceName">Its name, e.g. "parameters".</param>
/// <param name="MessageField">Field number of the ordinary message in the oneof.</param>
/// <param name="MessageName">Its name, e.g. "header".</param>
public sealed record StepStreamFields(int PieceField, string PieceName, int MessageField, string MessageName)
{
    /// <summary>trainer.v1.StepRequest: <c>StepHeader header = 1; ParameterPiece parameters = 2;</c></summary>
    public static readonly StepStreamFields Request = new(2, "parameters", 1, "header");

    /// <summary>trainer.v1.StepResponse: <c>GradientPiece gradients = 1; StepResult result = 2;</c></summary>
    public static readonly StepStreamFields Response = new(1, "gradients", 2, "result");
}
