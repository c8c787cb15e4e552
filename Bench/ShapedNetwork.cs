using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace DistributedTrainer.Bench;

/// <summary>
/// One network namespace per worker, each joined to a bridge in this process's namespace by a veth pair whose two
/// ends are shaped to a rate (and a one-way delay where the kernel has netem): each worker behaves as a machine with
/// its own network card, and the coordinator, in this process, reaches them through the bridge, whose own egress is
/// shaped too. Needs root, `ip` and `tc`. Disposing deletes every namespace, link and the bridge, and creating first
/// deletes what an interrupted run left.
/// </summary>
internal sealed class ShapedNetwork : IDisposable
{
    private const string Bridge = "dtscale0";
    private const string HostEndPrefix = "dtsv";
    private const string Prefix = "10.77.0.";
    private readonly int _workers;

    private ShapedNetwork(int workers, string shaping)
    {
        _workers = workers;
        Shaping = shaping;
    }

    /// <summary>What each link is shaped to, in words ("10gbit, 50 us one way" or why the delay is missing).</summary>
    public string Shaping { get; }

    /// <summary>The namespace worker <paramref name="index"/> (0-based) runs in.</summary>
    public static string Namespace(int index) => $"dtscale-{index}";

    /// <summary>Worker <paramref name="index"/>'s address inside its namespace.</summary>
    public static IPAddress Address(int index) => IPAddress.Parse(Prefix + (index + 2).ToString(CultureInfo.InvariantCulture));

    /// <summary>True when this process may build namespaces: root, with `ip` and `tc` on the path.</summary>
    public static bool IsAvailable(out string reason)
    {
        reason = Environment.UserName != "root" ? "needs root"
            : !File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") ? "needs `ip` (iproute2)"
            : !File.Exists("/usr/sbin/tc") && !File.Exists("/sbin/tc") ? "needs `tc` (iproute2)"
            : "";
        return reason.Length == 0;
    }

    /// <summary>Builds the namespaces of <paramref name="workers"/> workers, each link shaped to <paramref name="rate"/> (tc's syntax, e.g. 10gbit) and <paramref name="delayMicroseconds"/>.</summary>
    public static ShapedNetwork Create(int workers, string rate, int delayMicroseconds)
    {
        RemoveLeftovers();
        Ip("link", "add", Bridge, "type", "bridge");
        Ip("addr", "add", Prefix + "1/24", "dev", Bridge);
        Ip("link", "set", Bridge, "up");
        var devices = new List<(string? Namespace, string Device)> { (null, Bridge) };
        for (int k = 0; k < workers; k++)
        {
            string name = Namespace(k);
            string hostEnd = HostEnd(k);
            Ip("netns", "add", name);
            Ip("link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", name);
            Ip("link", "set", hostEnd, "master", Bridge, "up");
            Ip("-n", name, "addr", "add", $"{Address(k)}/24", "dev", "eth0");
            Ip("-n", name, "link", "set", "eth0", "up");
            Ip("-n", name, "link", "set", "lo", "up");
            devices.Add((null, hostEnd));
            devices.Add((name, "eth0"));
        }

        // netem shapes the rate and the delay; where the kernel lacks it, a token bucket shapes the rate alone.
        string delay = FormattableString.Invariant($"{delayMicroseconds}us");
        bool netem = delayMicroseconds > 0 && TryTc(devices[0], "netem", "delay", delay, "rate", rate);
        if (netem)
        {
            Run(TcCommand(devices[0], "del"));
        }
        foreach (var device in devices)
        {
            Run(netem
                ? TcCommand(device, "add", "netem", "delay", delay, "rate", rate)
                // A burst of one millisecond at the rate: small enough to shape a step's few megabytes, large enough
                // for the kernel's timers.
                : TcCommand(device, "add", "tbf", "rate", rate, "burst", BurstBytes(rate).ToString(CultureInfo.InvariantCulture), "latency", "5ms"));
        }
        string shaping = delayMicroseconds == 0 ? $"{rate} (token bucket), no delay"
            : netem ? $"{rate}, {delay} one way (netem)"
            : $"{rate} (token bucket); the {delay} delay is not applied: this kernel has no netem";
        return new ShapedNetwork(workers, shaping);
    }

    /// <summary>The command line that runs <paramref name="command"/> in worker <paramref name="index"/>'s namespace.</summary>
    public static string[] InNamespace(int index, IEnumerable<string> command) => ["ip", "netns", "exec", Namespace(index), .. command];

    public void Dispose()
    {
        for (int k = 0; k < _workers; k++)
        {
            // Deleting a namespace leaves its veth pair to the kernel's deferred cleanup, so the host end would outlive
            // it for a moment and the next network's link of that name fail with "File exists". Deleting an end of the
            // pair deletes both, at once.
            TryRun("ip", "link", "del", HostEnd(k));
            TryRun("ip", "netns", "del", Namespace(k));
        }
        TryRun("ip", "link", "del", Bridge);
    }

    // The end of worker k's veth pair that is in this process's namespace, on the bridge.
    private static string HostEnd(int k) => $"{HostEndPrefix}{k}";

    private static void RemoveLeftovers()
    {
        // Lines of `ip -o link show` begin "INDEX: NAME[@PEER]: ...".
        foreach (string line in Run("ip", "-o", "link", "show").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = line.Split(':')[1].Trim().Split('@')[0];
            if (name.StartsWith(HostEndPrefix, StringComparison.Ordinal))
            {
                TryRun("ip", "link", "del", name);
            }
        }
        foreach (string line in Run("ip", "netns", "list").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = line.Split(' ')[0];
            if (name.StartsWith("dtscale-", StringComparison.Ordinal))
            {
                TryRun("ip", "netns", "del", name);
            }
        }
        TryRun("ip", "link", "del", Bridge);
    }

    private static long BurstBytes(string rate)
    {
        string digits = new([.. rate.TakeWhile(char.IsAsciiDigit)]);
        long bits = long.Parse(digits, CultureInfo.InvariantCulture) * rate[digits.Length..].ToLowerInvariant() switch
        {
            "gbit" => 1_000_000_000L,
            "mbit" => 1_000_000L,
            "kbit" => 1_000L,
            "bit" => 1L,
            _ => throw new ArgumentException($"Invalid --rate: '{rate}' (expected a number and gbit, mbit, kbit or bit)"),
        };
        return Math.Max(bits / 8 / 1000, 16 * 1024);
    }

    private static void Ip(params string[] arguments) => Run(["ip", .. arguments]);

    private static bool TryTc((string? Namespace, string Device) device, params string[] qdisc) =>
        TryRun(TcCommand(device, ["add", .. qdisc]));

    /// <summary>`tc qdisc VERB dev DEVICE root ...`, through `ip netns exec` for a device in a worker's namespace.</summary>
    private static string[] TcCommand((string? Namespace, string Device) device, params string[] verbAndQdisc)
    {
        string[] tc = ["tc", "qdisc", verbAndQdisc[0], "dev", device.Device, "root", .. verbAndQdisc[1..]];
        return device.Namespace is null ? tc : ["ip", "netns", "exec", device.Namespace, .. tc];
    }

    private static string Run(params string[] command)
    {
        var (exitCode, output, error) = Execute(command);
        return exitCode == 0 ? output
            : throw new InvalidOperationException($"`{string.Join(' ', command)}` failed ({exitCode}): {error.Trim()}");
    }

    private static bool TryRun(params string[] command) => Execute(command).ExitCode == 0;

    private static (int ExitCode, string Output, string Error) Execute(string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in command[1..])
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {command[0]}");
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }
}
