"""Message classes for test.v1.Echo, grpc.health.v1 and grpc.reflection (v1 and v1alpha), built at run time from a
FileDescriptorSet.

The C# test writes the set from its generated descriptors; the protoc that Grpc.Tools ships emits Python
code for a newer protobuf runtime than Debian's python3-protobuf, so no generated modules are used.
"""
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def load(descriptor_set_path):
    with open(descriptor_set_path, "rb") as f:
        files = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.AddSerializedFile(file.SerializeToString())
    factory = message_factory.MessageFactory(pool)

    def message(name):
        return factory.GetPrototype(pool.FindMessageTypeByName(name))

    messages = {
        "EchoRequest": message("test.v1.EchoRequest"),
        "EchoReply": message("test.v1.EchoReply"),
        "HealthCheckRequest": message("grpc.health.v1.HealthCheckRequest"),
        "HealthCheckResponse": message("grpc.health.v1.HealthCheckResponse"),
        "FileDescriptorProto": descriptor_pb2.FileDescriptorProto,
    }
    for version in ("v1", "v1alpha"):
        if any(file.package == "grpc.reflection." + version for file in files.file):
            messages["ServerReflectionRequest_" + version] = message(f"grpc.reflection.{version}.ServerReflectionRequest")
            messages["ServerReflectionResponse_" + version] = message(f"grpc.reflection.{version}.ServerReflectionResponse")
    return messages
