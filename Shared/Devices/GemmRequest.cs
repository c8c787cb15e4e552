namespace DistributedTrainer.Devices;

/// <summary>What <see cref="DeviceAccelerator.GemmVariable"/> asks of the dense GEMMs on one device.</summary>
internal enum GemmRequest
{
    /// <summary>The ILGPU kernels: <c>kernels</c>, or unset on the CPU accelerator.</summary>
    Kernels,

    /// <summary>cuBLAS if it can be created, else the kernels, saying why: unset on a CUDA device.</summary>
    CuBlasOrKernels,

    /// <summary>cuBLAS or an error: <c>cublas</c> on a CUDA device.</summary>
    CuBlas,
}
