using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using DistributedTrainer.Training.Collective;
using DistributedTrainer.Transport;
using DistributedTrainer.Worker.Collective;
using DistributedTrainer.Worker.Control;
using DistributedTrainer.Worker.Direct;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using static DistributedTrainer.Bench.BenchEnvironment;
using static DistributedTrainer.Bench.ChildProcesses;

namespace DistributedTrainer.Bench;

/// <summary>
/// One link of the ring, four ways: 1 MiB messages from a sender to a receiver in two processes on loopback,
/// the receiver consuming each into a buffer of its own (as the ring adds or copies a piece into place).
/// - direct (the ring's link as workers serve it): the receiver subscribes to trainer.v1.Collective as a worker's ring
///   does (<see cref="GrpcRingTransport"/> on the lean h2c handler) and the sender's <see cref="DirectRingStream"/>
///   writes ring pieces on the connection outside Kestrel;
/// - served by the sender through Kestrel (the ring's link before its direct streams): the receiver subscribes as a
///   client (the lean h2c handler, <see cref="GrpcChannels"/> with large response streams) and Kestrel writes the
///   messages on the server stream;
/// - served by the receiver: the sender is the lean client and writes them on a client stream into Kestrel;
/// - raw TCP (Bench/tcp_link.py, Python sockets, no gRPC or HTTP/2): the floor the kernel's copies and TCP set, where
///   Debian's python3 is installed.
/// Each way gives MiB/s and each side's CPU time per GiB moved (user + system, from the kernel's counters), which the
/// load of a shared machine disturbs far less than MiB/s.
/// </summary>
internal static class LinkBenchmark
{
    private const int MessageBytes = 1024 * 1024;
    private const string ListeningPrefix = "listening on ";
    private const string ServiceName = "bench.v1.Link";
    private const string Direct = "direct";
    private const string BySender = "sender";
    private const string ByReceiver = "receiver";
    private const string RawTcp = "tcp";
    private const string Python = "/usr/bin/python3";

    private static readonly Marshaller<Blob> BlobMarshaller = Marshallers.Create<Blob>(Blob.Write, Blob.Read);

    private static readonly Method<Blob, Blob> DownMethod = new(MethodType.ServerStreaming, ServiceName, "Down", BlobMarshaller, BlobMarshaller);

    private static readonly Method<Blob, Blob> UpMethod = new(MethodType.ClientStreaming, ServiceName, "Up", BlobMarshaller, BlobMarshaller);

    // Direct: the count of pieces in, the number of the ring job that will carry them out.
    private static readonly Method<Blob, Blob> PrepareDirectMethod = new(MethodType.Unary, ServiceName, "PrepareDirect", BlobMarshaller, BlobMarshaller);

    public static int Run(string[] args)
    {
        if (args is ["--serve"])
        {
            return Serve().GetAwaiter().GetResult();
        }
        int messages = 1024;
        int rounds = 5;
        bool python = File.Exists(Python);
        string[] ways = python ? [Direct, BySender, ByReceiver, RawTcp] : [Direct, BySender, ByReceiver];
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--served-by" && args[i + 1] is Direct or BySender or ByReceiver or RawTcp)
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
                    $"Invalid argument: {args[i]} {args[i + 1]} (expected --messages N or --rounds R, both >= 1, or --served-by {Direct}|{BySender}|{ByReceiver}|{RawTcp})");
            }
        }
        if (!python)
        {
            Console.WriteLine($"{Python} not found: the raw TCP row is left out (apt-get install python3).");
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
            using var ringChannel = GrpcChannels.Create(address, RingLink.ChannelSettings);
            var results = ways.ToDictionary(way => way, _ => new List<(double MiBs, double Sender, double Receiver)>());
            foreach (string way in ways)
            {
                // Past the JIT's tiering (30 calls of a method, then a recompile in the background) before the clock starts.
                await Once(channel, ringChannel, server, way, 64);
            }
            for (int round = 0; round < rounds; round++)
            {
                foreach (string way in ways)
                {
                    results[way].Add(await Once(channel, ringChannel, server, way, messages));
                }
            }
            foreach (var (way, list) in results)
            {
                double[] both = [.. list.Select(r => r.Sender + r.Receiver)];
                string name = way switch
                {
                    Direct => "the sender (direct)", BySender => "the sender (Kestrel)", ByReceiver => "the receiver", _ => "raw TCP, no gRPC (Python sockets)",
                };
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

    // One call of `messages` MiB one way: MiB/s and the sender's and receiver's CPU seconds per GiB.
    private static async Task<(double MiBs, double Sender, double Receiver)> Once(GrpcChannel channel, GrpcChannel ringChannel,
        Process server, string way, int messages)
    {
        if (way == RawTcp)
        {
            return RawTcpOnce(messages);
        }
        TimeSpan clientBefore = Environment.CpuUsage.TotalTime;
        server.Refresh();
        TimeSpan serverBefore = server.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var invoker = channel.CreateCallInvoker();
        var options = new CallOptions(deadline: DateTime.UtcNow.AddMinutes(5));
        if (way == Direct)
        {
            Blob job = await invoker.AsyncUnaryCall(PrepareDirectMethod, null, options, new Blob { Count = messages });
            // Rank 1 of a two-rank ring that only receives: its own Collective service never hears from rank 0.
            await using var transport = GrpcRingTransport.Open(new CollectiveService(), ringChannel, DirectJobId(job.Count), rank: 1, size: 2);
            var sink = new PieceSink();
            for (int i = 0; i < messages; i++)
            {
                await transport.ReceiveAsync(sink, CancellationToken.None);
            }
            Check(sink.Received, messages);
        }
        else if (way == BySender)
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
        // Direct and Down: the server sends, the client receives; Up the other way round.
        return way == ByReceiver ? (messages / seconds, client / gib, serverCpu / gib) : (messages / seconds, serverCpu / gib, client / gib);
    }

    // The floor: both ends are the script's processes, each timing its own CPU over the transfer.
    private static (double MiBs, double Sender, double Receiver) RawTcpOnce(int messages)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "tcp_link.py");
        using Process python = Start(Python, [script, messages.ToString(CultureInfo.InvariantCulture)]);
        string[] parts = ExpectLine(python, "result ").Split(' ');
        python.WaitForExit();
        double seconds = double.Parse(parts[1], CultureInfo.InvariantCulture);
        double gib = messages / 1024.0;
        return (messages / seconds, double.Parse(parts[2], CultureInfo.InvariantCulture) / gib, double.Parse(parts[3], CultureInfo.InvariantCulture) / gib);
    }

    private static void Check(int received, int sent)
    {
        if (received != sent)
        {
            throw new InvalidOperationException($"{received} messages arrived of {sent}");
        }
    }

    private static string DirectJobId(int number) => $"link-{number.ToString(CultureInfo.InvariantCulture)}";

    private static async Task<int> Serve()
    {
        var collective = new CollectiveService();
        var builder = GrpcServerHosting.CreateBuilder(new GrpcEndpointOptions
        {
            MaxReceiveMessageSize = 8 * MessageBytes,
            CleartextConnections = (next, context) => DirectCalls.Middleware(next, context, DirectRingStream.Method(collective)),
        });
        builder.Services.AddSingleton(collective);
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

    /// <summary>The direct way's receiver: copies each piece into a buffer of its own, as the ring copies one into place.</summary>
    private sealed class PieceSink : IRingPieceReader
    {
        private readonly byte[] _sink = new byte[MessageBytes];

        public int Received { get; private set; }

        public void Read(RingPieceHeader header, ReadOnlySpan<byte> payload)
        {
            payload.CopyTo(_sink);
            Received++;
        }
    }

    /// <summary>
    /// Down (server stream), Up (client stream) and PrepareDirect bound by hand, as generated stubs bind: grpc-dotnet
    /// takes a handler only if it is a public virtual method declared on the bound type, hence the unsealed class.
    /// </summary>
    [BindServiceMethod(typeof(LinkService), nameof(BindService))]
    internal class LinkService(CollectiveService collective)
    {
        private int _directJobs;

        public static void BindService(ServiceBinderBase binder, LinkService? service)
        {
            binder.AddMethod(DownMethod, service is null ? null : service.Down);
            binder.AddMethod(UpMethod, service is null ? null : service.Up);
            binder.AddMethod(PrepareDirectMethod, service is null ? null : service.PrepareDirect);
        }

        /// <summary>
        /// Starts a ring job of its own that sends request.Count pieces to rank 1 once rank 1 subscribes, through the
        /// sending side a worker's ring uses, then ends the stream; answers with the job's number.
        /// </summary>
        public virtual Task<Blob> PrepareDirect(Blob request, ServerCallContext context)
        {
            int number = Interlocked.Increment(ref _directJobs);
            _ = SendDirectAsync(DirectJobId(number), request.Count);
            return Task.FromResult(new Blob { Count = number });
        }

        private async Task SendDirectAsync(string jobId, int messages)
        {
            try
            {
                RingSubscriber subscriber = await collective.Subscriber(jobId, toRank: 1).WaitAsync(TimeSpan.FromMinutes(1));
                var chunk = new OutgoingRingChunk { JobId = jobId, Payload = new byte[MessageBytes] };
                for (int i = 0; i < messages; i++)
                {
                    chunk.Header = new RingPieceHeader(Step: 0, CollectivePhase.AllGather, Round: 0, ChunkIndex: i, Offset: 0, FromRank: 0);
                    await subscriber.WriteAsync(chunk, CancellationToken.None);
                }
            }
            catch (Exception e) when (e is IOException or TimeoutException)
            {
                // The receiver's side fails the measurement and says why; this side's reason goes to the log.
                Console.Error.WriteLine($"{jobId}: {e.Message}");
            }
            finally
            {
                collective.RemoveSubscriber(jobId, toRank: 1);
            }
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
