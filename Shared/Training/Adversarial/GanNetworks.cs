using DistributedTrainer.Data;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training.Adversarial;

/// <summary>Builds a GAN job's two networks and tells what their samples look like.</summary>
public static class GanNetworks
{
    /// <summary>The generator from a validated spec, for batches of up to <paramref name="maxBatch"/> noise vectors.</summary>
    public static Model BuildGenerator(AdversarialSpec gan, int maxBatch) =>
        ModelFactory.Build(gan.Generator.Model, gan.NoiseSize, maxBatch);

    /// <summary>The discriminator from a validated spec, for samples of <paramref name="features"/> features.</summary>
    public static Model BuildDiscriminator(AdversarialSpec gan, int features, int maxBatch) =>
        ModelFactory.Build(gan.Discriminator.Model, features, maxBatch);

    /// <summary>
    /// The seed of the discriminator's initial values: the job's seed would give its layer i the same draws as the
    /// generator's layer i.
    /// </summary>
    public static ulong DiscriminatorSeed(ulong seed) => seed ^ 0xD15C_5EED_0000_0001UL;

    /// <summary>The noise seed: adversarial.noise_seed, or the job's seed when unset.</summary>
    public static ulong NoiseSeed(JobSpec spec) => spec.Adversarial.HasNoiseSeed ? spec.Adversarial.NoiseSeed : spec.Seed;

    /// <summary>Samples in the per-epoch grid.</summary>
    public static int GridSamples(AdversarialSpec gan) =>
        gan.GridSamples > 0 ? gan.GridSamples : Jobs.JobSpecValidator.DefaultGridSamples;

    /// <summary>
    /// The image one generated sample holds: the output shape of the generator's last image layer when it gives the
    /// whole sample (a DCGAN's last conv_transpose2d), else a square grey image when the feature count is a square
    /// (an MLP generator of 784 features: 28x28), else one row of pixels.
    /// </summary>
    public static ImageShape SampleShape(Model generator)
    {
        for (int i = generator.Layers.Count - 1; i >= 0; i--)
        {
            if (generator.Layers[i] is IImageLayer image && image.OutputShape.Size == generator.OutputSize)
            {
                return image.OutputShape;
            }
        }
        int side = (int)Math.Round(Math.Sqrt(generator.OutputSize));
        return side * side == generator.OutputSize ? new ImageShape(1, side, side) : new ImageShape(1, 1, generator.OutputSize);
    }

    /// <summary>The smallest and largest feature value of <paramref name="data"/>: the range a grid shows from black to white.</summary>
    public static (float Low, float High) ValueRange(Dataset data)
    {
        const int Chunk = 1024;
        var features = new float[Chunk * data.FeatureCount];
        var labels = new int[Chunk * data.TargetsPerSample];
        var ids = new int[Chunk];
        float low = float.PositiveInfinity, high = float.NegativeInfinity;
        for (int start = 0; start < data.Count; start += Chunk)
        {
            int rows = Math.Min(Chunk, data.Count - start);
            for (int i = 0; i < rows; i++)
            {
                ids[i] = start + i;
            }
            var span = features.AsSpan(0, rows * data.FeatureCount);
            data.Gather(span, labels.AsSpan(0, rows * data.TargetsPerSample), ids.AsSpan(0, rows));
            low = Math.Min(low, System.Numerics.Tensors.TensorPrimitives.Min<float>(span));
            high = Math.Max(high, System.Numerics.Tensors.TensorPrimitives.Max<float>(span));
        }
        return high > low ? (low, high) : (low, low + 1f);
    }

    /// <summary>
    /// Samples from noise vectors 0 .. <paramref name="count"/> − 1 of the grid stream of <paramref name="noise"/>,
    /// with the generator in evaluation mode (BatchNorm running statistics, no dropout), in batches of its maximum.
    /// </summary>
    public static float[] Draw(Model generator, GanNoise noise, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var samples = new float[(long)count * generator.OutputSize];
        var latent = new float[generator.MaxBatch * noise.Size];
        var context = new StepContext { Training = false, SampleIds = new long[generator.MaxBatch] };
        for (int start = 0; start < count; start += generator.MaxBatch)
        {
            int rows = Math.Min(generator.MaxBatch, count - start);
            noise.Fill(latent, 0, start, rows, GanNoise.GridStream);
            generator.Forward(context, latent, rows).CopyTo(samples.AsSpan(start * generator.OutputSize));
        }
        return samples;
    }
}
