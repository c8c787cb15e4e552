"""Independent reader of a TensorBoard event file, for the C# tests.

Checks both masked CRC-32C of every TFRecord with its own CRC code, parses each record as tensorboard.Event
with message classes built at run time from a FileDescriptorSet (the C# test writes it from its generated
descriptors; Debian's python3-protobuf is older than the protoc of Grpc.Tools, so no generated modules), and
prints one JSON object: the file version, every scalar as [tag, step, value], and every histogram as
[tag, step, num, min, max, sum of bucket counts, number of buckets].

usage: read_tfevents.py DESCRIPTORS.pb EVENTS_FILE
"""
import json
import struct
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def crc32c_table():
    table = []
    for entry in range(256):
        crc = entry
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


TABLE = crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(path):
    with open(path, "rb") as f:
        content = f.read()
    offset = 0
    while offset < len(content):
        if offset + 12 > len(content):
            raise ValueError(f"truncated record header at byte {offset}")
        header = content[offset:offset + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", content[offset + 8:offset + 12])
        if length_crc != masked(crc32c(header)):
            raise ValueError(f"bad length CRC at byte {offset}")
        data = content[offset + 12:offset + 12 + length]
        if len(data) != length or offset + 16 + length > len(content):
            raise ValueError(f"truncated record at byte {offset}")
        (data_crc,) = struct.unpack("<I", content[offset + 12 + length:offset + 16 + length])
        if data_crc != masked(crc32c(data)):
            raise ValueError(f"bad data CRC at byte {offset}")
        yield data
        offset += 16 + length


def main(descriptors_path, events_path):
    with open(descriptors_path, "rb") as f:
        files = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.AddSerializedFile(file.SerializeToString())
    event_class = message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName("tensorboard.Event"))

    result = {"file_version": None, "scalars": [], "histograms": []}
    for data in records(events_path):
        event = event_class.FromString(data)
        what = event.WhichOneof("what")
        if what == "file_version":
            result["file_version"] = event.file_version
            continue
        for value in event.summary.value:
            kind = value.WhichOneof("value")
            if kind == "simple_value":
                result["scalars"].append([value.tag, event.step, value.simple_value])
            elif kind == "histo":
                histo = value.histo
                result["histograms"].append([value.tag, event.step, histo.num, histo.min, histo.max,
                                             sum(histo.bucket), len(histo.bucket)])
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    try:
        main(sys.argv[1], sys.argv[2])
    except ValueError as error:
        print(error, file=sys.stderr)
        sys.exit(1)
