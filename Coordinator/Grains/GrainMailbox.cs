using System.Threading.Channels;

namespace DistributedTrainer.Coordinator.Grains;

/// <summary>
/// Runs the messages of one grain one at a time, in the order they were posted (turn-based, as Orleans does):
/// a message's turn ends when its task completes, so grain code never needs a lock.
/// </summary>
internal sealed class GrainMailbox
{
    private readonly Channel<Func<Task>> _messages = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });

    public GrainMailbox() => _ = Task.Run(ProcessAsync);

    /// <summary>Queues <paramref name="turn"/>; posting never blocks, so a training thread can report without waiting.</summary>
    public Task<T> Post<T>(Func<Task<T>> turn)
    {
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Func<Task> message = async () =>
        {
            try
            {
                completion.SetResult(await turn());
            }
            catch (Exception error)
            {
                completion.SetException(error);
            }
        };
        if (!_messages.Writer.TryWrite(message))
        {
            throw new ObjectDisposedException(nameof(GrainMailbox), "The grain host has stopped.");
        }
        return completion.Task;
    }

    /// <summary>Queues a turn without a result.</summary>
    public Task Post(Func<Task> turn) => Post(async () =>
    {
        await turn();
        return true;
    });

    /// <summary>Takes no more messages; the ones queued still run.</summary>
    public void Close() => _messages.Writer.TryComplete();

    private async Task ProcessAsync()
    {
        await foreach (var message in _messages.Reader.ReadAllAsync())
        {
            await message();
        }
    }
}
