namespace DistributedTrainer.Coordinator.Cluster;

/// <summary>
/// Splits a step's micro-shards over the ring in proportion to each worker's measured throughput, so a worker slowed
/// to half speed gets about half the shards instead of holding every step back (issue 5, stragglers). Throughput is
/// an exponential average of samples per second of compute, by worker id, so it survives ring changes. The split
/// changes only which worker computes which shard: sums are exact and results are added in shard order, so the
/// parameters stay bitwise the same. A worker far slower than the others for many steps is named once.
/// </summary>
/// <param name="followThroughput">False splits evenly whatever the measurements (to compare against); slow workers are still named.</param>
internal sealed class ShardBalancer(bool followThroughput = true)
{
    /// <summary>Weight of the newest measurement in the average.</summary>
    private const double Smoothing = 0.2;

    /// <summary>Below this fraction of the ring's median throughput a worker counts as slow.</summary>
    private const double SlowFraction = 0.5;

    /// <summary>Consecutive slow steps after which a worker is named as chronically slow.</summary>
    private const int ChronicSteps = 50;

    private readonly Dictionary<string, double> _rates = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _slowSteps = new(StringComparer.Ordinal);
    private readonly HashSet<string> _named = new(StringComparer.Ordinal);

    /// <summary>Samples per second of compute last averaged for <paramref name="workerId"/>, if measured.</summary>
    public double? RateOf(string workerId) => _rates.TryGetValue(workerId, out double rate) ? rate : null;

    /// <summary>
    /// Contiguous runs of <paramref name="items"/> by rank, sized in proportion to the workers' throughput (largest
    /// remainder; an unmeasured worker counts as the average of the measured ones, and with none measured, or without
    /// following throughput, all are equal).
    /// </summary>
    public (int First, int Count)[] Split(IReadOnlyList<string> workerIds, int items)
    {
        int size = workerIds.Count;
        var measured = followThroughput ? workerIds.Where(_rates.ContainsKey).Select(id => _rates[id]).ToList() : [];
        double fallback = measured.Count > 0 ? measured.Average() : 1.0;
        var weights = workerIds.Select(id => followThroughput && _rates.TryGetValue(id, out double rate) && rate > 0 ? rate : fallback).ToArray();
        double total = weights.Sum();
        var counts = new int[size];
        var remainders = new double[size];
        int assigned = 0;
        for (int rank = 0; rank < size; rank++)
        {
            double quota = items * weights[rank] / total;
            counts[rank] = (int)Math.Floor(quota);
            remainders[rank] = quota - counts[rank];
            assigned += counts[rank];
        }
        // The rest, one each, to the largest remainders (lower rank first on ties).
        foreach (int rank in Enumerable.Range(0, size).OrderByDescending(r => remainders[r]).ThenBy(r => r).Take(items - assigned))
        {
            counts[rank]++;
        }
        var runs = new (int First, int Count)[size];
        int first = 0;
        for (int rank = 0; rank < size; rank++)
        {
            runs[rank] = (first, counts[rank]);
            first += counts[rank];
        }
        return runs;
    }

    /// <summary>
    /// Records one step's compute of each worker (<paramref name="samples"/> by rank, <paramref name="computeSeconds"/>
    /// by rank; a worker without samples is not measured) and returns a message for each worker that has just become
    /// chronically slow.
    /// </summary>
    public IReadOnlyList<string> Observe(IReadOnlyList<string> workerIds, IReadOnlyList<int> samples, IReadOnlyList<double> computeSeconds)
    {
        for (int rank = 0; rank < workerIds.Count; rank++)
        {
            if (samples[rank] > 0 && computeSeconds[rank] > 0)
            {
                double rate = samples[rank] / computeSeconds[rank];
                _rates[workerIds[rank]] = _rates.TryGetValue(workerIds[rank], out double old) ? old + Smoothing * (rate - old) : rate;
            }
        }
        var known = workerIds.Where(_rates.ContainsKey).Select(id => _rates[id]).Order().ToList();
        if (known.Count < 2)
        {
            return [];
        }
        double median = known.Count % 2 == 1 ? known[known.Count / 2] : (known[known.Count / 2 - 1] + known[known.Count / 2]) / 2;
        var messages = new List<string>();
        foreach (string id in workerIds.Where(_rates.ContainsKey))
        {
            if (_rates[id] >= SlowFraction * median)
            {
                _slowSteps[id] = 0;
                _named.Remove(id);
                continue;
            }
            _slowSteps[id] = _slowSteps.GetValueOrDefault(id) + 1;
            if (_slowSteps[id] >= ChronicSteps && _named.Add(id))
            {
                messages.Add($"worker {id} is slow: {_rates[id]:F0} samples/s against the ring's median of {median:F0} " +
                    $"for {ChronicSteps} steps; it gets a matching share of the micro-shards");
            }
        }
        return messages;
    }
}
