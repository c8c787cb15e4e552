using ILGPU;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// The dense GEMMs as the ILGPU kernels of <see cref="DenseKernels"/>: on the CPU accelerator, and on CUDA when cuBLAS is
/// not there or DT_DEVICE_GEMM=kernels. Every summation order is fixed, so the floats are the same every run.
/// </summary>
internal sealed class KernelGemm(DeviceKernels kernels) : IDeviceGemm
{
    public void Forward(ArrayView<float> output, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias,
        int rows, int inputs, int units) =>
        kernels.DenseForward(rows * units * kernels.WarpSize, output, input, weight, bias, inputs, units);

    public void WeightGradient(ArrayView<float> weightGradient, ArrayView<float> outputGradient, ArrayView<float> input,
        int rows, int inputs, int units) =>
        kernels.DenseWeightGradient(units * inputs, weightGradient, outputGradient, input, rows, inputs, units);

    public void InputGradient(ArrayView<float> inputGradient, ArrayView<float> outputGradient, ArrayView<float> weight,
        int rows, int inputs, int units) =>
        kernels.DenseInputGradient(rows * inputs, inputGradient, outputGradient, weight, inputs, units);
}
