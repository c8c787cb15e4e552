using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DistributedTrainer.Numerics;
using DistributedTrainer.Numerics.Kernels;
using DistributedTrainer.Numerics.Layers;

namespace DistributedTrainer.Bench;

/// <summary>
/// GFLOP/s (2 per multiply-add, padding taps included, as is usual) of the two convolution paths, im2col + GEMM
/// and direct, for each LeNet-5 layer at batch 128: forward, input gradient and weight gradient apart, on 1 and
/// 2 threads, each also as a fraction of the FMA peak measured in the same rounds (<see cref="FmaPeak"/>), beside
/// PyTorch's conv2d forward and backward on the same shapes (Bench/pytorch_conv.py). The machine is shared, so
/// the kernels and the peak loop take turns round by round and each figure is its best round; prints Markdown.
/// </summary>
internal static class ConvBenchmark
{
    private const string Python = "/usr/bin/python3";
    private const int Batch = 128;

    private enum Pass
    {
        Forward,
        InputGradient,
        WeightGradient,
    }

    private sealed record Layer(string Name, ImageShape Input, int OutChannels, WindowGeometry Window)
    {
        public long MultiplyAdds => (long)Batch * Window.OutputShape(Input, OutChannels).Size * Input.Channels * Window.Kernel *
            Window.Kernel;
    }

    // examples/fashion-mnist-lenet5.yaml: conv1 1x28x28 -> 6x28x28 (5x5, padding 2); conv2 6x14x14 -> 16x10x10 (5x5).
    private static readonly Layer[] Layers =
    [
        new("conv1 1->6 28x28 pad 2", new ImageShape(1, 28, 28), 6, new WindowGeometry(5, 1, 2, 1)),
        new("conv2 6->16 14x14", new ImageShape(6, 14, 14), 16, new WindowGeometry(5, 1, 0, 1)),
    ];

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick"), torch = !args.Contains("--no-pytorch") && File.Exists(Python);
        // Short rounds, many of them: on a shared machine a 2 ms round often runs without being descheduled, so the
        // best round estimates the kernel alone; a longer round almost never does.
        const double roundSeconds = 0.002;
        int rounds = int.Parse(BenchEnvironment.Option(args, "--rounds") ?? (quick ? "30" : "150"), CultureInfo.InvariantCulture);
        int[] threadCounts = [1, 2];
        GemmInstructionSet best = GemmInstructionSets.Best;
        if (best < GemmInstructionSet.Vector256)
        {
            Console.WriteLine($"Conv: skipped, the direct kernels' vector rows need 256-bit vectors ({best} here).");
            return 0;
        }
        bool also256 = best > GemmInstructionSet.Vector256;
        GemmInstructionSet[] sets = also256 ? [best, GemmInstructionSet.Vector256] : [best];
        int saved = ComputeThreads.Count;
        try
        {
            Console.WriteLine($"Conv: batch {Batch}, {best} kernels, {Environment.ProcessorCount} cores, load average " +
                $"{BenchEnvironment.LoadAverage()} (before). Each row times its kernels and the FMA peak in turn, round by " +
                $"round, so all see the same load; best of {rounds} rounds of >= {roundSeconds * 1000:0} ms each; % of " +
                "the best peak round of the whole run.");
            var peak = new Dictionary<(GemmInstructionSet, int), double>();
            var rows = new List<(Layer Layer, Pass Pass, int Threads, double[] Figures)>();
            foreach (Layer layer in Layers)
            {
                foreach (Pass pass in Enum.GetValues<Pass>())
                {
                    foreach (int threads in threadCounts)
                    {
                        ComputeThreads.Count = threads;
                        // Per set: im2col, direct, FMA peak.
                        var cases = new List<Case>();
                        foreach (GemmInstructionSet set in sets)
                        {
                            cases.Add(Kernel(layer, pass, im2col: true, set, threads));
                            cases.Add(Kernel(layer, pass, im2col: false, set, threads));
                            cases.Add(Peak(set, threads));
                        }
                        double[] figures = Interleave(cases, rounds, roundSeconds);
                        foreach (Case done in cases)
                        {
                            done.Dispose();
                        }
                        for (int i = 0; i < sets.Length; i++)
                        {
                            peak[(sets[i], threads)] = Math.Max(peak.GetValueOrDefault((sets[i], threads)), figures[(3 * i) + 2]);
                        }
                        rows.Add((layer, pass, threads, figures));
                    }
                }
            }
            foreach (GemmInstructionSet set in sets)
            {
                foreach (int threads in threadCounts)
                {
                    Console.WriteLine($"FMA peak, {set}, {threads} thread(s): {Format(peak[(set, threads)])} GFLOP/s " +
                        "(best round; 12 independent FMA chains per thread, no loads)");
                }
            }
            Console.WriteLine();
            Console.WriteLine("| Layer | Pass | Threads | MFLOP | im2col+GEMM GFLOP/s (% peak) | direct GFLOP/s (% peak) | direct / im2col |" +
                (also256 ? " im2col 256-bit GFLOP/s (% 256-bit peak) | direct 256-bit GFLOP/s (% 256-bit peak) | direct / im2col 256-bit |" : ""));
            Console.WriteLine("|---|---|---:|---:|---:|---:|---:|" + (also256 ? "---:|---:|---:|" : ""));
            foreach ((Layer layer, Pass pass, int threads, double[] f) in rows)
            {
                string row = $"| {layer.Name} | {pass} | {threads} | {2 * layer.MultiplyAdds / 1e6:0.0} |";
                for (int i = 0; i < sets.Length; i++)
                {
                    double top = peak[(sets[i], threads)], im2col = f[3 * i], direct = f[(3 * i) + 1];
                    row += $" {Format(im2col)} ({Percent(im2col, top)}) | {Format(direct)} ({Percent(direct, top)}) | {direct / im2col:0.00} |";
                }
                Console.WriteLine(row);
            }
            Console.WriteLine();
            Console.WriteLine($"Load average after: {BenchEnvironment.LoadAverage()}");
            if (torch)
            {
                PrintPyTorch(rounds, threadCounts);
            }
            else
            {
                Console.WriteLine("PyTorch skipped (--no-pytorch or no /usr/bin/python3).");
            }
        }
        finally
        {
            ComputeThreads.Count = saved;
        }
        return 0;
    }

    // One timed thing: a call and the flops it does, with whatever buffers it owns.
    private sealed class Case(Action once, double flops, IDisposable[] owned) : IDisposable
    {
        public Action Once { get; } = once;

        public double Flops { get; } = flops;

        public void Dispose()
        {
            foreach (IDisposable item in owned)
            {
                item.Dispose();
            }
        }
    }

    // Best GFLOP/s of each case: each round runs every case in turn, each repeating its call for roundSeconds.
    private static double[] Interleave(List<Case> cases, int rounds, double roundSeconds)
    {
        int[] perRound = new int[cases.Count];
        double[] best = new double[cases.Count];
        var watch = new Stopwatch();
        for (int i = 0; i < cases.Count; i++)
        {
            cases[i].Once();
            watch.Restart();
            int calls = 0;
            while (watch.Elapsed.TotalSeconds < roundSeconds / 4 || calls < 2)
            {
                cases[i].Once();
                calls++;
            }
            perRound[i] = Math.Max(1, (int)Math.Ceiling(calls * roundSeconds / watch.Elapsed.TotalSeconds));
        }
        for (int round = 0; round < rounds; round++)
        {
            for (int i = 0; i < cases.Count; i++)
            {
                watch.Restart();
                for (int call = 0; call < perRound[i]; call++)
                {
                    cases[i].Once();
                }
                best[i] = Math.Max(best[i], cases[i].Flops * perRound[i] / watch.Elapsed.TotalSeconds / 1e9);
            }
        }
        return best;
    }

    private static Case Peak(GemmInstructionSet set, int threads) =>
        new(() => FmaPeak.Run(set, threads), FmaPeak.Flops(set, threads), []);

    // One pass of one path, its inputs filled and whatever the pass before leaves already in place.
    private static Case Kernel(Layer layer, Pass pass, bool im2col, GemmInstructionSet set, int threads)
    {
        ImageShape input = layer.Input, output = layer.Window.OutputShape(input, layer.OutChannels);
        WindowGeometry window = layer.Window;
        int outChannels = layer.OutChannels, weights = outChannels * input.Channels * window.Kernel * window.Kernel;
        var x = Filled(Batch * input.Size, 1);
        var dx = new AlignedBuffer(Batch * input.Size);
        var y = new AlignedBuffer(Batch * output.Size);
        var dy = Filled(Batch * output.Size, 2);
        var w = Filled(weights, 3);
        var dw = new AlignedBuffer(weights);
        var bias = Filled(outChannels, 4);
        var biasGradient = new AlignedBuffer(outChannels);
        var columns = new AlignedBuffer(im2col ? (int)Im2ColConvolution.ColumnsLength(input, window, Batch) : 0);
        var product = new AlignedBuffer(im2col ? Batch * output.Size : 0);
        Action once = (im2col, pass) switch
        {
            (true, Pass.Forward) => () => Im2ColConvolution.Forward(set, threads, y.Span, columns.Span, product.Span, x.Span,
                w.Span, bias.Span, Batch, input, outChannels, window),
            // The layer's backward reorders dY once for both GEMMs; it is timed with the weight gradient, and both
            // reuse what the pass before left (the columns of the forward pass, the reordered dY).
            (true, Pass.WeightGradient) => () => Im2ColConvolution.BackwardWeight(set, threads, dw.Span, biasGradient.Span,
                product.Span, dy.Span, columns.Span, Batch, input, outChannels, window),
            (true, _) => () => Im2ColConvolution.BackwardData(set, threads, dx.Span, columns.Span, product.Span, w.Span, Batch,
                input, outChannels, window),
            (false, Pass.Forward) => () => DirectConvolution.Forward(set, threads, y.Span, x.Span, w.Span, bias.Span, Batch,
                input, outChannels, window),
            (false, Pass.WeightGradient) => () => DirectConvolution.BackwardWeight(set, threads, dw.Span, dy.Span, x.Span,
                Batch, input, outChannels, window),
            (false, _) => () => DirectConvolution.BackwardData(set, threads, dx.Span, dy.Span, w.Span, Batch, input,
                outChannels, window),
        };
        if (im2col)
        {
            Im2ColConvolution.Forward(set, threads, y.Span, columns.Span, product.Span, x.Span, w.Span, bias.Span, Batch,
                input, outChannels, window);
            Im2ColConvolution.BackwardWeight(set, threads, dw.Span, biasGradient.Span, product.Span, dy.Span, columns.Span,
                Batch, input, outChannels, window);
        }
        return new Case(once, 2.0 * layer.MultiplyAdds, [x, dx, y, dy, w, dw, bias, biasGradient, columns, product]);
    }

    private static AlignedBuffer Filled(int length, int seed)
    {
        var buffer = new AlignedBuffer(length);
        var random = new Random(seed);
        Span<float> values = buffer.Span;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (random.NextSingle() * 2f) - 1f;
        }
        return buffer;
    }

    // PyTorch's conv2d on the same shapes and batch: forward, input gradient and weight gradient apart
    // (aten::convolution_backward with one output each), one process per thread count.
    private static void PrintPyTorch(int rounds, int[] threadCounts)
    {
        Console.WriteLine();
        Console.WriteLine("| Layer | Pass | Threads | PyTorch GFLOP/s |");
        Console.WriteLine("|---|---|---:|---:|");
        string script = Path.Combine(AppContext.BaseDirectory, "pytorch_conv.py");
        foreach (int threads in threadCounts)
        {
            var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, UseShellExecute = false };
            start.ArgumentList.Add(script);
            start.ArgumentList.Add("--threads");
            start.ArgumentList.Add(threads.ToString(CultureInfo.InvariantCulture));
            start.ArgumentList.Add("--rounds");
            start.ArgumentList.Add(rounds.ToString(CultureInfo.InvariantCulture));
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Python}.");
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                Console.WriteLine($"PyTorch: {Python} {script} exited with code {process.ExitCode}.");
                return;
            }
            foreach (JsonElement row in JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement.EnumerateArray())
            {
                Console.WriteLine($"| {Layers[row.GetProperty("layer").GetInt32()].Name} | {row.GetProperty("pass").GetString()} | " +
                    $"{threads} | {Format(row.GetProperty("gflops").GetDouble())} |");
            }
        }
        Console.WriteLine($"PyTorch {Python}; load average after: {BenchEnvironment.LoadAverage()}");
    }

    private static string Format(double gflops) =>
        double.IsNaN(gflops) ? "-" : gflops.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Percent(double gflops, double peak) =>
        double.IsNaN(peak) ? "-" : (100 * gflops / peak).ToString("0", CultureInfo.InvariantCulture) + " %";
}
