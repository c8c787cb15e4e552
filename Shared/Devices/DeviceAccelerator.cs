using DistributedTrainer.Devices.Kernels;
using DistributedTrainer.Training;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace DistributedTrainer.Devices;

/// <summary>
/// Owns an ILGPU context and one accelerator on it: ILGPU's CPU accelerator for <c>cpu-accelerator</c>, a CUDA device for
/// <c>cuda:N</c>; on CUDA also the cuBLAS handle the dense GEMMs go through, unless <see cref="GemmVariable"/> says
/// kernels or cuBLAS cannot be created (then they run as ILGPU kernels and <see cref="Gemm"/> says why). Device buffers
/// and loaded kernels belong to it and must be disposed before it.
/// </summary>
public sealed class DeviceAccelerator : IDisposable
{
    /// <summary>
    /// The environment variable that picks the dense GEMMs: <c>kernels</c> (the ILGPU kernels) or <c>cublas</c> (cuBLAS, on
    /// CUDA only; an error if it cannot be created). Unset: cuBLAS on CUDA when it can be created, else the kernels.
    /// </summary>
    public const string GemmVariable = "DT_DEVICE_GEMM";

    private readonly Context _context;

    private DeviceAccelerator(ComputeDevice device, Context context, Accelerator accelerator, CuBlas? cuBlas, string gemm)
    {
        Device = device;
        _context = context;
        Accelerator = accelerator;
        CuBlas = cuBlas;
        Gemm = gemm;
    }

    /// <summary>The device this was opened for.</summary>
    public ComputeDevice Device { get; }

    /// <summary>The ILGPU accelerator kernels run on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>cuBLAS on <see cref="Accelerator"/>'s default stream when the dense GEMMs go through it; else null.</summary>
    internal CuBlas? CuBlas { get; }

    /// <summary>
    /// What computes the dense GEMMs: "cuBLAS 12.4.5", "ILGPU kernels", "ILGPU kernels (DT_DEVICE_GEMM=kernels)" or
    /// "ILGPU kernels (cuBLAS unavailable: ...)".
    /// </summary>
    public string Gemm { get; }

    /// <summary>
    /// "cuda:0 (NVIDIA H100, 80 GiB; GEMM: cuBLAS 12.4.5)" or "cpu-accelerator (ILGPU CPUAccelerator; GEMM: ILGPU
    /// kernels)": for logs, so a worker says at start which GEMMs it runs.
    /// </summary>
    public string Description => Accelerator.AcceleratorType == AcceleratorType.Cuda
        ? $"{Device} ({Accelerator.Name}, {Accelerator.MemorySize / (1L << 30)} GiB; GEMM: {Gemm})"
        : $"{Device} (ILGPU {Accelerator.Name}; GEMM: {Gemm})";

    /// <summary>Opens <paramref name="device"/>, which must be the CPU accelerator or a CUDA device.</summary>
    /// <exception cref="ArgumentException"><paramref name="device"/> is the SIMD CPU path, which needs no accelerator.</exception>
    /// <exception cref="DeviceUnavailableException">
    /// No such CUDA device, or no CUDA driver on this machine; or <see cref="GemmVariable"/> is set to something else than
    /// kernels or cublas, or to cublas for the CPU accelerator or where cuBLAS cannot be created.
    /// </exception>
    public static DeviceAccelerator Open(ComputeDevice device) => Open(device, Environment.GetEnvironmentVariable(GemmVariable));

    /// <summary>As <see cref="Open(ComputeDevice)"/>, with <paramref name="gemmSetting"/> for the value of <see cref="GemmVariable"/>.</summary>
    internal static DeviceAccelerator Open(ComputeDevice device, string? gemmSetting)
    {
        switch (device.Kind)
        {
            case ComputeDeviceKind.CpuAccelerator:
                {
                    // Only to refuse a bad value or cublas: the CPU accelerator has the kernels alone.
                    GemmRequestFor(device, gemmSetting);
                    var context = CreateContext(builder => builder.CPU());
                    try
                    {
                        return new DeviceAccelerator(device, context, context.CreateCPUAccelerator(0), null, "ILGPU kernels");
                    }
                    catch
                    {
                        context.Dispose();
                        throw;
                    }
                }
            case ComputeDeviceKind.Cuda:
                return OpenCuda(device, GemmRequestFor(device, gemmSetting));
            default:
                throw new ArgumentException($"Invalid device: {device} computes on the SIMD kernels and needs no accelerator", nameof(device));
        }
    }

    /// <summary>
    /// What <paramref name="setting"/>, the value of <see cref="GemmVariable"/> (null: unset), asks of the dense GEMMs on
    /// <paramref name="device"/>.
    /// </summary>
    /// <exception cref="DeviceUnavailableException">A value other than kernels or cublas, or cublas for a device that is not CUDA.</exception>
    internal static GemmRequest GemmRequestFor(ComputeDevice device, string? setting) => setting switch
    {
        null or "" => device.Kind == ComputeDeviceKind.Cuda ? GemmRequest.CuBlasOrKernels : GemmRequest.Kernels,
        "kernels" => GemmRequest.Kernels,
        "cublas" when device.Kind == ComputeDeviceKind.Cuda => GemmRequest.CuBlas,
        "cublas" => throw new DeviceUnavailableException(
            $"{GemmVariable}=cublas: cuBLAS runs on CUDA devices only, and --device {device} is not one. Unset {GemmVariable} or set it to kernels."),
        _ => throw new DeviceUnavailableException(
            $"{GemmVariable}={setting}: not a GEMM path; expected kernels or cublas (unset: cuBLAS on a CUDA device when it can be created, else the kernels)."),
    };

    private static DeviceAccelerator OpenCuda(ComputeDevice device, GemmRequest gemm)
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
            var accelerator = devices[device.Index].CreateCudaAccelerator(context);
            try
            {
                var (cuBlas, description) = OpenGemm(device, accelerator, gemm);
                return new DeviceAccelerator(device, context, accelerator, cuBlas, description);
            }
            catch
            {
                accelerator.Dispose();
                throw;
            }
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
    /// cuBLAS on <paramref name="accelerator"/>'s default stream and its description, or null and why the dense GEMMs run as
    /// ILGPU kernels: asked to, or cuBLAS could not be created (no libcublas.so.10 to .so.12, which ILGPU.Algorithms 1.5.3
    /// binds, on the loader path: the NVIDIA driver alone does not bring it; or no handle).
    /// </summary>
    /// <exception cref="DeviceUnavailableException"><paramref name="gemm"/> is cuBLAS and it could not be created.</exception>
    private static (CuBlas? CuBlas, string Description) OpenGemm(ComputeDevice device, CudaAccelerator accelerator, GemmRequest gemm)
    {
        if (gemm == GemmRequest.Kernels)
        {
            return (null, $"ILGPU kernels ({GemmVariable}=kernels)");
        }
        CuBlas? cuBlas = null;
        try
        {
            // The newest libcublas that loads, .so.12 down to .so.10.
            cuBlas = new CuBlas(accelerator);
            // alpha and beta go by value; the default stream keeps cuBLAS's calls in order with the kernel launches
            // (ILGPU's constructor picks it already; set here because the results depend on it).
            cuBlas.PointerMode = CuBlasPointerMode.Host;
            cuBlas.Stream = (CudaStream)accelerator.DefaultStream;
            return (cuBlas, CuBlasGemm.Describe(cuBlas.Version));
        }
        catch (Exception failure)
        {
            // Whatever failed (DllNotFoundException, a CuBlasException from the handle), the kernels can do the work.
            cuBlas?.Dispose();
            string reason = $"{failure.GetType().Name}: {FirstSentence(failure.Message)}";
            if (gemm == GemmRequest.CuBlas)
            {
                throw new DeviceUnavailableException(
                    $"{GemmVariable}=cublas: cuBLAS could not be created on {device} ({reason}). Put libcublas.so.12 (CUDA 12) on the " +
                    $"loader path, or unset {GemmVariable} to fall back to the ILGPU kernels.", failure);
            }
            return (null, $"ILGPU kernels (cuBLAS unavailable: {reason})");
        }
    }

    // .NET's DllNotFoundException runs on over several lines of advice; its first sentence names the library.
    private static string FirstSentence(string message)
    {
        int end = message.IndexOfAny(['\n', '\r']);
        string line = end < 0 ? message : message[..end];
        int stop = line.IndexOf(". ", StringComparison.Ordinal);
        return (stop < 0 ? line : line[..stop]).TrimEnd('.', ' ', ':');
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
        CuBlas?.Dispose();
        Accelerator.Dispose();
        _context.Dispose();
    }
}
