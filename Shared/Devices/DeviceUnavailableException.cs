namespace DistributedTrainer.Devices;

/// <summary>The device asked for (<c>--device cuda:N</c>) is not on this machine, or its driver is missing.</summary>
public sealed class DeviceUnavailableException : Exception
{
    public DeviceUnavailableException(string message)
        : base(message)
    {
    }

    public DeviceUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public DeviceUnavailableException()
    {
    }
}
