using System.Globalization;
using System.Text.RegularExpressions;

namespace DistributedTrainer.Client.Local;

/// <summary>
/// The fault drills of `trainctl local --fault`: <c>K:SPEC</c> passes <c>--fault SPEC</c> to worker K (numbered from 1;
/// SPEC is <c>drop-ring@STEP</c>, <c>delay-ring=MS</c>, <c>exit@STEP</c> or <c>slow=FACTOR</c>, whose ranges the worker
/// checks), and <c>coordinator:restart@STEP</c> kills the coordinator once the job reports step STEP and starts it
/// again on the same port and state directory.
/// </summary>
/// <param name="Workers">Each drilled worker's --fault values, by worker number.</param>
/// <param name="CoordinatorRestartStep">The step after which the coordinator is killed and restarted; null: never.</param>
internal sealed partial record LocalFaults(IReadOnlyDictionary<int, IReadOnlyList<string>> Workers, long? CoordinatorRestartStep)
{
    private const string CoordinatorRestart = "coordinator:restart@";

    public static LocalFaults None { get; } = new(new Dictionary<int, IReadOnlyList<string>>(), null);

    /// <summary>Workers that leave the job on purpose: their ring pieces are dropped, or they kill themselves.</summary>
    public IReadOnlySet<int> LeavingWorkers => Workers
        .Where(worker => worker.Value.Any(fault => fault.StartsWith("drop-ring@", StringComparison.Ordinal) || fault.StartsWith("exit@", StringComparison.Ordinal)))
        .Select(worker => worker.Key)
        .ToHashSet();

    /// <summary>Workers whose process exits by the drill (<c>exit@STEP</c>), so their exit is no failure.</summary>
    public IReadOnlySet<int> ExitingWorkers => Workers
        .Where(worker => worker.Value.Any(fault => fault.StartsWith("exit@", StringComparison.Ordinal)))
        .Select(worker => worker.Key)
        .ToHashSet();

    /// <summary>Parses the --fault values for a cluster of <paramref name="workers"/> workers.</summary>
    /// <exception cref="ArgumentException">A value that names no worker or no known fault, or drills that leave no worker; the message names --fault.</exception>
    public static LocalFaults Parse(IReadOnlyList<string> faults, int workers)
    {
        var byWorker = new Dictionary<int, List<string>>();
        long? restart = null;
        foreach (string fault in faults)
        {
            if (fault.StartsWith(CoordinatorRestart, StringComparison.Ordinal))
            {
                if (!long.TryParse(fault.AsSpan(CoordinatorRestart.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long step) || step < 1 || restart is not null)
                {
                    throw new ArgumentException($"--fault: '{fault}' must be coordinator:restart@STEP with STEP >= 1, at most once");
                }
                restart = step;
                continue;
            }
            int colon = fault.IndexOf(':', StringComparison.Ordinal);
            if (colon < 1 || !int.TryParse(fault.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out int worker) || worker < 1 || worker > workers)
            {
                throw new ArgumentException($"--fault: '{fault}' must start with a worker number in [1, {workers}] and a colon (e.g. 2:exit@100), or be coordinator:restart@STEP");
            }
            string spec = fault[(colon + 1)..];
            if (!WorkerFault().IsMatch(spec))
            {
                throw new ArgumentException($"--fault: '{fault}' must be K:drop-ring@STEP, K:delay-ring=MS, K:exit@STEP, K:slow=FACTOR or coordinator:restart@STEP");
            }
            if (!byWorker.TryGetValue(worker, out var list))
            {
                byWorker[worker] = list = [];
            }
            list.Add(spec);
        }
        var parsed = new LocalFaults(byWorker.ToDictionary(pair => pair.Key, pair => (IReadOnlyList<string>)pair.Value), restart);
        if (parsed.LeavingWorkers.Count >= workers)
        {
            throw new ArgumentException($"--fault: drop-ring or exit on every one of the {workers} workers leaves none to finish the job");
        }
        return parsed;
    }

    [GeneratedRegex(@"^(drop-ring@[0-9]+|delay-ring=[0-9]+|exit@[0-9]+|slow=[0-9]+(\.[0-9]+)?)$", RegexOptions.CultureInvariant)]
    private static partial Regex WorkerFault();
}
