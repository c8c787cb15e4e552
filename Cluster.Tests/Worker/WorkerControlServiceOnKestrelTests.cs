namespace DistributedTrainer.Tests.Worker;

/// <summary>Step calls on SocketsHttpHandler's shared connections, which Kestrel serves (ASP.NET Core's span).</summary>
public sealed class WorkerControlServiceOnKestrelTests() : WorkerControlServiceTests(new(), "Microsoft.AspNetCore");
