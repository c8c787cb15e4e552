using DistributedTrainer.Bench;

// Dispatcher: `dotnet run -c Release --project Bench -- <benchmark> [options]`.
return args.Length > 0 && args[0] == "gemm"
    ? GemmBenchmark.Run(args[1..])
    : args.Length > 0 && args[0] == "ring" ? RingBenchmark.Run(args[1..])
    : Usage();

static int Usage()
{
    Console.Error.WriteLine("usage: Bench <benchmark> [options]");
    Console.Error.WriteLine("  gemm [--quick] [--threads N]   GEMM GFLOP/s for squares and the MLP's shapes, beside OpenBLAS (N threads each, default 2)");
    return 2;
}
