using DistributedTrainer.Transport.Internal;
using Xunit;

namespace DistributedTrainer.Tests.Transport.Internal;

public sealed class Http2SendWindowsTests
{
    [Fact]
    public async Task TakeAsync_NoMoreThanTheSmallerWindowAndOneFrame()
    {
        var windows = new Http2SendWindows(streamId: 1);

        Assert.Equal(Http2SendWindows.InitialFrameBytes, await windows.TakeAsync(1_000_000, CancellationToken.None));
        windows.ApplySettings(Setting(0x5, 1 << 20));
        windows.Open(stream: 1, 1_000_000);

        // The connection's window (65,535 less the frame taken) is now the smaller one.
        Assert.Equal(Http2SendWindows.InitialWindowBytes - Http2SendWindows.InitialFrameBytes, await windows.TakeAsync(1_000_000, CancellationToken.None));
        Assert.Equal(0, await windows.TakeAsync(0, CancellationToken.None));
    }

    [Fact]
    public async Task TakeAsync_ShutWindow_WaitsForAnUpdateOfItsOwnStreamOrTheConnection()
    {
        var windows = new Http2SendWindows(streamId: 3);
        windows.ApplySettings(Setting(0x4, 0));
        ValueTask<int> waiting = windows.TakeAsync(100, CancellationToken.None);

        windows.Open(stream: 5, 1_000);
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        windows.Open(stream: 3, 40);

        Assert.Equal(40, await waiting);
    }

    [Fact]
    public async Task ApplySettings_ASmallerInitialWindow_MovesTheStreamsWindowByTheDifference()
    {
        var windows = new Http2SendWindows(streamId: 1);
        windows.ApplySettings(Setting(0x4, 1_000));
        Assert.Equal(1_000, await windows.TakeAsync(5_000, CancellationToken.None));

        windows.ApplySettings(Setting(0x4, 500));
        using var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        // 1,000 taken of a window now 500: it is 500 in debt, and only an update of more than that opens it.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await windows.TakeAsync(1, soon.Token));
        windows.Open(stream: 1, 501);
        Assert.Equal(1, await windows.TakeAsync(1, CancellationToken.None));
    }

    [Fact]
    public async Task Close_FailsTheWaitingTakeAndEveryLaterOneWithTheFirstReason()
    {
        var windows = new Http2SendWindows(streamId: 1);
        windows.ApplySettings(Setting(0x4, 0));
        ValueTask<int> waiting = windows.TakeAsync(10, CancellationToken.None);

        windows.Close(new IOException("first"));
        windows.Close(new IOException("second"));

        Assert.Equal("first", (await Assert.ThrowsAsync<IOException>(async () => await waiting)).Message);
        Assert.Equal("first", Assert.Throws<IOException>(windows.ThrowIfClosed).Message);
        await Assert.ThrowsAsync<IOException>(async () => await windows.TakeAsync(0, CancellationToken.None));
    }

    [Theory]
    [InlineData(0x4, 0x8000_0000u, "SETTINGS_INITIAL_WINDOW_SIZE 2147483648 (the most allowed is 2147483647)")]
    [InlineData(0x5, 16_383u, "SETTINGS_MAX_FRAME_SIZE 16383 (must be in [16384, 16777215])")]
    [InlineData(0x5, 16_777_216u, "SETTINGS_MAX_FRAME_SIZE 16777216 (must be in [16384, 16777215])")]
    public void ApplySettings_OutOfRange_InvalidDataNamingTheSetting(ushort id, uint value, string message)
    {
        var windows = new Http2SendWindows(streamId: 1);

        Assert.Equal(message, Assert.Throws<InvalidDataException>(() => windows.ApplySettings(Setting(id, value))).Message);
    }

    private static byte[] Setting(ushort id, uint value) =>
        [(byte)(id >> 8), (byte)id, (byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];
}
