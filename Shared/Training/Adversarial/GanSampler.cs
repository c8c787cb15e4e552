using DistributedTrainer.Checkpoints;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;
using Google.Protobuf;

namespace DistributedTrainer.Training.Adversarial;

/// <summary>
/// Draws samples from the generator of a GAN job's checkpoint (`trainctl sample CHECKPOINT --count N --out grid.png`):
/// noise vectors 0..N−1 of the grid stream under a given seed, the generator in evaluation mode.
/// </summary>
public sealed class GanSampler : IDisposable
{
    private const int Batch = 256;

    private readonly Model _generator;
    private readonly AdversarialSpec _gan;
    private readonly float _low;
    private readonly float _high;

    private GanSampler(Model generator, AdversarialSpec gan, float low, float high)
    {
        _generator = generator;
        _gan = gan;
        _low = low;
        _high = high;
    }

    /// <summary>
    /// Loads the generator of the checkpoint in <paramref name="directory"/>; null when the checkpoint is not of a GAN
    /// job (another sampler may read it).
    /// </summary>
    /// <exception cref="InvalidDataException">It is not a valid checkpoint, or its generator does not load.</exception>
    /// <exception cref="DirectoryNotFoundException">There is no such directory.</exception>
    public static GanSampler? TryLoad(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"{full}: no such checkpoint directory");
        }
        var checkpoint = AdversarialCheckpoints.Load(full, out _);
        JobSpec spec;
        try
        {
            spec = JobSpec.Parser.ParseJson(checkpoint.Manifest.JobSpecJson);
        }
        catch (InvalidProtocolBufferException error)
        {
            throw new InvalidDataException($"{full}: the manifest's job spec does not parse ({error.Message})", error);
        }
        if (spec.Adversarial is null)
        {
            return null;
        }
        var generator = GanNetworks.BuildGenerator(spec.Adversarial, Batch);
        try
        {
            AdversarialCheckpoints.RestoreModel(checkpoint, AdversarialCheckpoints.GeneratorPrefix, generator);
        }
        catch
        {
            generator.Dispose();
            throw;
        }
        var metrics = checkpoint.Manifest.Metrics;
        float low = metrics.TryGetValue(AdversarialCheckpoints.DisplayLow, out double l) ? (float)l : 0f;
        float high = metrics.TryGetValue(AdversarialCheckpoints.DisplayHigh, out double h) && h > l ? (float)h : low + 1f;
        return new GanSampler(generator, spec.Adversarial, low, high);
    }

    /// <summary><paramref name="count"/> samples drawn with noise seed <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="count"/> is below 1.</exception>
    public SampleGrid Draw(int count, ulong seed)
    {
        if (count < 1)
        {
            throw new ArgumentException($"--count: must be >= 1, got {count}");
        }
        var noise = new GanNoise(_gan.Noise, _gan.NoiseSize, seed);
        return new SampleGrid(GanNetworks.Draw(_generator, noise, count), count, GanNetworks.SampleShape(_generator), _low, _high);
    }

    public void Dispose() => _generator.Dispose();
}
