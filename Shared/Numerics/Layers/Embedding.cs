using DistributedTrainer.Numerics.Initializers;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// Looks up a learned row of "weight" (vocabulary, dimensions) for each id of the input row (PyTorch's
/// <c>nn.Embedding</c>): input (B, T) ids held as floats, output (B, T x dimensions), T time steps of
/// <c>dimensions</c> features for a recurrent layer. The input is data, not a function of parameters, so the layer
/// has no input gradient; the weight gradient adds each step's output gradient into the row of its id.
/// </summary>
public sealed class Embedding : Layer
{
    private readonly Initializer _initializer;

    /// <param name="name">Layer name; the parameter is "&lt;name&gt;.weight".</param>
    /// <param name="steps">Ids per input row (T).</param>
    /// <param name="vocabulary">Number of ids; every input must be an integer in [0, vocabulary).</param>
    /// <param name="dimensions">Features per id.</param>
    /// <param name="initializer">Fills the weight with fanIn = vocabulary, fanOut = dimensions.</param>
    public Embedding(string name, int steps, int vocabulary, int dimensions, Initializer initializer)
        : base(name, steps)
    {
        if (vocabulary < 1 || dimensions < 1)
        {
            throw new ArgumentException(
                $"Invalid embedding layer '{name}': vocabulary {vocabulary} and dimensions {dimensions} must be at least 1.");
        }
        ArgumentNullException.ThrowIfNull(initializer);
        Vocabulary = vocabulary;
        Dimensions = dimensions;
        OutputSize = checked(steps * dimensions);
        _initializer = initializer;
    }

    /// <summary>Number of ids.</summary>
    public int Vocabulary { get; }

    /// <summary>Features per id.</summary>
    public int Dimensions { get; }

    public override int OutputSize { get; }

    public override IReadOnlyList<ParameterDeclaration> DeclareParameters() =>
        [new("weight", [Vocabulary, Dimensions], ParameterRole.Weight)];

    public override void Initialize(Random random) =>
        _initializer.Fill(Store.ValuesOf(ParameterViews[0]), Vocabulary, Dimensions, random);

    // input (B, T) ids, weight (V, D) -> output (B, T, D)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        ReadOnlySpan<float> weight = Store.ValuesOf(ParameterViews[0]);
        int count = batch * InputSize;
        for (int i = 0; i < count; i++)
        {
            // forward: y_bt = W[x_bt]
            weight.Slice(IdAt(input, i) * Dimensions, Dimensions).CopyTo(output.Slice(i * Dimensions, Dimensions));
        }
    }

    // outputGradient (B, T, D) -> weight gradient (V, D) += ...; the ids have no gradient.
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        Span<float> weightGradient = Store.GradientsOf(ParameterViews[0]);
        int count = batch * InputSize;
        for (int i = 0; i < count; i++)
        {
            // forward: y_bt = W[x_bt]  =>  dW[x_bt] += dy_bt, in (b, t) order so sums are reproducible
            var row = weightGradient.Slice(IdAt(input, i) * Dimensions, Dimensions);
            System.Numerics.Tensors.TensorPrimitives.Add(row, outputGradient.Slice(i * Dimensions, Dimensions), row);
        }
        // The ids are data: their "gradient" is zero wherever a caller asks for it.
        if (!inputGradient.IsEmpty)
        {
            inputGradient[..count].Clear();
        }
    }

    private int IdAt(ReadOnlySpan<float> input, int index)
    {
        float value = input[index];
        int id = (int)value;
        if (id != value || (uint)id >= (uint)Vocabulary)
        {
            throw new ArgumentException(
                $"Embedding layer '{Name}': input {index % InputSize} of row {index / InputSize} is {value}, not an id in [0, {Vocabulary}).");
        }
        return id;
    }
}
