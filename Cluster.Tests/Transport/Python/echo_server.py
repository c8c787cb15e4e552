"""A test.v1.Echo server in grpcio, for the C# client to call. Prints "PORT <n>" once listening on 127.0.0.1,
and exits when its standard input closes (so it never outlives the test that started it).

Usage: echo_server.py DESCRIPTOR_SET
"""
import sys
import time
from concurrent import futures

import grpc

import echo_messages


def main():
    m = echo_messages.load(sys.argv[1])
    Req, Rep = m["EchoRequest"], m["EchoReply"]
    codes = {c.value[0]: c for c in grpc.StatusCode}

    def fail_if_asked(request, context):
        if request.fail_code:
            context.abort(codes[request.fail_code], request.fail_message)

    def say(request, context):
        if request.delay_ms:
            time.sleep(request.delay_ms / 1000)
        fail_if_asked(request, context)
        metadata = dict(context.invocation_metadata())
        if "x-echo" in metadata:
            context.set_trailing_metadata([("x-echo-trailer", metadata["x-echo"])])
        remaining = context.time_remaining()
        return Rep(text=request.text, payload=request.payload, echo_header=metadata.get("x-echo", ""),
                   deadline_left_ms=-1 if remaining is None else int(remaining * 1000))

    def expand(request, context):
        for i in range(request.repeat):
            yield Rep(text=request.text, index=i)
        fail_if_asked(request, context)

    def collect(requests, context):
        reply = Rep()
        for request in requests:
            fail_if_asked(request, context)
            reply.text += request.text
            reply.count += 1
        return reply

    def chat(requests, context):
        for i, request in enumerate(requests):
            fail_if_asked(request, context)
            yield Rep(text=request.text, index=i)

    def handler(kind, fn):
        return kind(fn, request_deserializer=Req.FromString, response_serializer=Rep.SerializeToString)

    service = grpc.method_handlers_generic_handler("test.v1.Echo", {
        "Say": handler(grpc.unary_unary_rpc_method_handler, say),
        "Expand": handler(grpc.unary_stream_rpc_method_handler, expand),
        "Collect": handler(grpc.stream_unary_rpc_method_handler, collect),
        "Chat": handler(grpc.stream_stream_rpc_method_handler, chat),
    })
    # The synchronous server runs one thread per streaming call.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    server.add_generic_rpc_handlers((service,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"PORT {port}", flush=True)
    sys.stdin.read()
    server.stop(grace=None)


if __name__ == "__main__":
    main()
