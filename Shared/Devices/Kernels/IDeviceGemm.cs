using ILGPU;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// The three row-major products of a dense layer (forward, weight gradient, input gradient), launched on the
/// accelerator's default stream in call order with the ILGPU kernels around them. Two implementations, chosen once per
/// accelerator (<see cref="DeviceAccelerator.Gemm"/>): <see cref="KernelGemm"/> (ILGPU kernels, every device) and
/// <see cref="CuBlasGemm"/> (cuBLAS sgemm, CUDA).
/// </summary>
internal interface IDeviceGemm
{
    /// <summary>input (R, I), weight (O, I), bias (O) -> output (R, O) = input weightᵀ + bias.</summary>
    void Forward(ArrayView<float> output, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias,
        int rows, int inputs, int units);

    /// <summary>outputGradient (R, O), input (R, I) -> weightGradient (O, I) += outputGradientᵀ input.</summary>
    void WeightGradient(ArrayView<float> weightGradient, ArrayView<float> outputGradient, ArrayView<float> input,
        int rows, int inputs, int units);

    /// <summary>outputGradient (R, O), weight (O, I) -> inputGradient (R, I) = outputGradient weight.</summary>
    void InputGradient(ArrayView<float> inputGradient, ArrayView<float> outputGradient, ArrayView<float> weight,
        int rows, int inputs, int units);
}
