using DistributedTrainer.Diagnostics;
using DistributedTrainer.Transport;

namespace DistributedTrainer.Tests.Worker;

/// <summary>
/// Step calls on the lean client's connections of their own, as the coordinator makes them, which the worker serves
/// itself (DirectStepStream; its span from the training source, as ASP.NET Core's would be named and tagged).
/// </summary>
public sealed class WorkerControlServiceDirectTests() : WorkerControlServiceTests(new GrpcChannelSettings { LargeResponseStreams = true }, TrainingDiagnostics.Source.Name);
