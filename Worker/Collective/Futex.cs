using System.Runtime.InteropServices;

namespace DistributedTrainer.Worker.Collective;

/// <summary>
/// Linux futexes on shared memory: a thread sleeps in the kernel until another process changes a 32-bit word and wakes
/// it. The operations leave out FUTEX_PRIVATE_FLAG, so they work between processes that map the same file.
/// </summary>
internal static unsafe partial class Futex
{
    private const int Wait = 0;
    private const int Wake = 1;

    /// <summary>Whether this machine has futexes the way <see cref="WaitWhile"/> calls them: Linux on x64 or Arm64.</summary>
    public static bool Supported => OperatingSystem.IsLinux() && SyscallNumber != 0;

    // The syscall's number differs between architectures; 0: none known here.
    private static long SyscallNumber => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 202,
        Architecture.Arm64 => 98,
        _ => 0,
    };

    /// <summary>
    /// Sleeps while <paramref name="word"/> holds <paramref name="expected"/>, at most <paramref name="timeout"/>; returns at
    /// once when it holds another value. A wake, a timeout or a signal all return: the caller checks its condition again.
    /// </summary>
    public static void WaitWhile(int* word, int expected, TimeSpan timeout)
    {
        long nanoseconds = (long)(timeout.TotalMilliseconds * 1_000_000);
        var limit = new Timespec { Seconds = nanoseconds / 1_000_000_000, Nanoseconds = nanoseconds % 1_000_000_000 };
        _ = syscall(SyscallNumber, word, Wait, expected, &limit, null, 0);
    }

    /// <summary>Wakes every thread sleeping on <paramref name="word"/>, in any process.</summary>
    public static void WakeAll(int* word) => _ = syscall(SyscallNumber, word, Wake, int.MaxValue, null, null, 0);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    // glibc's syscall(2) is variadic; on Linux x64 and Arm64 integer and pointer arguments travel in the same registers
    // either way, and its assembly only moves them into place.
    [LibraryImport("libc", EntryPoint = "syscall")]
    private static partial long syscall(long number, int* word, int operation, int value, Timespec* timeout, int* word2, int value3);
}
