using DistributedTrainer.Devices;
using DistributedTrainer.Devices.Kernels;
using DistributedTrainer.Training;
using ILGPU;
using ILGPU.Runtime;

namespace DistributedTrainer.Tests.Devices;

/// <summary>The test device (<see cref="TestDevice"/>) and its kernels, shared by the tests of one class; with helpers to move arrays.</summary>
public sealed class AcceleratorFixture : IDisposable
{
    public AcceleratorFixture()
    {
        Device = DeviceAccelerator.Open(TestDevice.Current);
        Kernels = new DeviceKernels(Device);
    }

    internal DeviceAccelerator Device { get; }

    internal DeviceKernels Kernels { get; }

    internal Accelerator Accelerator => Device.Accelerator;

    /// <summary>A device copy of <paramref name="values"/>; the caller disposes it.</summary>
    internal MemoryBuffer1D<T, Stride1D.Dense> Upload<T>(T[] values)
        where T : unmanaged => Accelerator.Allocate1D(values);

    /// <summary>A zeroed device buffer of <paramref name="length"/> elements; the caller disposes it.</summary>
    internal MemoryBuffer1D<T, Stride1D.Dense> Zeros<T>(long length)
        where T : unmanaged
    {
        var buffer = Accelerator.Allocate1D<T>(length);
        buffer.MemSetToZero();
        return buffer;
    }

    /// <summary>The device view's elements, after every launch before it.</summary>
    internal static T[] Download<T>(ArrayView<T> view)
        where T : unmanaged
    {
        var values = new T[view.Length];
        view.CopyToCPU(values);
        return values;
    }

    public void Dispose() => Device.Dispose();
}
