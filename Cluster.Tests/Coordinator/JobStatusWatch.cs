using DistributedTrainer.Protos.V1;
using Grpc.Core;

namespace DistributedTrainer.Tests.Coordinator;

/// <summary>One WatchJob stream, followed event by event: the job's state and message as the watcher last saw them.</summary>
internal sealed class JobStatusWatch : IDisposable
{
    private readonly AsyncServerStreamingCall<JobEvent> _call;
    private readonly List<string> _messages = [];

    public JobStatusWatch(TestCoordinator coordinator, string jobId) =>
        _call = coordinator.Jobs.WatchJob(new WatchJobRequest { JobId = jobId }, coordinator.Call());

    public JobState State { get; private set; }

    public string Message { get; private set; } = "";

    /// <summary>Reads events until the job is in <paramref name="state"/> with <paramref name="message"/>.</summary>
    /// <exception cref="InvalidOperationException">The job ended first.</exception>
    public async Task UntilAsync(JobState state, string message)
    {
        while (State != state || Message != message)
        {
            if (!await _call.ResponseStream.MoveNext())
            {
                throw new InvalidOperationException($"The watch ended in {State} ({Message}) before {state} ({message}).");
            }
            Apply(_call.ResponseStream.Current);
        }
    }

    /// <summary>Reads to the end of the stream; returns every message seen.</summary>
    public async Task<IReadOnlyList<string>> ToEndAsync()
    {
        while (await _call.ResponseStream.MoveNext())
        {
            Apply(_call.ResponseStream.Current);
        }
        return _messages;
    }

    public void Dispose() => _call.Dispose();

    private void Apply(JobEvent jobEvent)
    {
        switch (jobEvent.EventCase)
        {
            case JobEvent.EventOneofCase.Snapshot:
                (State, Message) = (jobEvent.Snapshot.State, jobEvent.Snapshot.Message);
                _messages.Add(Message);
                break;
            case JobEvent.EventOneofCase.State:
                State = jobEvent.State;
                break;
            case JobEvent.EventOneofCase.Message:
                Message = jobEvent.Message;
                _messages.Add(Message);
                break;
        }
    }
}
