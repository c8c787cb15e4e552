using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace DistributedTrainer.Numerics;

/// <summary>
/// The CPUs a process runs on (Linux's sched_getaffinity and sched_setaffinity), written as Linux writes CPU lists
/// ("0-3,8"). Workers that share a machine are pinned to CPUs of their own (`Worker --cpus`, `trainctl local
/// --pin-workers`): the scheduler then stops moving a worker's computation between cores and handing its core to the
/// other worker's threads in the middle of a step (docs/BENCHMARKS.md).
/// </summary>
public static partial class CpuAffinity
{
    // The masks cover 1024 CPUs, as glibc's cpu_set_t does.
    private const int MaskWords = 1024 / 64;

    // errno of sched_setaffinity for a thread that no longer exists.
    private const int Esrch = 3;

    /// <summary>The highest CPU number a list may name.</summary>
    public const int MaxCpu = MaskWords * 64 - 1;

    /// <summary>Whether this operating system lets a process choose its CPUs here.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>The CPUs the calling thread may run on, ascending.</summary>
    /// <exception cref="PlatformNotSupportedException">Not Linux.</exception>
    public static IReadOnlyList<int> Allowed()
    {
        ThrowIfUnsupported();
        var mask = new ulong[MaskWords];
        if (GetAffinity(0, mask.Length * sizeof(ulong), mask) != 0)
        {
            throw new InvalidOperationException($"sched_getaffinity failed: errno {Marshal.GetLastPInvokeError()}");
        }
        var cpus = new List<int>();
        for (int cpu = 0; cpu <= MaxCpu; cpu++)
        {
            if ((mask[cpu / 64] & (1UL << (cpu % 64))) != 0)
            {
                cpus.Add(cpu);
            }
        }
        return cpus;
    }

    /// <summary>
    /// Parses a CPU list: CPU numbers and ascending ranges separated by commas ("0", "0-3", "0-1,6"), each CPU once.
    /// </summary>
    /// <exception cref="FormatException">Not such a list; the message says why.</exception>
    public static IReadOnlyList<int> Parse(string text)
    {
        var cpus = new SortedSet<int>();
        foreach (string part in text.Split(','))
        {
            string[] ends = part.Split('-');
            if (ends.Length > 2 || !TryCpu(ends[0], out int first) || !TryCpu(ends[^1], out int last))
            {
                throw new FormatException($"'{part}' is neither a CPU number nor a range FIRST-LAST of them (e.g. 0-3,8)");
            }
            if (last < first)
            {
                throw new FormatException($"the range '{part}' runs downwards");
            }
            for (int cpu = first; cpu <= last; cpu++)
            {
                if (!cpus.Add(cpu))
                {
                    throw new FormatException($"CPU {cpu} is named twice");
                }
            }
        }
        return [.. cpus];
    }

    /// <summary>The list as Linux writes it: ascending, runs of consecutive CPUs as ranges ("0-3,8").</summary>
    public static string Format(IEnumerable<int> cpus)
    {
        var text = new StringBuilder();
        int[] sorted = [.. cpus.Order()];
        for (int i = 0; i < sorted.Length;)
        {
            int end = i;
            while (end + 1 < sorted.Length && sorted[end + 1] == sorted[end] + 1)
            {
                end++;
            }
            text.Append(text.Length > 0 ? "," : "").Append(sorted[i].ToString(CultureInfo.InvariantCulture));
            if (end > i)
            {
                text.Append('-').Append(sorted[end].ToString(CultureInfo.InvariantCulture));
            }
            i = end + 1;
        }
        return text.ToString();
    }

    /// <summary>Why this process cannot be confined to <paramref name="cpus"/>; null when it can.</summary>
    /// <exception cref="PlatformNotSupportedException">Not Linux.</exception>
    public static string? Refusal(IReadOnlyList<int> cpus)
    {
        if (cpus.Count == 0)
        {
            return "no CPU given";
        }
        var allowed = Allowed();
        int outside = cpus.FirstOrDefault(cpu => !allowed.Contains(cpu), -1);
        return outside >= 0 ? $"CPU {outside} is not one this process may run on: {Format(allowed)}" : null;
    }

    /// <summary>
    /// Confines every thread of this process to <paramref name="cpus"/>; threads started later inherit it from the
    /// thread that starts them.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">Not Linux.</exception>
    /// <exception cref="ArgumentException">The list is empty, or names a CPU this process may not run on.</exception>
    public static void PinProcess(IReadOnlyList<int> cpus)
    {
        if (Refusal(cpus) is { } refusal)
        {
            throw new ArgumentException(refusal);
        }
        var mask = new ulong[MaskWords];
        foreach (int cpu in cpus)
        {
            mask[cpu / 64] |= 1UL << (cpu % 64);
        }
        // A thread may start while the list is read; it inherits the mask of its starter, which is pinned in this pass
        // or the next. The passes end when one finds no thread left to pin.
        var pinned = new HashSet<int>();
        bool found = true;
        while (found)
        {
            found = false;
            foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                int thread = int.Parse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture);
                if (!pinned.Add(thread))
                {
                    continue;
                }
                found = true;
                // A thread that has exited since the list was read (ESRCH) needs nothing.
                if (SetAffinity(thread, mask.Length * sizeof(ulong), mask) != 0 && Marshal.GetLastPInvokeError() != Esrch)
                {
                    throw new InvalidOperationException($"sched_setaffinity of thread {thread} failed: errno {Marshal.GetLastPInvokeError()}");
                }
            }
        }
    }

    private static bool TryCpu(string text, out int cpu) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out cpu) && cpu <= MaxCpu;

    private static void ThrowIfUnsupported()
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("Choosing a process's CPUs needs Linux");
        }
    }

    [LibraryImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    private static partial int GetAffinity(int thread, nint maskBytes, [Out] ulong[] mask);

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SetAffinity(int thread, nint maskBytes, ulong[] mask);
}
