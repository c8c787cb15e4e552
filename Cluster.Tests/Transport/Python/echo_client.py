"""Calls a test.v1.Echo server (the C# one, on grpc-dotnet) with grpcio, with health and server reflection (v1 and
v1alpha) as standard clients use them, and prints what happened as one JSON object (one entry per case).

Usage: echo_client.py ADDRESS DESCRIPTOR_SET
"""
import json
import sys
import time

import grpc

import echo_messages


def main():
    address, descriptor_set = sys.argv[1], sys.argv[2]
    m = echo_messages.load(descriptor_set)
    Req, Rep = m["EchoRequest"], m["EchoReply"]
    results = {}
    with grpc.insecure_channel(address) as channel:
        def method(kind, name, request_type=Req, reply_type=Rep):
            return getattr(channel, kind)(
                name, request_serializer=request_type.SerializeToString, response_deserializer=reply_type.FromString)

        say = method("unary_unary", "/test.v1.Echo/Say")
        expand = method("unary_stream", "/test.v1.Echo/Expand")
        collect = method("stream_unary", "/test.v1.Echo/Collect")
        chat = method("stream_stream", "/test.v1.Echo/Chat")

        def case(name, run):
            try:
                results[name] = {"ok": True, **run()}
            except grpc.RpcError as e:
                results[name] = {"ok": False, "code": e.code().name, "details": e.details()}

        def unary():
            reply, call = say.with_call(Req(text="hi", payload=b"\x00\x01"), metadata=[("x-echo", "py")], timeout=10)
            trailers = dict(call.trailing_metadata())
            headers = dict(call.initial_metadata())
            return {"text": reply.text, "payload": list(reply.payload), "echo_header": reply.echo_header,
                    "header": headers.get("x-echo-header"), "trailer": trailers.get("x-echo-trailer"),
                    "deadline_left_ms": reply.deadline_left_ms}

        case("unary", unary)
        case("server_streaming", lambda: {"indexes": [r.index for r in expand(Req(text="s", repeat=4), timeout=10)]})
        case("client_streaming", lambda: (lambda r: {"text": r.text, "count": r.count})(
            collect(iter([Req(text="a"), Req(text="b"), Req(text="c")]), timeout=10)))
        case("duplex", lambda: {"texts": [r.text for r in chat(iter([Req(text="x"), Req(text="y")]), timeout=10)]})
        case("error", lambda: {"reply": say(Req(fail_code=9, fail_message="Schritt größer 失败 100%"), timeout=10).text})
        case("stream_error", lambda: {"indexes": [r.index for r in expand(
            Req(repeat=2, fail_code=10, fail_message="mid-stream"), timeout=10)]})

        def deadline():
            start = time.monotonic()
            try:
                say(Req(text="slow", delay_ms=10000), timeout=0.3)
                return {"elapsed": time.monotonic() - start}
            except grpc.RpcError as e:
                return {"code": e.code().name, "elapsed": time.monotonic() - start}

        case("deadline", deadline)
        case("unknown_method", lambda: {"reply": str(method("unary_unary", "/test.v1.Echo/Nope")(Req(), timeout=10))})
        case("gzip", lambda: {"length": len(say(Req(payload=bytes(range(256)) * 400), timeout=10,
                                                compression=grpc.Compression.Gzip).payload)})
        case("too_large", lambda: {"length": len(say(Req(payload=bytes(5 * 1024 * 1024)), timeout=10).payload)})

        check = method("unary_unary", "/grpc.health.v1.Health/Check", m["HealthCheckRequest"], m["HealthCheckResponse"])
        watch = method("unary_stream", "/grpc.health.v1.Health/Watch", m["HealthCheckRequest"], m["HealthCheckResponse"])
        case("health", lambda: {"status": check(m["HealthCheckRequest"](service=""), timeout=10).status})
        case("health_echo", lambda: {"status": check(m["HealthCheckRequest"](service="test.v1.Echo"), timeout=10).status})
        case("health_unknown", lambda: {"status": check(m["HealthCheckRequest"](service="no.Such"), timeout=10).status})

        def health_watch():
            responses = watch(m["HealthCheckRequest"](service="test.v1.Echo"), timeout=10)
            first = next(responses)
            responses.cancel()
            return {"status": first.status}

        case("health_watch", health_watch)

        for version in ("v1", "v1alpha"):
            request_type, response_type = m["ServerReflectionRequest_" + version], m["ServerReflectionResponse_" + version]
            info = method("stream_stream", f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
                          request_type, response_type)

            def reflect(info=info, request_type=request_type):
                responses = list(info(iter([request_type(list_services="*"),
                                            request_type(file_containing_symbol="test.v1.Relay")]), timeout=10))
                files = [m["FileDescriptorProto"].FromString(raw).name
                         for raw in responses[1].file_descriptor_response.file_descriptor_proto]
                return {"services": sorted(s.name for s in responses[0].list_services_response.service), "files": files}

            case("reflection_" + version, reflect)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
