namespace DistributedTrainer.Numerics.Kernels;

/// <summary>
/// One GEMM call split into chunks of whole tiles of C, run on up to the requested number of threads. Each
/// element of C belongs to exactly one chunk and its k sum is formed in a fixed order, so the result is
/// bitwise the same for every thread count. One instance per calling thread is reused, so the delegate handed
/// to <see cref="Parallel.For(int, int, Action{int})"/> is created once per thread, not per call.
/// </summary>
internal sealed unsafe class GemmJob
{
    /// <summary>
    /// Below this many multiply-adds (about 5 us of one Zen 5 core at 200 GFLOP/s, a few times what it costs to
    /// wake a pool thread and join it) the call runs on the calling thread alone.
    /// </summary>
    internal const long ParallelThreshold = 1L << 19;

    [ThreadStatic]
    private static GemmJob? t_current;

    private readonly Action<int> _runChunk;
    private GemmOperands _op;
    private GemmInstructionSet _set;
    private float* _skinnyB;
    private bool _splitColumns;
    private int _unit;
    private int _units;
    private int _chunks;

    private GemmJob() => _runChunk = RunChunk;

    /// <summary>Multiplies <paramref name="op"/> with the kernels of <paramref name="set"/>.</summary>
    public static void Execute(in GemmOperands op, GemmInstructionSet set, int threads)
    {
        GemmJob job = t_current ??= new GemmJob();
        job._op = op;
        job._set = set;
        job.Plan(threads);
        try
        {
            if (job._chunks == 1)
            {
                job.RunChunk(0);
            }
            else
            {
                Parallel.For(0, job._chunks, job._runChunk);
            }
        }
        finally
        {
            job._op = default;
            job._skinnyB = null;
        }
    }

    private void Plan(int threads)
    {
        int mr = MicroTileRows(_set), nr = MicroTileColumns(_set);
        bool skinny = IsSkinny(_op.N, _op.K, _set);
        if (skinny)
        {
            if (_op.PackedB != null)
            {
                _skinnyB = _op.PackedB;
            }
            else
            {
                _skinnyB = GemmWorkspace.Current.SkinnyB(_op.K * GemmSkinnyKernels.Nr);
                GemmSkinnyDriver.PackB(_op, _skinnyB);
            }
            mr = _set == GemmInstructionSet.Vector512 ? GemmSkinnyKernel512.Mr : GemmSkinnyKernel256.Mr;
        }
        int rowTiles = (_op.M + mr - 1) / mr, columnTiles = (_op.N + nr - 1) / nr;
        // Splitting columns makes every thread pack all of A, splitting rows all of B: copy the smaller one,
        // unless its dimension has too few tiles to keep every thread busy and the other has more.
        bool preferColumns = _op.M <= _op.N;
        int preferred = preferColumns ? columnTiles : rowTiles, other = preferColumns ? rowTiles : columnTiles;
        bool keepPreferred = preferred >= threads || preferred >= other;
        _splitColumns = !skinny && preferColumns == keepPreferred;
        _unit = _splitColumns ? nr : mr;
        _units = _splitColumns ? columnTiles : rowTiles;
        long work = (long)_op.M * _op.N * _op.K;
        _chunks = work < ParallelThreshold ? 1 : Math.Max(1, Math.Min(threads, _units));
    }

    private void RunChunk(int chunk)
    {
        int first = (int)((long)_units * chunk / _chunks) * _unit;
        int last = (int)Math.Min((long)_units * (chunk + 1) / _chunks * _unit, _splitColumns ? _op.N : _op.M);
        int i0 = _splitColumns ? 0 : first, i1 = _splitColumns ? _op.M : last;
        int j0 = _splitColumns ? first : 0, j1 = _splitColumns ? last : _op.N;
        if (_skinnyB != null)
        {
            if (_set == GemmInstructionSet.Vector512)
            {
                GemmSkinnyDriver.Run<GemmSkinnyKernel512>(_op, _skinnyB, i0, i1);
            }
            else
            {
                GemmSkinnyDriver.Run<GemmSkinnyKernel256>(_op, _skinnyB, i0, i1);
            }
            return;
        }
        switch (_set)
        {
            case GemmInstructionSet.Vector512:
                GemmPackedDriver.Run<GemmMicroKernel512>(_op, i0, i1, j0, j1);
                break;
            case GemmInstructionSet.Vector256:
                GemmPackedDriver.Run<GemmMicroKernel256>(_op, i0, i1, j0, j1);
                break;
            case GemmInstructionSet.Vector128:
                GemmPackedDriver.Run<GemmMicroKernel128>(_op, i0, i1, j0, j1);
                break;
            default:
                GemmPackedDriver.Run<GemmMicroKernelScalar>(_op, i0, i1, j0, j1);
                break;
        }
    }

    /// <summary>Whether a product with <paramref name="n"/> columns and depth <paramref name="k"/> takes the skinny path.</summary>
    internal static bool IsSkinny(int n, int k, GemmInstructionSet set) =>
        n <= GemmSkinnyKernels.Nr && set >= GemmInstructionSet.Vector256 && k <= int.MaxValue / GemmSkinnyKernels.Nr;

    private static int MicroTileRows(GemmInstructionSet set) => set switch
    {
        GemmInstructionSet.Vector512 => GemmMicroKernel512.Mr,
        GemmInstructionSet.Vector256 => GemmMicroKernel256.Mr,
        GemmInstructionSet.Vector128 => GemmMicroKernel128.Mr,
        _ => GemmMicroKernelScalar.Mr,
    };

    internal static int MicroTileColumns(GemmInstructionSet set) => set switch
    {
        GemmInstructionSet.Vector512 => GemmMicroKernel512.Nr,
        GemmInstructionSet.Vector256 => GemmMicroKernel256.Nr,
        GemmInstructionSet.Vector128 => GemmMicroKernel128.Nr,
        _ => GemmMicroKernelScalar.Nr,
    };
}
