using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Reports;
using Grpc.Core;

namespace DistributedTrainer.Client.Commands;

/// <summary>
/// `trainctl export JOB --out FILE`: downloads the job's newest checkpoint as a tar archive, or only its
/// model.safetensors when FILE ends in .safetensors; checks size and SHA-256, then renames into place.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var job = new Argument<string>("JOB") { Description = "Job id." };
        var output = new Option<FileInfo>("--out") { Description = "Output file: *.safetensors for the model only, else a tar of the checkpoint.", Required = true };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint directory name (default: the newest)." };
        var flags = new CoordinatorConnection.Flags();
        var command = new Command("export", "Download a job's checkpoint.") { job, output, checkpoint };
        flags.AddTo(command);
        command.SetAction((parsed, cancellation) => flags.RunAsync(parsed, (connection, json) =>
            RunAsync(connection, parsed.GetValue(job)!, parsed.GetValue(output)!.FullName, parsed.GetValue(checkpoint) ?? "", json, cancellation)));
        return command;
    }

    private static async Task<int> RunAsync(CoordinatorConnection connection, string jobId, string path, string checkpoint, bool json,
        CancellationToken cancellation)
    {
        var request = new DownloadCheckpointRequest
        {
            JobId = jobId,
            Checkpoint = checkpoint,
            File = path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? "model.safetensors" : "",
        };
        try
        {
            var (total, sha256, name) = await AtomicFile.WriteAsync(path, file => DownloadAsync(connection, request, file, cancellation));
            Console.Out.WriteLine(json
                ? JsonSerializer.Serialize(new Dictionary<string, object> { ["path"] = path, ["checkpoint"] = name, ["bytes"] = total, ["sha256"] = sha256 })
                : $"wrote {path} ({total} bytes, {name}, sha256 {sha256})");
            return ExitCodes.Ok;
        }
        catch (InvalidDataException corrupt)
        {
            Console.Error.WriteLine($"trainctl: {corrupt.Message}");
            return ExitCodes.Failure;
        }
    }

    /// <summary>Streams the checkpoint <paramref name="request"/> names into <paramref name="file"/>, checking offsets, size and SHA-256.</summary>
    internal static async Task<(long Total, string Sha256, string Checkpoint)> DownloadAsync(CoordinatorConnection connection,
        DownloadCheckpointRequest request, FileStream file, CancellationToken cancellation)
    {
        using var call = connection.Jobs.DownloadCheckpoint(request, connection.Call(cancellation));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long received = 0;
        long total = -1;
        string expected = "";
        string name = "";
        await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellation))
        {
            if (chunk.Offset != received)
            {
                throw new InvalidDataException($"Download of {request.JobId} broken: chunk at offset {chunk.Offset}, expected {received}.");
            }
            if (received == 0)
            {
                (total, expected, name) = (chunk.TotalSize, chunk.Sha256, chunk.Checkpoint);
            }
            hash.AppendData(chunk.Data.Span);
            await file.WriteAsync(chunk.Data.Memory, cancellation);
            received += chunk.Data.Length;
        }
        string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (received != total || !string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException(
                $"Download of {request.JobId} corrupt: {received} of {total} bytes, sha256 {actual}, expected {expected}; nothing written.");
        }
        return (total, actual, name);
    }
}
