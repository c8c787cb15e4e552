using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using DistributedTrainer.Transport;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using static DistributedTrainer.Bench.BenchEnvironment;
using static DistributedTrainer.Bench.ChildProcesses;

namespace DistributedTrainer.Bench;

/// <summary>
/// One gRPC link of the ring, both ways round: 1 MiB messages from a sender to a receiver in two processes on loopback,
/// the receiver consuming each into a buffer of its own (as the ring adds or copies a piece into place).
/// - served by the sender (the ring's link before its direct streams, Worker/Collective/DirectRingStream): the receiver subscribes as a client (the lean h2c handler,
///   <see cref="GrpcChannels"/> with large response streams) and Kestrel writes the messages on the server stream;
/// - served by the receiver: the sender is the lean client and writes them on a client stream into Kestrel.
/// Each way gives MiB/s and each side's CPU time per GiB moved (user + system, from the kernel's counters), which the
/// load of a shared machine disturbs far less than MiB/s.
/// </summary>
internal static class LinkBenchmark
{
    private const int MessageBytes = 1024 * 1024;
    private const string ListeningPrefix = "listening on ";
    private const string ServiceName = "bench.v1.Link";
    private const string BySender = "sender";
    private const string ByReceiver = "receiver";

    private static readonly Marshaller<Blob> BlobMarshaller = Marshallers.Create<Blob>(Blob.Write, Blob.Read);

    private static readonly Method<Blob, Blob> DownMethod = new(MethodType.ServerStreaming, ServiceName, "Down", BlobMarshaller, BlobMarshaller);

    private static readonly Method<Blob, Blob> UpMethod = new(MethodType.ClientStreaming, ServiceName, "Up", BlobMarshaller, BlobMarshaller);

    public static int Run(string[] args)
    {
        if (args is ["--serve"])
        {
            return Serve().GetAwaiter().GetResult();
        }
        int messages = 1024;
        int rounds = 5;
        string[] ways = [BySender, ByReceiver];
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--served-by" && args[i + 1] is BySender or ByReceiver)
            {
                ways = [args[i + 1]];
                continue;
            }
            bool positive = int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value > 0;
            if (args[i] == "--messages" && positive)
            {
                messages = value;
            }
            else if (args[i] == "--rounds" && positive)
            {
                rounds = value;
            }
            else
            {
                throw new ArgumentException(
                    $"Invalid argument: {args[i]} {args[i + 1]} (expected --messages N or --rounds R, both >= 1, or --served-by {BySender}|{ByReceiver})");
            }
        }
        return Measure(messages, rounds, ways).GetAwaiter().GetResult();
    }

    private static async Task<int> Measure(int messages, int rounds, string[] ways)
    {
        string[] command = [.. Self(), "link", "--serve"];
        using Process server = Start(command[0], command[1..]);
        try
        {
            string port = ExpectLine(server, ListeningPrefix)[ListeningPrefix.Length..];
            var address = new Uri($"http://127.0.0.1:{int.Parse(port, CultureInfo.InvariantCulture)}");
            using var channel = GrpcChannels.Create(address, new GrpcChannelSettings
            {
                MaxReceiveMessageSize = 8 * MessageBytes, MaxSendMessageSize = 8 * MessageBytes, LargeResponseStreams = true,
            });
            Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {Environment.ProcessorCount} cores; load average {LoadAverage()}; " +
                $"{messages} messages of 1 MiB per call, {rounds} rounds alternating, medians");
            Console.WriteLine();
            Console.WriteLine("| Served by | MiB/s | Sender CPU s/GiB | Receiver CPU s/GiB | Both, s/GiB | Rounds' both |");
            Console.WriteLine("|---|---:|---:|---:|---:|---|");
            var results = ways.ToDictionary(way => way, _ => new List<(double MiBs, double Sender, double Receiver)>());
            foreach (string way in ways)
            {
                // Past the JIT's tiering (30 calls of a method, then a recompile in the background) before the clock starts.
                await Once(channel, server, way == BySender ? DownMethod : UpMethod, 64);
            }
            for (int round = 0; round < rounds; round++)
            {
                foreach (string way in ways)
                {
                    results[way].Add(await Once(channel, server, way == BySender ? DownMethod : UpMethod, messages));
                }
            }
            foreach (var (way, list) in results)
            {
                double[] both = [.. list.Select(r => r.Sender + r.Receiver)];
                string name = way == BySender ? "the sender (Kestrel)" : "the receiver";
                Console.WriteLine(FormattableString.Invariant(
                    $"| {name} | {Median([.. list.Select(r => r.MiBs)]):F0} | {Median([.. list.Select(r => r.Sender)]):F3} | ") +
                    FormattableString.Invariant($"{Median([.. list.Select(r => r.Receiver)]):F3} | {Median(both):F3} | ") +
                    $"{string.Join(", ", both.Select(b => b.ToString("F3", CultureInfo.InvariantCulture)))} |");
            }
            return 0;
        }
        finally
        {
            server.StandardInput.Close();
            if (!server.WaitForExit(5000))
            {
                server.Kill(entireProcessTree: true);
            }
        }
    }

    // One call of `messages` MiB: MiB/s and the sender's and receiver's CPU seconds per GiB.
    private static async Task<(double MiBs, double Sender, double Receiver)> Once(GrpcChannel channel, Process server,
        Method<Blob, Blob> method, int messages)
    {
        TimeSpan clientBefore = Environment.CpuUsage.TotalTime;
        server.Refresh();
        TimeSpan serverBefore = server.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var invoker = channel.CreateCallInvoker();
        var options = new CallOptions(deadline: DateTime.UtcNow.AddMinutes(5));
        if (method == DownMethod)
        {
            using var call = invoker.AsyncServerStreamingCall(DownMethod, null, options, new Blob { Count = messages });
            int received = 0;
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                received++;
            }
            Check(received, messages);
        }
        else
        {
            using var call = invoker.AsyncClientStreamingCall(UpMethod, null, options);
            var blob = new Blob { Payload = new byte[MessageBytes] };
            for (int i = 0; i < messages; i++)
            {
                await call.RequestStream.WriteAsync(blob);
            }
            await call.RequestStream.CompleteAsync();
            Check((await call.ResponseAsync).Count, messages);
        }
        double seconds = watch.Elapsed.TotalSeconds;
        double client = (Environment.CpuUsage.TotalTime - clientBefore).TotalSeconds;
        server.Refresh();
        double serverCpu = (server.TotalProcessorTime - serverBefore).TotalSeconds;
        double gib = messages / 1024.0;
        // Down: the server sends, the client receives; Up the other way round.
        return method == DownMethod ? (messages / seconds, serverCpu / gib, client / gib) : (messages / seconds, client / gib, serverCpu / gib);
    }

    private static void Check(int received, int sent)
    {
        if (received != sent)
        {
            throw new InvalidOperationException($"{received} messages arrived of {sent}");
        }
    }

    private static async Task<int> Serve()
    {
        var builder = GrpcServerHosting.CreateBuilder(new GrpcEndpointOptions { MaxReceiveMessageSize = 8 * MessageBytes });
        builder.Services.AddSingleton<LinkService>();
        await using var app = builder.Build();
        app.MapGrpcService<LinkService>();
        await app.StartAsync();
        Console.WriteLine($"{ListeningPrefix}{app.BoundAddress().Port}");
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
        return 0;
    }

    /// <summary>
    /// A message of the link: a payload to send, or a count (of messages to send, or received). A received payload is
    /// copied into one buffer per thread, the consumer's copy.
    /// </summary>
    internal sealed class Blob
    {
        private static readonly Blob Received = new();

        [ThreadStatic]
        private static byte[]? t_sink;

        public ReadOnlyMemory<byte> Payload { get; init; }

        public int Count { get; init; }

        public static void Write(Blob blob, SerializationContext context)
        {
            if (blob.Payload.IsEmpty)
            {
                context.Complete(BitConverter.GetBytes(blob.Count));
                return;
            }
            context.SetPayloadLength(blob.Payload.Length);
            IBufferWriter<byte> writer = context.GetBufferWriter();
            writer.Write(blob.Payload.Span);
            context.Complete();
        }

        public static Blob Read(DeserializationContext context)
        {
            ReadOnlySequence<byte> payload = context.PayloadAsReadOnlySequence();
            if (payload.Length == sizeof(int))
            {
                Span<byte> count = stackalloc byte[sizeof(int)];
                payload.CopyTo(count);
                return new Blob { Count = BitConverter.ToInt32(count) };
            }
            t_sink ??= new byte[MessageBytes];
            payload.CopyTo(t_sink);
            return Received;
        }
    }

    /// <summary>
    /// Down (server stream) and Up (client stream) bound by hand, as generated stubs bind: grpc-dotnet takes a handler
    /// only if it is a public virtual method declared on the bound type, hence the unsealed class.
    /// </summary>
    [BindServiceMethod(typeof(LinkService), nameof(BindService))]
    internal class LinkService
    {
        public static void BindService(ServiceBinderBase binder, LinkService? service)
        {
            binder.AddMethod(DownMethod, service is null ? null : service.Down);
            binder.AddMethod(UpMethod, service is null ? null : service.Up);
        }

        public virtual async Task Down(Blob request, IServerStreamWriter<Blob> responses, ServerCallContext context)
        {
            var blob = new Blob { Payload = new byte[MessageBytes] };
            for (int i = 0; i < request.Count; i++)
            {
                await responses.WriteAsync(blob, context.CancellationToken);
            }
        }

        public virtual async Task<Blob> Up(IAsyncStreamReader<Blob> requests, ServerCallContext context)
        {
            int received = 0;
            while (await requests.MoveNext(context.CancellationToken))
            {
                received++;
            }
            return new Blob { Count = received };
        }
    }
}
