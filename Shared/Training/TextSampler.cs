using System.Text;
using DistributedTrainer.Checkpoints;
using DistributedTrainer.Data;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;
using Google.Protobuf;

namespace DistributedTrainer.Training;

/// <summary>
/// Generates text from a checkpoint of a TEXT model (`trainctl sample`): the model reads the last window
/// characters of the prompt and what it generated so far (fewer at the start), the logits of its last step,
/// divided by the temperature, give a softmax over the vocabulary, and the next character is drawn from it with a
/// seeded generator, so the same seed gives the same text. The model is rebuilt for each context width up to the
/// window; its parameters do not depend on the width as long as every layer works per step (embedding, recurrent
/// SEQUENCE, per-step dense), which is what a model of window x vocabulary outputs is.
/// </summary>
public sealed class TextSampler : IDisposable
{
    // Separates the sampler's random stream from the job's uses of its seed (permutations, splits).
    private const ulong SampleDomain = 0x73616D706C65;

    private readonly JobSpec _spec;
    private readonly TextVocabulary _vocabulary;
    private readonly IReadOnlyList<NamedTensor> _tensors;
    private readonly int _window;
    private readonly Dictionary<int, Model> _models = [];
    private readonly StepContext _context = new() { Training = false, SampleIds = new long[1] };

    private TextSampler(JobSpec spec, TextVocabulary vocabulary, IReadOnlyList<NamedTensor> tensors, string directory)
    {
        _spec = spec;
        _vocabulary = vocabulary;
        _tensors = tensors;
        _window = spec.Dataset.Window;
        try
        {
            // Building the full-width model now checks the parameters fit and the outputs are per step.
            var model = ModelAt(_window, directory);
            if (model.OutputSize % _window != 0 || model.OutputSize / _window < vocabulary.Count)
            {
                throw new InvalidDataException(
                    $"{directory}: the model gives {model.OutputSize} outputs for a window of {_window}; a character model gives {_window} x {vocabulary.Count} (the vocabulary)");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The characters the model knows, in id order.</summary>
    public TextVocabulary Vocabulary => _vocabulary;

    /// <summary>Loads the checkpoint in <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">It is not a checkpoint, or not one of a TEXT model.</exception>
    /// <exception cref="DirectoryNotFoundException">There is no such directory.</exception>
    public static TextSampler Load(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"{full}: no such checkpoint directory");
        }
        var checkpoint = new CheckpointStore(Path.GetDirectoryName(full)!).Load(full);
        JobSpec spec;
        try
        {
            spec = JobSpec.Parser.ParseJson(checkpoint.Manifest.JobSpecJson);
        }
        catch (InvalidProtocolBufferException error)
        {
            throw new InvalidDataException($"{full}: the manifest's job spec does not parse ({error.Message})", error);
        }
        if (spec.Dataset?.Format != DatasetSpec.Types.Format.Text || checkpoint.Manifest.Vocabulary is not { Length: > 0 } characters)
        {
            throw new InvalidDataException(
                $"{full}: not a text model (its job's dataset.format is {spec.Dataset?.Format ?? DatasetSpec.Types.Format.Unspecified}, and sampling needs TEXT with a vocabulary in the manifest)");
        }
        return new TextSampler(spec, TextVocabulary.Parse(characters), checkpoint.Model, full);
    }

    /// <summary>
    /// <paramref name="prompt"/> followed by <paramref name="length"/> generated characters.
    /// </summary>
    /// <exception cref="ArgumentException">The prompt is empty or holds a character the model does not know, or an argument is out of range.</exception>
    public string Generate(string prompt, int length, float temperature, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (prompt.Length == 0)
        {
            throw new ArgumentException("--prompt: must hold at least one character");
        }
        if (length < 0)
        {
            throw new ArgumentException($"--length: must be >= 0, got {length}");
        }
        if (!(temperature > 0f && float.IsFinite(temperature)))
        {
            throw new ArgumentException($"--temperature: must be > 0, got {temperature}");
        }
        int[] ids;
        try
        {
            ids = _vocabulary.Encode(prompt);
        }
        catch (ArgumentException unknown)
        {
            throw new ArgumentException($"--prompt: {unknown.Message}", unknown);
        }
        var context = new List<int>(ids);
        var text = new StringBuilder(prompt);
        var random = new SplitMix64(seed, SampleDomain, 0);
        var probabilities = new double[_vocabulary.Count];
        var input = new float[_window];
        for (int generated = 0; generated < length; generated++)
        {
            int width = Math.Min(_window, context.Count);
            for (int i = 0; i < width; i++)
            {
                input[i] = context[context.Count - width + i];
            }
            var model = ModelAt(width, null);
            var outputs = model.Forward(_context, input.AsSpan(0, width), 1);
            int classes = outputs.Length / width;
            // Only the vocabulary's ids are characters (num_classes may reserve more).
            var logits = outputs.Slice((width - 1) * classes, _vocabulary.Count);
            int next = Draw(logits, temperature, probabilities, ref random);
            context.Add(next);
            text.Append(_vocabulary.CharacterOf(next).ToString());
        }
        return text.ToString();
    }

    // probabilities <- softmax(logits / temperature) in double; returns an id drawn from them.
    private static int Draw(ReadOnlySpan<float> logits, float temperature, double[] probabilities, ref SplitMix64 random)
    {
        double max = double.NegativeInfinity;
        for (int i = 0; i < logits.Length; i++)
        {
            max = Math.Max(max, logits[i] / (double)temperature);
        }
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            probabilities[i] = Math.Exp(logits[i] / (double)temperature - max);
            sum += probabilities[i];
        }
        // A uniform double in [0, sum) from the top 53 bits.
        double target = (random.Next() >> 11) * (1.0 / (1UL << 53)) * sum;
        for (int i = 0; i < logits.Length; i++)
        {
            target -= probabilities[i];
            if (target < 0)
            {
                return i;
            }
        }
        return logits.Length - 1;
    }

    private Model ModelAt(int width, string? directory)
    {
        if (_models.TryGetValue(width, out var cached))
        {
            return cached;
        }
        Model model;
        try
        {
            model = ModelFactory.Build(_spec.Model, width, maxBatch: 1);
        }
        catch (ArgumentException error)
        {
            throw new InvalidDataException($"{directory ?? "checkpoint"}: the model does not read {width} characters ({error.Message}); sampling needs a per-step model", error);
        }
        try
        {
            CheckpointTensors.RestoreModel(model.Store, _tensors);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        _models.Add(width, model);
        return model;
    }

    public void Dispose()
    {
        foreach (var model in _models.Values)
        {
            model.Dispose();
        }
    }
}
