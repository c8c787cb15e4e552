using System.Globalization;

namespace DistributedTrainer.Training;

/// <summary>What computes a worker's gradients (<c>--device</c>).</summary>
public enum ComputeDeviceKind
{
    /// <summary>The SIMD kernels on the CPU's cores (AVX-512, AVX2 or scalar): the default.</summary>
    Cpu,

    /// <summary>
    /// The device kernels on ILGPU's CPU accelerator: the same kernels as on CUDA, run on ordinary threads, so GPU code is
    /// tested on machines without a GPU. Slow; for tests and drills.
    /// </summary>
    CpuAccelerator,

    /// <summary>The device kernels on an NVIDIA GPU through ILGPU's CUDA backend.</summary>
    Cuda,
}

/// <summary>A device to compute on: <c>cpu</c>, <c>cpu-accelerator</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
/// <param name="Kind">The kind of device.</param>
/// <param name="Index">The CUDA device's ordinal (0 for the other kinds).</param>
public readonly record struct ComputeDevice(ComputeDeviceKind Kind, int Index = 0)
{
    /// <summary>The SIMD kernels on the CPU (the default).</summary>
    public static ComputeDevice Cpu => new(ComputeDeviceKind.Cpu);

    /// <summary>ILGPU's CPU accelerator.</summary>
    public static ComputeDevice CpuAccelerator => new(ComputeDeviceKind.CpuAccelerator);

    /// <summary>The values <see cref="Parse"/> accepts, for messages.</summary>
    public const string Accepted = "cpu, cpu-accelerator, cuda or cuda:N";

    /// <summary>Parses <paramref name="text"/> given to <paramref name="flag"/>.</summary>
    /// <exception cref="ArgumentException">The text names no device.</exception>
    public static ComputeDevice Parse(string text, string flag = "--device")
    {
        ArgumentNullException.ThrowIfNull(text);
        switch (text)
        {
            case "cpu":
                return Cpu;
            case "cpu-accelerator":
                return CpuAccelerator;
            case "cuda":
                return new ComputeDevice(ComputeDeviceKind.Cuda);
        }
        if (text.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < 64)
        {
            return new ComputeDevice(ComputeDeviceKind.Cuda, index);
        }
        throw new ArgumentException($"Invalid {flag}: '{text}' (must be {Accepted}, N a device ordinal in [0, 63])");
    }

    /// <summary>The flag's spelling: "cpu", "cpu-accelerator" or "cuda:N".</summary>
    public override string ToString() => Kind switch
    {
        ComputeDeviceKind.Cpu => "cpu",
        ComputeDeviceKind.CpuAccelerator => "cpu-accelerator",
        _ => $"cuda:{Index}",
    };
}
