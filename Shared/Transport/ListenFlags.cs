using System.Globalization;
using System.Net;

namespace DistributedTrainer.Transport;

/// <summary>The <c>--port</c> and <c>--host</c> flags of the server processes, read the same way with the same messages.</summary>
public static class ListenFlags
{
    /// <summary>The <c>--port</c> value among <paramref name="values"/> (flag to value); 0 (a free port) when absent.</summary>
    /// <exception cref="ArgumentException">Not an integer in [0, 65535].</exception>
    public static int Port(IReadOnlyDictionary<string, string> values)
    {
        int port = 0;
        if (values.TryGetValue("--port", out var text)
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535))
        {
            throw new ArgumentException($"Invalid --port: '{text}' (must be an integer in [0, 65535])");
        }
        return port;
    }

    /// <summary>The <c>--host</c> address among <paramref name="values"/>; null (the default address) when absent.</summary>
    /// <exception cref="ArgumentException">Not an IP address.</exception>
    public static IPAddress? Host(IReadOnlyDictionary<string, string> values)
    {
        IPAddress? host = null;
        if (values.TryGetValue("--host", out var text) && !IPAddress.TryParse(text, out host))
        {
            throw new ArgumentException($"Invalid --host: '{text}' (must be an IP address, e.g. 0.0.0.0)");
        }
        return host;
    }
}
