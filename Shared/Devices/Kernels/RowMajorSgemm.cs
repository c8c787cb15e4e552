using ILGPU.Runtime.Cuda;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// The column-major <see cref="Sgemm{TMatrix}"/> that computes a row-major product, and the dense layer's three products
/// as such calls. A row-major (r, c) buffer is, element for element, the column-major (c, r) matrix of its transpose, so
/// the row-major C = op(L) op(R), (rows, columns), is the column-major Cᵀ = op(R)ᵀ op(L)ᵀ, (columns, rows): cuBLAS's A is
/// the right factor's buffer and its B the left factor's, each transposed by cuBLAS when the row-major product transposes
/// it, and every leading dimension is the row length of a row-major buffer. No data moves.
/// </summary>
internal static class RowMajorSgemm
{
    /// <summary>
    /// Row-major c (rows, columns) = op(left) (rows, depth) op(right) (depth, columns) + beta c; left is stored
    /// (rows, depth), or (depth, rows) when <paramref name="transposeLeft"/>; right (depth, columns), or (columns, depth).
    /// </summary>
    public static Sgemm<TMatrix> Product<TMatrix>(TMatrix c, TMatrix left, TMatrix right, int rows, int columns, int depth,
        bool transposeLeft, bool transposeRight, float beta) =>
        new(Operation(transposeRight), Operation(transposeLeft), M: columns, N: rows, K: depth,
            A: right, Lda: transposeRight ? depth : columns,
            B: left, Ldb: transposeLeft ? rows : depth,
            beta, C: c, Ldc: columns);

    /// <summary>
    /// forward: output (R, O) = input (R, I) weight (O, I)ᵀ + output, the output holding the bias rows already (cuBLAS
    /// has no bias term).
    /// </summary>
    public static Sgemm<TMatrix> Forward<TMatrix>(TMatrix output, TMatrix input, TMatrix weight, int rows, int inputs, int units) =>
        Product(output, input, weight, rows, units, inputs, transposeLeft: false, transposeRight: true, beta: 1f);

    /// <summary>dW += dYᵀ x: weightGradient (O, I) += outputGradient (R, O)ᵀ input (R, I).</summary>
    public static Sgemm<TMatrix> WeightGradient<TMatrix>(TMatrix weightGradient, TMatrix outputGradient, TMatrix input,
        int rows, int inputs, int units) =>
        Product(weightGradient, outputGradient, input, units, inputs, rows, transposeLeft: true, transposeRight: false, beta: 1f);

    /// <summary>dX = dY W: inputGradient (R, I) = outputGradient (R, O) weight (O, I); beta 0, so dX is not read.</summary>
    public static Sgemm<TMatrix> InputGradient<TMatrix>(TMatrix inputGradient, TMatrix outputGradient, TMatrix weight,
        int rows, int inputs, int units) =>
        Product(inputGradient, outputGradient, weight, rows, inputs, units, transposeLeft: false, transposeRight: false, beta: 0f);

    private static CuBlasOperation Operation(bool transpose) => transpose ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose;
}
