using ILGPU.Runtime.Cuda;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// One column-major sgemm with BLAS semantics, C = op(A) op(B) + Beta C (alpha 1) with op(A) (M, K), op(B) (K, N) and
/// C (M, N), element (i, j) of a matrix at i + j · its leading dimension: the arguments cublasSgemm gets, over matrices of
/// any type so that a test can run the same call over host arrays.
/// </summary>
internal readonly record struct Sgemm<TMatrix>(
    CuBlasOperation TransA, CuBlasOperation TransB, int M, int N, int K,
    TMatrix A, int Lda, TMatrix B, int Ldb, float Beta, TMatrix C, int Ldc);
