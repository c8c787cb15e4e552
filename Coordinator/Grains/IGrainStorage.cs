namespace DistributedTrainer.Coordinator.Grains;

/// <summary>Where grains keep their state between activations and coordinator restarts (Orleans' IGrainStorage, narrowed).</summary>
/// <typeparam name="TState">The grain state.</typeparam>
internal interface IGrainStorage<TState>
    where TState : class
{
    /// <summary>The stored state of grain <paramref name="key"/>, or null when it has none.</summary>
    Task<TState?> ReadAsync(string key);

    /// <summary>Replaces the stored state of grain <paramref name="key"/>; readers see the old state or the new, never a part.</summary>
    Task WriteAsync(string key, TState state);

    /// <summary>The keys of every grain with stored state.</summary>
    Task<IReadOnlyList<string>> ListKeysAsync();
}
