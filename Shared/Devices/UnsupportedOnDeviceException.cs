namespace DistributedTrainer.Devices;

/// <summary>
/// The job needs a layer, loss or data shape that has no device kernel. An <see cref="InvalidOperationException"/>, so
/// the worker answers FAILED_PRECONDITION with this message (the job cannot run on this worker, the spec is fine).
/// </summary>
public sealed class UnsupportedOnDeviceException : InvalidOperationException
{
    public UnsupportedOnDeviceException(string message)
        : base(message)
    {
    }

    public UnsupportedOnDeviceException()
    {
    }

    public UnsupportedOnDeviceException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
