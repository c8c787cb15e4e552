using DistributedTrainer.Rpc;
using DistributedTrainer.Tests.Rpc.Echo;
using Google.Protobuf.Reflection;

namespace DistributedTrainer.Tests.Rpc;

/// <summary>The client-side methods of test.v1.Echo.</summary>
internal static class EchoMethods
{
    private static readonly ServiceDescriptor Service = EchoReflection.Descriptor.Services[0];

    public static readonly Method<EchoRequest, EchoReply> Say = new(Service.FindMethodByName("Say"));
    public static readonly Method<EchoRequest, EchoReply> Expand = new(Service.FindMethodByName("Expand"));
    public static readonly Method<EchoRequest, EchoReply> Collect = new(Service.FindMethodByName("Collect"));
    public static readonly Method<EchoRequest, EchoReply> Chat = new(Service.FindMethodByName("Chat"));
}
