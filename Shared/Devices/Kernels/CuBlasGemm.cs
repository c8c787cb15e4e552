using ILGPU;
using ILGPU.Runtime.Cuda;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// The dense GEMMs as cuBLAS sgemm calls (<see cref="RowMajorSgemm"/> maps the row-major buffers onto column-major
/// cuBLAS) on the handle <see cref="DeviceAccelerator"/> opened, which is bound to the accelerator's default stream: each
/// call queues behind the ILGPU kernels launched before it and ahead of those after, as a kernel launch does. cuBLAS's
/// default math mode keeps full fp32 (no TF32) and its default atomics mode forbids atomics, so on one GPU and library
/// version a product's floats are the same every run; they differ from <see cref="KernelGemm"/>'s by rounding.
/// </summary>
internal sealed class CuBlasGemm(CuBlas blas, DeviceKernels kernels) : IDeviceGemm
{
    public void Forward(ArrayView<float> output, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias,
        int rows, int inputs, int units)
    {
        // sgemm has no bias term: the output starts as the bias rows and the product is added to it (beta 1).
        kernels.DenseBiasRows(rows * units, output, bias, units);
        Run(RowMajorSgemm.Forward(output, input, weight, rows, inputs, units));
    }

    public void WeightGradient(ArrayView<float> weightGradient, ArrayView<float> outputGradient, ArrayView<float> input,
        int rows, int inputs, int units) =>
        Run(RowMajorSgemm.WeightGradient(weightGradient, outputGradient, input, rows, inputs, units));

    public void InputGradient(ArrayView<float> inputGradient, ArrayView<float> outputGradient, ArrayView<float> weight,
        int rows, int inputs, int units) =>
        Run(RowMajorSgemm.InputGradient(inputGradient, outputGradient, weight, rows, inputs, units));

    /// <summary>"cuBLAS 12.4.5" from cublasGetVersion's 120405 (major · 10000 + minor · 100 + patch since cuBLAS 12); an
    /// older library's number as it is.</summary>
    public static string Describe(int version) => version >= 100_000
        ? $"cuBLAS {version / 10_000}.{version / 100 % 100}.{version % 100}"
        : $"cuBLAS (version {version})";

    // alpha 1 and beta by value: the handle is in host pointer mode.
    private void Run(Sgemm<ArrayView<float>> call) =>
        blas.Gemm(call.TransA, call.TransB, call.M, call.N, call.K, 1f, call.A, call.Lda, call.B, call.Ldb, call.Beta, call.C, call.Ldc);
}
