using System.Diagnostics;
using System.Globalization;
using DistributedTrainer.Numerics;
using DistributedTrainer.Numerics.Kernels;

namespace DistributedTrainer.Bench;

/// <summary>
/// GFLOP/s of <see cref="Gemm.Multiply"/> for square sizes and the MLP's shapes (784-256-128-10 at batch 64,
/// 128 and 512), beside OpenBLAS cblas_sgemm in the same process with the same thread count. Each figure is
/// the best of several timed rounds, since the machine is shared; prints a Markdown table.
/// </summary>
internal static unsafe class GemmBenchmark
{
    private const int DefaultThreads = 2;
    private const int Rounds = 15;

    private delegate void MultiplyCall(float* c, float* a, float* b);

    private sealed record Shape(string Name, int M, int N, int K, bool TransposeA, bool TransposeB, bool Accumulate);

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        int at = Array.IndexOf(args, "--threads");
        int threads = at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : DefaultThreads;
        OpenBlas? blas = OpenBlas.TryLoad(out string reason);
        blas?.SetThreads(threads);
        ComputeThreads.Count = threads;
        double roundSeconds = quick ? 0.02 : 0.05;
        // On a machine with 512-bit vectors, also time the 256-bit kernels: what an AVX2-only machine would run.
        bool also256 = GemmInstructionSets.Best > GemmInstructionSet.Vector256
            && GemmInstructionSets.IsSupported(GemmInstructionSet.Vector256);

        Console.WriteLine($"Gemm: {GemmInstructionSets.Best} kernels, {threads} threads; " +
            (blas is null ? $"OpenBLAS skipped: {reason}" : $"OpenBLAS core {blas.CoreName}, {threads} threads"));
        Console.WriteLine($"Best of {Rounds} rounds of >= {roundSeconds * 1000:0} ms each.");
        Console.WriteLine();
        Console.WriteLine("| Shape | M x N x K | Gemm GFLOP/s | OpenBLAS GFLOP/s | Ratio |" +
            (also256 ? " Gemm 256-bit GFLOP/s | Ratio 256-bit |" : ""));
        Console.WriteLine("|---|---|---:|---:|---:|" + (also256 ? "---:|---:|" : ""));
        foreach (Shape shape in Shapes(quick))
        {
            double ours = Measure(shape, roundSeconds, (c, a, b) => Multiply(GemmInstructionSets.Best, threads, shape, c, a, b));
            double theirs = blas is null ? double.NaN : Measure(shape, roundSeconds, (c, a, b) =>
                blas.Multiply(c, a, b, shape.M, shape.N, shape.K, shape.TransposeA, shape.TransposeB, shape.Accumulate));
            string row = $"| {shape.Name} | {shape.M} x {shape.N} x {shape.K} | {Format(ours)} | {Format(theirs)} | " +
                $"{Ratio(ours, theirs)} |";
            if (also256)
            {
                double narrow = Measure(shape, roundSeconds, (c, a, b) =>
                    Multiply(GemmInstructionSet.Vector256, threads, shape, c, a, b));
                row += $" {Format(narrow)} | {Ratio(narrow, theirs)} |";
            }
            Console.WriteLine(row);
        }
        return 0;
    }

    private static void Multiply(GemmInstructionSet set, int threads, Shape shape, float* c, float* a, float* b) =>
        Gemm.Multiply(set, threads, new Span<float>(c, shape.M * shape.N), new ReadOnlySpan<float>(a, shape.M * shape.K),
            new ReadOnlySpan<float>(b, shape.K * shape.N), shape.M, shape.N, shape.K, shape.TransposeA,
            shape.TransposeB, shape.Accumulate);

    private static string Format(double gflops) =>
        double.IsNaN(gflops) ? "-" : gflops.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Ratio(double ours, double theirs) =>
        double.IsNaN(theirs) ? "-" : (ours / theirs).ToString("0.00", CultureInfo.InvariantCulture);

    private static IEnumerable<Shape> Shapes(bool quick)
    {
        foreach (int size in quick ? [256, 512] : new[] { 256, 512, 1024, 2048 })
        {
            yield return new Shape("square", size, size, size, false, false, false);
        }
        // Layers (in, out) of the 784-256-128-10 MLP; y = x W^T, dW += dY^T x, dX = dY W (Dense's three GEMMs).
        (int In, int Out)[] layers = [(784, 256), (256, 128), (128, 10)];
        foreach (int batch in quick ? [64] : new[] { 64, 128, 512 })
        {
            foreach ((int input, int output) in layers)
            {
                yield return new Shape($"B={batch} {input}->{output} forward y = x W^T", batch, output, input, false, true, false);
            }
            foreach ((int input, int output) in layers)
            {
                yield return new Shape($"B={batch} {input}->{output} dW += dY^T x", output, input, batch, true, false, true);
            }
            foreach ((int input, int output) in layers)
            {
                yield return new Shape($"B={batch} {input}->{output} dX = dY W", batch, input, output, false, false, false);
            }
        }
    }

    // Best GFLOP/s over the rounds; each round repeats the call until it has run roundSeconds.
    private static double Measure(Shape shape, double roundSeconds, MultiplyCall multiply)
    {
        using var a = new AlignedBuffer(shape.M * shape.K);
        using var b = new AlignedBuffer(shape.K * shape.N);
        using var c = new AlignedBuffer(shape.M * shape.N);
        var random = new Random(7);
        foreach (AlignedBuffer buffer in new[] { a, b, c })
        {
            Span<float> values = buffer.Span;
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (random.NextSingle() * 2f) - 1f;
            }
        }
        void Once() => multiply(c.Pointer, a.Pointer, b.Pointer);

        Once();
        var watch = Stopwatch.StartNew();
        int calls = 0;
        while (watch.Elapsed.TotalSeconds < roundSeconds / 4 || calls < 2)
        {
            Once();
            calls++;
        }
        int perRound = Math.Max(1, (int)Math.Ceiling(calls * roundSeconds / watch.Elapsed.TotalSeconds));
        double best = 0;
        for (int round = 0; round < Rounds; round++)
        {
            watch.Restart();
            for (int i = 0; i < perRound; i++)
            {
                Once();
            }
            double flops = 2.0 * shape.M * shape.N * shape.K * perRound;
            best = Math.Max(best, flops / watch.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }
}
