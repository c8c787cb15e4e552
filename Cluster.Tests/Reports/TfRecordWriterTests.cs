using System.Buffers.Binary;
using DistributedTrainer.Reports.TensorBoard;
using Xunit;

namespace DistributedTrainer.Tests.Reports;

public sealed class TfRecordWriterTests
{
    [Fact]
    public void Write_TwoRecords_FramesEachWithLengthDataAndMaskedCrcs()
    {
        byte[][] records = [[1, 2, 3, 4, 5], []];
        var stream = new MemoryStream();

        using (var writer = new TfRecordWriter(stream))
        {
            foreach (var record in records)
            {
                writer.Write(record);
            }
        }

        var bytes = stream.ToArray();
        int offset = 0;
        foreach (var record in records)
        {
            var header = bytes.AsSpan(offset, 8);
            Assert.Equal((ulong)record.Length, BinaryPrimitives.ReadUInt64LittleEndian(header));
            Assert.Equal(Crc32C.Mask(Crc32C.ComputeTable(header)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 8)));
            Assert.Equal(record, bytes.AsSpan(offset + 12, record.Length).ToArray());
            Assert.Equal(Crc32C.Mask(Crc32C.ComputeTable(record)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 12 + record.Length)));
            offset += 16 + record.Length;
        }
        Assert.Equal(bytes.Length, offset);
    }
}
