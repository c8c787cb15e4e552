using System.Numerics.Tensors;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>Residual block y = x + f(x) (He et al. 2016); the body f must keep the feature count.</summary>
public sealed class Residual : Layer
{
    private readonly Sequential _body;
    // (B, F): f(x), kept apart from y because the body's backward needs its own output.
    private readonly BatchScratch _bodyOutput;

    /// <param name="name">Layer name; prefixes the names of the body's layers ("block1.fc").</param>
    /// <param name="body">f; its output size must equal its input size.</param>
    public Residual(string name, Sequential body)
        : base(name, body.InputSize)
    {
        if (body.OutputSize != body.InputSize)
        {
            throw new ArgumentException(
                $"Residual '{name}': the body takes {body.InputSize} features but gives {body.OutputSize}; " +
                "y = x + f(x) needs them equal.", nameof(body));
        }
        _body = body;
        _bodyOutput = new BatchScratch(body.OutputSize);
    }

    public override int OutputSize => InputSize;

    public override IReadOnlyList<Layer> Children => [_body];

    public override void Reserve(int maxBatch)
    {
        _bodyOutput.Reserve(maxBatch);
        _body.Reserve(maxBatch);
    }

    // input (B, F) -> output (B, F)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        int length = batch * InputSize;
        Span<float> bodyOutput = _bodyOutput.Rows(batch);
        _body.Forward(context, input, bodyOutput, batch);
        // forward: y = x + f(x)
        TensorPrimitives.Add(input[..length], bodyOutput, output[..length]);
    }

    // outputGradient (B, F) -> inputGradient (B, F)
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        // forward: y = x + f(x)  =>  dx = dy + f'(x)^T dy
        _body.Backward(context, input, _bodyOutput.Rows(batch), outputGradient, inputGradient, batch);
        if (!inputGradient.IsEmpty)
        {
            int length = batch * InputSize;
            TensorPrimitives.Add(inputGradient[..length], outputGradient[..length], inputGradient[..length]);
        }
    }

    protected override void Dispose(bool disposing)
    {
        _bodyOutput.Dispose();
        _body.Dispose();
        base.Dispose(disposing);
    }
}
