using DistributedTrainer.Numerics;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training.Adversarial;

/// <summary>
/// The generator's input: noise vectors drawn from the counter-based RNG, so vector i of a step is a pure function of
/// (seed, step, i, stream) and is the same on whichever worker or thread draws it, and after a resume.
/// </summary>
public sealed class GanNoise
{
    /// <summary>The stream of the noise behind the generated samples of a critic update.</summary>
    public const int CriticStream = -1;

    /// <summary>The stream of the noise of a generator update.</summary>
    public const int GeneratorStream = -2;

    /// <summary>The stream of the fixed noise behind the per-epoch grid and `trainctl sample`.</summary>
    public const int GridStream = -3;

    private readonly float[] _uniform;

    /// <param name="distribution">NORMAL (also when unspecified) or UNIFORM.</param>
    /// <param name="size">Floats per noise vector.</param>
    /// <param name="seed">The noise seed.</param>
    public GanNoise(AdversarialSpec.Types.Noise distribution, int size, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Distribution = distribution == AdversarialSpec.Types.Noise.Uniform ? distribution : AdversarialSpec.Types.Noise.Normal;
        Size = size;
        Seed = seed;
        _uniform = new float[2 * size];
    }

    /// <summary>NORMAL or UNIFORM.</summary>
    public AdversarialSpec.Types.Noise Distribution { get; }

    /// <summary>Floats per vector.</summary>
    public int Size { get; }

    /// <summary>The seed.</summary>
    public ulong Seed { get; }

    /// <summary>
    /// destination (rows, Size) &lt;- the vectors <paramref name="first"/> .. first + rows − 1 of <paramref name="step"/>
    /// in <paramref name="stream"/>. Not thread-safe (one scratch row); give each thread its own instance.
    /// </summary>
    public void Fill(Span<float> destination, long step, long first, int rows, int stream)
    {
        if (destination.Length < rows * Size)
        {
            throw new ArgumentException($"Invalid destination: {destination.Length} floats for {rows} vectors of {Size}", nameof(destination));
        }
        for (int row = 0; row < rows; row++)
        {
            var vector = destination.Slice(row * Size, Size);
            if (Distribution == AdversarialSpec.Types.Noise.Uniform)
            {
                CounterRng.FillUniform(vector, Seed, step, first + row, stream);
                for (int j = 0; j < Size; j++)
                {
                    vector[j] = 2f * vector[j] - 1f;
                }
                continue;
            }
            // Box-Muller on the pair (u1, u2) = uniforms 2j and 2j + 1; 1 − u1 is in (0, 1], so the logarithm is finite.
            CounterRng.FillUniform(_uniform, Seed, step, first + row, stream);
            for (int j = 0; j < Size; j++)
            {
                double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - _uniform[2 * j]));
                vector[j] = (float)(radius * Math.Cos(2.0 * Math.PI * _uniform[2 * j + 1]));
            }
        }
    }
}
