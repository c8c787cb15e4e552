namespace DistributedTrainer.Numerics.Kernels;

/// <summary>
/// One GEMM call as pointers and strides: element (i, p) of op(A) is at A[i * ALane + p * AStep] and element
/// (p, j) of op(B) at B[j * BLane + p * BStep], whichever way each operand is stored; C is (M, N) row-major.
/// The pointers are pinned by the caller for the whole call. With <see cref="PackedB"/>, op(B) comes packed
/// (<see cref="GemmPackedB"/>) and B is not read.
/// </summary>
internal readonly unsafe struct GemmOperands
{
    public GemmOperands(float* c, float* a, float* b, int m, int n, int k, bool transposeA, bool transposeB,
        bool accumulate, float* packedB = null)
    {
        C = c;
        A = a;
        B = b;
        M = m;
        N = n;
        K = k;
        // a is (M, K), or (K, M) when transposed; b is (K, N), or (N, K) when transposed.
        ALane = transposeA ? 1 : k;
        AStep = transposeA ? m : 1;
        BLane = transposeB ? k : 1;
        BStep = transposeB ? 1 : n;
        Accumulate = accumulate;
        PackedB = packedB;
    }

    public float* C { get; }

    public float* A { get; }

    public float* B { get; }

    /// <summary>op(B) packed whole in the layout of <see cref="GemmPackedB"/>, or null when B is packed per call.</summary>
    public float* PackedB { get; }

    public int M { get; }

    public int N { get; }

    public int K { get; }

    public nint ALane { get; }

    public nint AStep { get; }

    public nint BLane { get; }

    public nint BStep { get; }

    /// <summary>Whether the product is added to C rather than written over it.</summary>
    public bool Accumulate { get; }
}
