using DistributedTrainer.Training;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace DistributedTrainer.Devices;

/// <summary>
/// Owns an ILGPU context and one accelerator on it: ILGPU's CPU accelerator for <c>cpu-accelerator</c>, a CUDA device for
/// <c>cuda:N</c>. Device buffers and loaded kernels belong to it and must be disposed before it.
/// </summary>
public sealed class DeviceAccelerator : IDisposable
{
    private readonly Context _context;

    private DeviceAccelerator(ComputeDevice device, Context context, Accelerator accelerator)
    {
        Device = device;
        _context = context;
        Accelerator = accelerator;
    }

    /// <summary>The device this was opened for.</summary>
    public ComputeDevice Device { get; }

    /// <summary>The ILGPU accelerator kernels run on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>"cuda:0 (NVIDIA H100, 80 GiB)" or "cpu-accelerator (ILGPU CPUAccelerator)": for logs.</summary>
    public string Description => Accelerator.AcceleratorType == AcceleratorType.Cuda
        ? $"{Device} ({Accelerator.Name}, {Accelerator.MemorySize / (1L << 30)} GiB)"
        : $"{Device} (ILGPU {Accelerator.Name})";

    /// <summary>Opens <paramref name="device"/>, which must be the CPU accelerator or a CUDA device.</summary>
    /// <exception cref="ArgumentException"><paramref name="device"/> is the SIMD CPU path, which needs no accelerator.</exception>
    /// <exception cref="DeviceUnavailableException">No such CUDA device, or no CUDA driver on this machine.</exception>
    public static DeviceAccelerator Open(ComputeDevice device)
    {
        switch (device.Kind)
        {
            case ComputeDeviceKind.CpuAccelerator:
                {
                    var context = CreateContext(builder => builder.CPU());
                    try
                    {
                        return new DeviceAccelerator(device, context, context.CreateCPUAccelerator(0));
                    }
                    catch
                    {
                        context.Dispose();
                        throw;
                    }
                }
            case ComputeDeviceKind.Cuda:
                return OpenCuda(device);
            default:
                throw new ArgumentException($"Invalid device: {device} computes on the SIMD kernels and needs no accelerator", nameof(device));
        }
    }

    private static DeviceAccelerator OpenCuda(ComputeDevice device)
    {
        Context context;
        try
        {
            context = CreateContext(builder => builder.Cuda());
        }
        catch (Exception failure) when (failure is DllNotFoundException or TypeInitializationException or CudaException or NotSupportedException)
        {
            throw new DeviceUnavailableException(
                $"--device {device}: the CUDA driver could not be loaded ({failure.Message}). Install the NVIDIA driver or use --device cpu.",
                failure);
        }
        try
        {
            var devices = context.GetCudaDevices();
            if (devices.Count == 0)
            {
                throw new DeviceUnavailableException(
                    $"--device {device}: no CUDA device found (no NVIDIA GPU visible, or no NVIDIA driver/libcuda on this machine). " +
                    "Use --device cpu, or run on a machine with an NVIDIA GPU and driver.");
            }
            if (device.Index >= devices.Count)
            {
                throw new DeviceUnavailableException(
                    $"--device {device}: this machine has {devices.Count} CUDA device(s), cuda:0 to cuda:{devices.Count - 1}.");
            }
            return new DeviceAccelerator(device, context, devices[device.Index].CreateCudaAccelerator(context));
        }
        catch (CudaException failure)
        {
            context.Dispose();
            throw new DeviceUnavailableException($"--device {device}: the CUDA device could not be opened ({failure.Message}).", failure);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// An ILGPU context for the devices <paramref name="devices"/> adds, with ILGPU.Algorithms enabled: without it the PTX
    /// backend has no code for MathF.Exp and the other transcendental functions the activation and loss kernels call, and
    /// refuses to compile them (the CPU accelerator runs them as .NET code and never notices).
    /// </summary>
    internal static Context CreateContext(Action<Context.Builder> devices) =>
        Context.Create(builder =>
        {
            devices(builder);
            builder.EnableAlgorithms();
        });

    /// <summary>Opens <paramref name="device"/> to check that it is there and returns its <see cref="Description"/>.</summary>
    /// <exception cref="DeviceUnavailableException">As <see cref="Open"/>.</exception>
    public static string Probe(ComputeDevice device)
    {
        using var accelerator = Open(device);
        return accelerator.Description;
    }

    public void Dispose()
    {
        Accelerator.Dispose();
        _context.Dispose();
    }
}
