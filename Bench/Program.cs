using DistributedTrainer.Bench;

// Dispatcher: `dotnet run -c Release --project Bench -- <benchmark> [options]`. Help asked for anywhere prints the
// usage: `soak --help` used to start a 5-minute soak, as every benchmark reads only the options it knows.
return args.Length == 0 || args.Any(arg => arg is "-h" or "--help" or "-?") ? Usage() : args[0] switch
{
    "gemm" => GemmBenchmark.Run(args[1..]),
    "conv" => ConvBenchmark.Run(args[1..]),
    "train" => TrainBenchmark.Run(args[1..]),
    "optimizer" => OptimizerBenchmark.Run(args[1..]),
    "stream" => StreamBenchmark.Run(args[1..]),
    "link" => LinkBenchmark.Run(args[1..]),
    "ring" => RingBenchmark.Run(args[1..]),
    "tracing" => TracingBenchmark.Run(args[1..]),
    "cluster" => ClusterBenchmark.Run(args[1..]),
    "elastic" => ElasticBenchmark.Run(args[1..]),
    "straggler" => StragglerBenchmark.Run(args[1..]),
    "scaling" => ScalingBenchmark.Run(args[1..]),
    "soak" => SoakBenchmark.Run(args[1..]),
    "data" => DataBenchmark.Run(args[1..]),
    "gan-score" => GanScoreBenchmark.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Bench <benchmark> [options]");
    Console.Error.WriteLine("  gemm [--quick] [--threads N]   GEMM GFLOP/s for squares and the MLP's shapes, beside OpenBLAS (N threads each, default 2)");
    Console.Error.WriteLine("  conv [--quick] [--rounds R] [--no-pytorch]   conv kernels (im2col+GEMM, direct) per LeNet-5 layer in GFLOP/s and % of FMA peak, 1 and 2 threads, beside PyTorch");
    Console.Error.WriteLine("  train [--quick] [--steps N] [--profile] [--accuracy] [--no-pytorch] [--spec FILE]");
    Console.Error.WriteLine("                                 training samples/s of the reference MLP beside PyTorch; --profile: phase profile of a step;");
    Console.Error.WriteLine("                                 --accuracy: training time to 88 % test accuracy");
    Console.Error.WriteLine("                                 --spec examples/fashion-mnist-lenet5.yaml: LeNet-5, beside PyTorch's LeNet-5");
    Console.Error.WriteLine("  train --device cuda[:N]|cpu-accelerator [--quick] [--steps N] [--no-pytorch] [--spec FILE]");
    Console.Error.WriteLine("                                 samples/s on the device kernels (batch 128 and 512) beside PyTorch on CUDA (CPU for the accelerator)");
    Console.Error.WriteLine("  optimizer [--quick]            Adam step bandwidth as a fraction of a copy of the same bytes; the MLP's central update");
    Console.Error.WriteLine("  stream [--messages N] [--rounds R]   one bidi stream of 1 MiB messages: C# server vs Python grpcio server, MiB/s");
    Console.Error.WriteLine("  link [--messages N] [--rounds R] [--served-by direct|sender|receiver|tcp]   one ring link of 1 MiB messages served by the sender outside Kestrel (as workers serve the ring), by the sender through Kestrel, by the receiver, and raw TCP beside them (Python sockets): MiB/s, CPU s/GiB");
    Console.Error.WriteLine("  ring [--quick] [--ranks 2,3,4] [--sizes 1,4,16,64] [--piece-bytes N] [--values wide|gradient] [--rounds R] [--sender sharedmemory|direct|kestrel]   ring all-reduce time and bus bandwidth, 2-4 processes, beside PyTorch gloo; the links through /dev/shm as `trainctl local`'s workers (default on Linux) or over loopback TCP");
    Console.Error.WriteLine("  tracing [--quick]              training samples/s and loopback unary calls/s with and without telemetry to JSON-lines files");
    Console.Error.WriteLine("  cluster [--quick] [--workers 2,3] [--threads-per-worker T] [--micro-shard N|per-worker] [--pin] [--trainctl PATH]   training samples/s of trainctl local (W workers x T threads, default 1) beside PyTorch DDP on gloo (W x 1)");
    Console.Error.WriteLine("  elastic [--steps N] [--kill-at K] [--silent] [--spec FILE]   recovery after losing one of 3 workers mid-step");
    Console.Error.WriteLine("  straggler [--workers W] [--batches 128,512] [--steps N] [--warmup N] [--rounds R] [--slow FACTOR] [--spec FILE]");
    Console.Error.WriteLine("                                 samples/s of W workers (default 2) beside the same with one FACTOR times slower");
    Console.Error.WriteLine("  scaling [--workers 1,2,4,8] [--per-worker 64,256] [--networks loopback,shaped] [--rate 10gbit] [--delay-us 50]");
    Console.Error.WriteLine("                                 weak scaling of W worker processes whose computation is a measured wait, on loopback and");
    Console.Error.WriteLine("                                 on network namespaces with shaped links (root); efficiency per worker against 1 worker");
    Console.Error.WriteLine("  soak [--minutes M] [--seed S]  chaos soak: 3 worker processes and a coordinator under random kills, pauses,");
    Console.Error.WriteLine("                                 restarts, delayed and cut connections; every job bitwise equal to trainctl train");
    Console.Error.WriteLine("  data [--gigabytes G] [--steps N] [--dir DIR]   a G GB (default 8) sharded data set: 2 workers train N steps (default 200);");
    Console.Error.WriteLine("                                 peak RSS of each process, cold read throughput beside dd; the data set is deleted after");
    Console.Error.WriteLine("  gan-score --classifier CKPT --generator CKPT [--count N] [--seed S]   a trained classifier's confidence, class spread");
    Console.Error.WriteLine("                                 and Inception-like score over N GAN samples (default 10000) and the real test images");
    return 2;
}
