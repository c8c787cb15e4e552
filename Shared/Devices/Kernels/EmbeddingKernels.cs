using ILGPU;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// <see cref="Numerics.Layers.Embedding"/> on the device. The forward gathers a row of the weight per id, one thread per
/// output element. The weight gradient is a scatter-add (every token adds its output gradient into its id's row), which
/// float atomics would make depend on the order the threads happen to run in; instead one thread owns each (id, column)
/// of the gradient and walks the tokens in (row, step) order, adding those of its id as the SIMD layer adds them. No two
/// threads write one float and every sum has a fixed order, so two runs give the same bits. Every thread reads every id,
/// so the gradient costs V·D·N reads for N tokens: little for a character vocabulary (text-char-gru: 86 x 32 threads
/// over at most 32 x 128 tokens), while a vocabulary of words would want the tokens grouped by id first.
/// </summary>
internal static class EmbeddingKernels
{
    // input (N) ids held as floats, weight (V, D) -> output (N, D); one thread per output element, launched over N * D
    public static void Forward(Index1D index, ArrayView<float> output, ArrayView<float> input, ArrayView<float> weight,
        int vocabulary, int dimensions)
    {
        int token = index / dimensions;
        int column = index - token * dimensions;
        float value = input[token];
        int id = (int)value;
        // A kernel cannot throw as the SIMD layer does for an id out of [0, V) or not an integer: it writes NaN instead
        // of reading past the weight, and the step's non-finite check names the shard.
        bool valid = id == value && id >= 0 && id < vocabulary;
        // forward: y_n = W[x_n]
        output[index] = valid ? weight[(long)id * dimensions + column] : float.NaN;
    }

    // input (N) ids, outputGradient (N, D) -> weightGradient (V, D) += ...; one thread per (id, column), launched over V * D
    public static void WeightGradient(Index1D index, ArrayView<float> weightGradient, ArrayView<float> input,
        ArrayView<float> outputGradient, int tokens, int dimensions)
    {
        int id = index / dimensions;
        int column = index - id * dimensions;
        float sum = weightGradient[index];
        // forward: y_n = W[x_n]  =>  dW[v] += Σ_{n: x_n = v} dy_n, the tokens in order from the gradient already there
        for (int token = 0; token < tokens; token++)
        {
            if (input[token] == id)
            {
                sum += outputGradient[(long)token * dimensions + column];
            }
        }
        weightGradient[index] = sum;
    }
}
