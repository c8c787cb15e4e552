using DistributedTrainer.Transport;
using System.Diagnostics;
using System.Globalization;
using DistributedTrainer.Bench.Protos;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;

namespace DistributedTrainer.Bench;

/// <summary>
/// One bidirectional gRPC stream of 1 MiB messages from this process (Grpc.Net.Client) to a server in another
/// process: Grpc.AspNetCore on Kestrel (this program started with <c>stream --serve</c>) and, side by side in
/// the same run, a Python grpcio server (C-core) receiving the same stream. The server answers once, at the end,
/// with the bytes it received; the time runs from the call's start to that answer. Beside MiB/s, each server's CPU
/// time per GiB received over the timed rounds.
/// </summary>
internal static class StreamBenchmark
{
    private const int MessageBytes = 1024 * 1024;
    private const string ListeningPrefix = "listening on ";

    // grpcio's generic handler sees raw bytes; its reply is a Chunk with field 2 (received_bytes) as a varint.
    private const string PythonServer = """
        import sys
        from concurrent import futures
        import grpc

        def varint(value):
            out = bytearray()
            while True:
                byte = value & 0x7F
                value >>= 7
                out.append(byte | (0x80 if value else 0))
                if not value:
                    return bytes(out)

        def pipe(requests, context):
            total = 0
            for message in requests:
                total += len(message) - 4  # field 1 tag and 3-byte length of a 1 MiB bytes field
            yield b"\x10" + varint(total)

        handler = grpc.method_handlers_generic_handler("bench.v1.StreamBench", {"Pipe": grpc.stream_stream_rpc_method_handler(pipe)})
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=[("grpc.max_receive_message_length", 8 << 20)])
        server.add_generic_rpc_handlers((handler,))
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        print("listening on %d" % port, flush=True)
        sys.stdin.read()
        server.stop(0)
        """;

    public static int Run(string[] args)
    {
        if (args is ["--serve"])
        {
            return Serve().GetAwaiter().GetResult();
        }
        int messages = 512;
        int rounds = 5;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            int value = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--messages" && value > 0)
            {
                messages = value;
            }
            else if (args[i] == "--rounds" && value > 0)
            {
                rounds = value;
            }
            else
            {
                throw new ArgumentException($"Invalid argument: {args[i]} {args[i + 1]} (expected --messages N or --rounds R, both >= 1)");
            }
        }
        return Measure(messages, rounds).GetAwaiter().GetResult();
    }

    private static async Task<int> Measure(int messages, int rounds)
    {
        string script = Path.Combine(Path.GetTempPath(), $"stream_bench_server.{Environment.ProcessId}.py");
        await File.WriteAllTextAsync(script, PythonServer);
        using var csharp = await StartServer("dotnet", [typeof(StreamBenchmark).Assembly.Location, "stream", "--serve"]);
        using var python = await StartServer("/usr/bin/python3", [script]);
        try
        {
            Console.WriteLine($"one bidirectional stream, {messages} messages of 1 MiB, best of {rounds} rounds (after one warm-up each)");
            var best = new Dictionary<string, double>();
            foreach (var (name, server) in new[] { ("C# client -> C# server (Kestrel)", csharp), ("C# client -> Python grpcio server", python) })
            {
                using var channel = GrpcChannels.Create(new Uri($"http://127.0.0.1:{server.Port}"), new GrpcChannelSettings { MaxSendMessageSize = 8 * MessageBytes });
                await SendOnce(channel, 16);
                double fastest = 0;
                TimeSpan cpu = server.Cpu;
                for (int round = 0; round < rounds; round++)
                {
                    fastest = Math.Max(fastest, await SendOnce(channel, messages));
                }
                double gib = rounds * (double)messages / 1024;
                best[name] = fastest;
                Console.WriteLine($"{name,-36} {fastest,8:F0} MiB/s   server CPU {(server.Cpu - cpu).TotalSeconds / gib,5:F2} s/GiB");
            }
            Console.WriteLine($"ratio C# server / Python server: {best.Values.First() / best.Values.Last():F2}");
            return 0;
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>Streams <paramref name="messages"/> MiB and returns MiB/s.</summary>
    private static async Task<double> SendOnce(GrpcChannel channel, int messages)
    {
        var chunk = new Chunk { Data = ByteString.CopyFrom(new byte[MessageBytes]) };
        var watch = Stopwatch.StartNew();
        using var call = new StreamBench.StreamBenchClient(channel).Pipe(deadline: DateTime.UtcNow.AddMinutes(5));
        for (int i = 0; i < messages; i++)
        {
            await call.RequestStream.WriteAsync(chunk);
        }
        await call.RequestStream.CompleteAsync();
        if (!await call.ResponseStream.MoveNext(CancellationToken.None) || call.ResponseStream.Current.ReceivedBytes != (long)messages * MessageBytes)
        {
            throw new InvalidOperationException($"The server did not confirm {messages} MiB.");
        }
        return messages / watch.Elapsed.TotalSeconds;
    }

    private static async Task<int> Serve()
    {
        var builder = GrpcServerHosting.CreateBuilder(new GrpcEndpointOptions { MaxReceiveMessageSize = 8 * MessageBytes });
        await using var app = builder.Build();
        app.MapGrpcService<PipeService>();
        await app.StartAsync();
        Console.WriteLine($"{ListeningPrefix}{app.BoundAddress().Port}");
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
        return 0;
    }

    private static async Task<ServerProcess> StartServer(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["no_grpc_proxy"] = "*";
        var process = Process.Start(start)!;
        string? line = await process.StandardOutput.ReadLineAsync();
        if (line is null || !line.StartsWith(ListeningPrefix, StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{program} did not start a server (first line: '{line}').");
        }
        return new ServerProcess(process, int.Parse(line[ListeningPrefix.Length..], CultureInfo.InvariantCulture));
    }

    /// <summary>A server child process; closing its stdin stops it.</summary>
    private sealed class ServerProcess(Process process, int port) : IDisposable
    {
        public int Port => port;

        /// <summary>The server's user + system CPU time so far: the load of a shared machine disturbs it far less than MiB/s.</summary>
        public TimeSpan Cpu
        {
            get
            {
                process.Refresh();
                return process.TotalProcessorTime;
            }
        }

        public void Dispose()
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(5000))
            {
                process.Kill(entireProcessTree: true);
            }
            process.Dispose();
        }
    }

    /// <summary>Counts the bytes of a stream's chunks and answers once with the total.</summary>
    private sealed class PipeService : StreamBench.StreamBenchBase
    {
        public override async Task Pipe(IAsyncStreamReader<Chunk> requestStream, IServerStreamWriter<Chunk> responseStream, ServerCallContext context)
        {
            long total = 0;
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                total += requestStream.Current.Data.Length;
            }
            await responseStream.WriteAsync(new Chunk { ReceivedBytes = total }, context.CancellationToken);
        }
    }
}
