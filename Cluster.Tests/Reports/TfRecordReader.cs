using System.Buffers.Binary;
using DistributedTrainer.Protos.TensorBoard;
using DistributedTrainer.Reports.TensorBoard;
using Xunit;

namespace DistributedTrainer.Tests.Reports;

/// <summary>Reads an event file's TFRecords back, asserting both masked CRC-32C of every record, and parses the Events.</summary>
internal static class TfRecordReader
{
    public static List<Event> ReadEvents(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var events = new List<Event>();
        int at = 0;
        while (at < bytes.Length)
        {
            var header = bytes.AsSpan(at, 8);
            int length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(header));
            Assert.Equal(Crc32C.Mask(Crc32C.Compute(header)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)));
            var data = bytes.AsSpan(at + 12, length);
            Assert.Equal(Crc32C.Mask(Crc32C.Compute(data)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + length)));
            events.Add(Event.Parser.ParseFrom(data));
            at += 16 + length;
        }
        return events;
    }
}
