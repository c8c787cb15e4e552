using System.Runtime.InteropServices;

namespace DistributedTrainer.Bench;

/// <summary>
/// OpenBLAS's cblas_sgemm, bound at run time so the benchmark still runs (without its column) on a machine
/// that lacks the library.
/// </summary>
internal sealed unsafe class OpenBlas
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    private static readonly string[] s_names = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib", "libopenblas"];

    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;

    private OpenBlas(nint library)
    {
        _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(library, "cblas_sgemm");
        var setThreads = (delegate* unmanaged<int, void>)NativeLibrary.GetExport(library, "openblas_set_num_threads");
        SetThreads = threads => setThreads(threads);
        CoreName = NativeLibrary.TryGetExport(library, "openblas_get_corename", out nint coreName)
            ? Marshal.PtrToStringAnsi(((delegate* unmanaged<nint>)coreName)()) ?? "?"
            : "?";
    }

    /// <summary>The kernel family OpenBLAS picked for this CPU (e.g. "Haswell", "SkylakeX").</summary>
    public string CoreName { get; }

    /// <summary>Sets OpenBLAS's thread count (openblas_set_num_threads).</summary>
    public Action<int> SetThreads { get; }

    /// <summary>Loads the library, or returns null with the reason when it is missing.</summary>
    public static OpenBlas? TryLoad(out string reason)
    {
        foreach (string name in s_names)
        {
            if (NativeLibrary.TryLoad(name, out nint library))
            {
                if (NativeLibrary.TryGetExport(library, "cblas_sgemm", out _)
                    && NativeLibrary.TryGetExport(library, "openblas_set_num_threads", out _))
                {
                    reason = "";
                    return new OpenBlas(library);
                }
                reason = $"{name} has no cblas_sgemm or openblas_set_num_threads";
                return null;
            }
        }
        reason = $"none of {string.Join(", ", s_names)} could be loaded";
        return null;
    }

    /// <summary>The same contract as Gemm.Multiply: row-major, c (M, N) = (or +=) op(a) · op(b).</summary>
    public void Multiply(float* c, float* a, float* b, int m, int n, int k, bool transposeA, bool transposeB,
        bool accumulate) =>
        _sgemm(RowMajor, transposeA ? Trans : NoTrans, transposeB ? Trans : NoTrans, m, n, k, 1f, a,
            transposeA ? m : k, b, transposeB ? k : n, accumulate ? 1f : 0f, c, n);
}
