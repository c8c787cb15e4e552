using System.Diagnostics;
using System.Runtime.Intrinsics;
using DistributedTrainer.Numerics;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Optimizers;
using DistributedTrainer.Numerics.Schedules;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Training;

namespace DistributedTrainer.Bench;

/// <summary>
/// Memory bandwidth of one Adam step (reads p, m, v, g and writes p, m, v: 28 bytes per parameter) as a
/// fraction of a plain copy moving the same 28 bytes per parameter (14 read, 14 written), measured side by
/// side in one run; and the whole central update (fixed-point mean, norm, Adam) for the reference MLP. Best
/// of several rounds; prints a Markdown table.
/// </summary>
internal static class OptimizerBenchmark
{
    private const int Rounds = 15;
    private const int MlpParameters = 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10;

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        double roundSeconds = quick ? 0.02 : 0.05;
        Console.WriteLine($"Adam step against a copy of the same bytes; best of {Rounds} rounds of >= {roundSeconds * 1000:0} ms; one thread.");
        Console.WriteLine();
        Console.WriteLine("| Parameters | Bytes moved | Adam GB/s | memmove GB/s | Adam / memmove | Vector copy loop GB/s | Adam / loop |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int count in quick ? [MlpParameters] : new[] { MlpParameters, 1 << 20, 1 << 23 })
        {
            double bytes = 28.0 * count;
            var seconds = Best(roundSeconds, AdamStep(count), Copy(count, memmove: true), Copy(count, memmove: false));
            double adam = bytes / seconds[0] / 1e9;
            double copy = bytes / seconds[1] / 1e9;
            double loop = bytes / seconds[2] / 1e9;
            Console.WriteLine($"| {count} | {bytes / 1e6:0.0} MB | {adam:0.0} | {copy:0.0} | {adam / copy:0.00} | {loop:0.0} | {adam / loop:0.00} |");
        }
        Console.WriteLine();
        double update = Best(roundSeconds, CentralUpdate())[0];
        Console.WriteLine($"Central update of the reference MLP ({MlpParameters} parameters: fixed-point mean, global norm, " +
            $"Adam): {update * 1e3:0.000} ms.");
        return 0;
    }

    private static Action AdamStep(int count)
    {
        var adam = new Adam(count, new AdamOptions());
        var parameters = new AlignedBuffer(count);
        var gradients = new AlignedBuffer(count);
        gradients.Span.Fill(1e-3f);
        var views = new[] { new ParameterView("w", 0, [count], ParameterRole.Weight, "layer") };
        return () => adam.Step(parameters.Span, gradients.Span, 1e-3f, views);
    }

    private static Action Copy(int count, bool memmove)
    {
        // 3.5 floats per parameter each way: 14 bytes read and 14 written, Adam's 28 bytes.
        int length = count / 2 * 7;
        var source = new AlignedBuffer(length);
        var destination = new AlignedBuffer(length);
        return memmove ? () => source.Span.CopyTo(destination.Span) : () => CopyLoop(destination.Span, source.Span);
    }

    // destination (N) <- source (N), with the widest vector loads and stores, as the optimizer's loop does.
    private static void CopyLoop(Span<float> destination, ReadOnlySpan<float> source)
    {
        int i = 0;
        for (; i <= source.Length - Vector512<float>.Count; i += Vector512<float>.Count)
        {
            Vector512.Create(source.Slice(i, Vector512<float>.Count)).CopyTo(destination.Slice(i, Vector512<float>.Count));
        }
        source[i..].CopyTo(destination[i..]);
    }

    private static Action CentralUpdate()
    {
        var spec = new ModelSpec
        {
            Layers =
            {
                new LayerSpec { Name = "fc1", Dense = new DenseSpec { Units = 256 } },
                new LayerSpec { Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Relu } },
                new LayerSpec { Name = "fc2", Dense = new DenseSpec { Units = 128 } },
                new LayerSpec { Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Relu } },
                new LayerSpec { Name = "fc3", Dense = new DenseSpec { Units = 10 } },
            },
        };
        var model = ModelFactory.Build(spec, 784, 1);
        var optimizer = OptimizerFactory.Create(new OptimizerSpec { Kind = OptimizerSpec.Types.Kind.Adam, LearningRate = 1e-3f },
            model.Store.Count);
        var updater = new ParameterUpdater(model.Store, optimizer, new ConstantRate(1e-3f), null, null);
        var gradients = new FixedPointAccumulator(model.Store.Count);
        var random = new Random(3);
        var values = new float[model.Store.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (random.NextSingle() - 0.5f) * 1e-2f;
        }
        gradients.Add(values);
        var buffers = new FixedPointAccumulator(0);
        var mean = new StepGradient(model.Store.Count, 0);
        long step = 0;
        return () =>
        {
            mean.Average(gradients, buffers, 128);
            updater.Apply(step++, mean);
        };
    }

    // Best seconds per call of each action over the rounds; each round runs every action in turn, each repeated
    // until it has run about roundSeconds, so all of them see the same load from the machine's other users.
    private static double[] Best(double roundSeconds, params Action[] calls)
    {
        var perRound = new int[calls.Length];
        var best = new double[calls.Length];
        var watch = new Stopwatch();
        for (int c = 0; c < calls.Length; c++)
        {
            calls[c]();
            watch.Restart();
            int count = 0;
            while (watch.Elapsed.TotalSeconds < roundSeconds / 4 || count < 2)
            {
                calls[c]();
                count++;
            }
            perRound[c] = Math.Max(1, (int)Math.Ceiling(count * roundSeconds / watch.Elapsed.TotalSeconds));
            best[c] = double.MaxValue;
        }
        for (int round = 0; round < Rounds; round++)
        {
            for (int c = 0; c < calls.Length; c++)
            {
                watch.Restart();
                for (int i = 0; i < perRound[c]; i++)
                {
                    calls[c]();
                }
                best[c] = Math.Min(best[c], watch.Elapsed.TotalSeconds / perRound[c]);
            }
        }
        return best;
    }
}
