using System.Diagnostics;
using DistributedTrainer.Tests.Rpc.Echo;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Health.V1;

namespace DistributedTrainer.Tests.Transport;

/// <summary>Debian's python3-grpcio as the reference gRPC peer: whether it is installed, and how to run its scripts.</summary>
internal static class PythonGrpc
{
    public const string Python = "/usr/bin/python3";

    public const string SkipReason = "Debian's python3-grpcio is not installed (/usr/bin/python3 -c 'import grpc' failed); apt-get install python3-grpcio python3-protobuf";

    private static readonly Lazy<bool> Available = new(() =>
    {
        if (!File.Exists(Python))
        {
            return false;
        }
        using Process process = Process.Start(StartInfo("-c", "import grpc, google.protobuf"))!;
        if (!process.WaitForExit(30_000))
        {
            process.Kill(entireProcessTree: true);
            return false;
        }
        return process.ExitCode == 0;
    });

    public static bool IsAvailable => Available.Value;

    /// <summary>The directory the test scripts are copied to.</summary>
    public static string ScriptDirectory => Path.Combine(AppContext.BaseDirectory, "Transport", "Python");

    /// <summary>
    /// Writes the descriptors of echo.proto, health.proto and both reflection.proto versions (dependencies first) for
    /// the scripts to build their messages from: Debian's python3-protobuf is older than the runtime that Grpc.Tools'
    /// protoc writes Python code for, so the scripts use no generated modules.
    /// </summary>
    public static string WriteDescriptorSet(string directory)
    {
        var set = new FileDescriptorSet();
        foreach (FileDescriptor file in new[]
        {
            EchoReflection.Descriptor, HealthReflection.Descriptor, Grpc.Reflection.V1.ReflectionReflection.Descriptor,
            Grpc.Reflection.V1Alpha.ReflectionReflection.Descriptor,
        })
        {
            set.File.Add(FileDescriptorProto.Parser.ParseFrom(file.SerializedData));
        }
        string path = Path.Combine(directory, "descriptors.pb");
        File.WriteAllBytes(path, set.ToByteArray());
        return path;
    }

    public static ProcessStartInfo StartInfo(params string[] arguments)
    {
        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = ScriptDirectory,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        // grpcio would otherwise route 127.0.0.1 through a proxy from the environment.
        info.Environment["no_grpc_proxy"] = "*";
        info.Environment.Remove("http_proxy");
        info.Environment.Remove("https_proxy");
        info.Environment.Remove("HTTP_PROXY");
        info.Environment.Remove("HTTPS_PROXY");
        return info;
    }

    /// <summary>Runs <paramref name="script"/> to its end and parses the one JSON object it prints.</summary>
    /// <exception cref="InvalidOperationException">It exited with an error.</exception>
    public static async Task<System.Text.Json.JsonDocument> RunJsonAsync(string script, params string[] arguments)
    {
        using Process process = Process.Start(StartInfo([script, .. arguments]))!;
        try
        {
            process.StandardInput.Close();
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> errors = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{Path.GetFileName(script)} exited with {process.ExitCode}: {await errors}");
            }
            return System.Text.Json.JsonDocument.Parse(await output);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
