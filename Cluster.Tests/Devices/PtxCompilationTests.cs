using System.Reflection;
using DistributedTrainer.Devices;
using DistributedTrainer.Devices.Kernels;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>
/// Every device kernel compiled to PTX for a Hopper GPU (sm_90, PTX ISA 7.8; ILGPU 1.5.3 writes `.target sm_80`, which
/// the driver compiles for sm_90) on the context production opens, with no GPU
/// and no driver: the CPU accelerator the other device tests run on executes kernels as .NET code and cannot see what
/// the PTX backend refuses. (It refused MathF.Exp until ILGPU.Algorithms was enabled, found on a lent H200.)
/// </summary>
public sealed class PtxCompilationTests
{
    /// <summary>Every kernel entry point: the static methods of the Kernels namespace that take a launch index first.</summary>
    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (var kernel in KernelMethods())
        {
            data.Add($"{kernel.DeclaringType!.Name}.{kernel.Name}");
        }
        return data;
    }

    [Fact]
    public void Kernels_AllLoadedByDeviceKernels_AreFound()
    {
        // DeviceKernels loads 59 kernels; if a new one is added to a Kernels class, it is compiled here too.
        Assert.True(KernelMethods().Count() >= 59, string.Join(", ", KernelMethods().Select(kernel => kernel.Name)));
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Kernel_CompilesToPtxForHopper(string name)
    {
        var method = KernelMethods().Single(kernel => $"{kernel.DeclaringType!.Name}.{kernel.Name}" == name);
        using var context = DeviceAccelerator.CreateContext(_ => { });
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_90), CudaArchitecture.SM_90,
            CudaInstructionSet.ISA_78, nvvmAPI: null);
        var entry = EntryPointDescription.FromImplicitlyGroupedKernel(method);
        var specialization = KernelSpecialization.Empty;

        var compiled = (PTXCompiledKernel)backend.Compile(entry, specialization);

        Assert.Matches(@"(?m)^\.target\s+sm_\d+", compiled.PTXAssembly);
        Assert.Matches(@"\.entry\s+\w", compiled.PTXAssembly);
    }

    private static IEnumerable<MethodInfo> KernelMethods() =>
        typeof(DenseKernels).Assembly.GetTypes()
            .Where(type => type.Namespace == typeof(DenseKernels).Namespace && type.IsAbstract && type.IsSealed)
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(method => method.GetParameters() is [{ ParameterType: var first }, ..] && first == typeof(Index1D))
            .OrderBy(method => method.DeclaringType!.Name, StringComparer.Ordinal)
            .ThenBy(method => method.Name, StringComparer.Ordinal);
}
