using System.Buffers.Binary;
using System.Runtime.ExceptionServices;

namespace DistributedTrainer.Transport.Internal;

/// <summary>
/// What an HTTP/2 peer lets this end send on one stream and on its connection (RFC 9113 6.9): the two flow-control
/// windows its SETTINGS and WINDOW_UPDATE frames open, the largest frame it takes, and the write waiting for them. The
/// reads apply the peer's frames while a write waits, so every member is thread-safe.
/// </summary>
/// <param name="streamId">The one stream whose window this keeps (its WINDOW_UPDATEs open it; others' are ignored).</param>
internal sealed class Http2SendWindows(int streamId)
{
    /// <summary>What every HTTP/2 peer accepts until its SETTINGS say otherwise: windows of 64 KiB - 1.</summary>
    public const int InitialWindowBytes = 65_535;

    /// <summary>What every HTTP/2 peer accepts until its SETTINGS say otherwise: frames of 16 KiB.</summary>
    public const int InitialFrameBytes = 16 * 1024;

    /// <summary>The largest frame HTTP/2 allows a peer to accept (SETTINGS_MAX_FRAME_SIZE).</summary>
    public const int MaxFrameBytes = (1 << 24) - 1;

    private const ushort InitialWindowSizeSetting = 0x4, MaxFrameSizeSetting = 0x5;

    private readonly object _gate = new();
    private long _connectionWindow = InitialWindowBytes;
    private long _streamWindow = InitialWindowBytes;
    private int _initialWindow = InitialWindowBytes;
    private int _maxFrame = InitialFrameBytes;
    private TaskCompletionSource? _opened;
    private Exception? _closed;

    /// <summary>Applies a SETTINGS frame's payload: a new initial window moves the stream's window by the difference (6.9.2).</summary>
    /// <exception cref="InvalidDataException">An initial window or a frame size out of HTTP/2's range.</exception>
    public void ApplySettings(ReadOnlySpan<byte> settings)
    {
        for (int at = 0; at + 6 <= settings.Length; at += 6)
        {
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(settings[at..]);
            uint value = BinaryPrimitives.ReadUInt32BigEndian(settings[(at + 2)..]);
            if (id == InitialWindowSizeSetting && value > int.MaxValue)
            {
                throw new InvalidDataException($"SETTINGS_INITIAL_WINDOW_SIZE {value} (the most allowed is {int.MaxValue})");
            }
            if (id == MaxFrameSizeSetting && value is < InitialFrameBytes or > MaxFrameBytes)
            {
                throw new InvalidDataException($"SETTINGS_MAX_FRAME_SIZE {value} (must be in [{InitialFrameBytes}, {MaxFrameBytes}])");
            }
            lock (_gate)
            {
                if (id == InitialWindowSizeSetting)
                {
                    _streamWindow += (int)value - _initialWindow;
                    _initialWindow = (int)value;
                    Wake();
                }
                else if (id == MaxFrameSizeSetting)
                {
                    _maxFrame = (int)value;
                }
            }
        }
    }

    /// <summary>Adds a WINDOW_UPDATE's increment to the connection's window (stream 0) or the stream's.</summary>
    public void Open(int stream, int increment)
    {
        lock (_gate)
        {
            if (stream == 0)
            {
                _connectionWindow += increment;
            }
            else if (stream == streamId)
            {
                _streamWindow += increment;
            }
            Wake();
        }
    }

    /// <summary>
    /// Takes up to <paramref name="wanted"/> bytes of both windows, no more than one frame, waiting while either window
    /// is shut; 0 only when <paramref name="wanted"/> is 0.
    /// </summary>
    /// <exception cref="Exception">The reason given to <see cref="Close"/>, once closed.</exception>
    public async ValueTask<int> TakeAsync(int wanted, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task opened;
            lock (_gate)
            {
                if (_closed is not null)
                {
                    ExceptionDispatchInfo.Throw(_closed);
                }
                int take = (int)Math.Min(Math.Min(wanted, _maxFrame), Math.Min(_connectionWindow, _streamWindow));
                if (take > 0 || wanted == 0)
                {
                    _connectionWindow -= take;
                    _streamWindow -= take;
                    return take;
                }
                _opened ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                opened = _opened.Task;
            }
            await opened.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Fails the waiting write and every later one with <paramref name="reason"/> (the first reason given stays).</summary>
    public void Close(Exception reason)
    {
        lock (_gate)
        {
            _closed ??= reason;
            Wake();
        }
    }

    /// <summary>Throws the reason given to <see cref="Close"/>, if any.</summary>
    public void ThrowIfClosed()
    {
        lock (_gate)
        {
            if (_closed is not null)
            {
                ExceptionDispatchInfo.Throw(_closed);
            }
        }
    }

    // Under _gate: the waiting write looks again (and finds the window open, or the windows closed).
    private void Wake()
    {
        _opened?.TrySetResult();
        _opened = null;
    }
}
