"""Calls every trainer.v1.Jobs method and grpc.health.v1 Check on a coordinator with grpcio, and prints what
happened as one JSON object (one entry per case).

Messages are built at run time from a FileDescriptorSet the C# test writes (Debian's python3-protobuf is older
than the runtime that Grpc.Tools' protoc targets, so no generated modules are used).

Usage: jobs_client.py ADDRESS DESCRIPTOR_SET SPEC_JSON
"""
import hashlib
import json
import sys
import time

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory


def load_messages(descriptor_set_path):
    with open(descriptor_set_path, "rb") as f:
        files = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.AddSerializedFile(file.SerializeToString())
    factory = message_factory.MessageFactory(pool)
    return lambda name: factory.GetPrototype(pool.FindMessageTypeByName(name))


def main():
    address, descriptor_set, spec_path = sys.argv[1], sys.argv[2], sys.argv[3]
    message = load_messages(descriptor_set)
    JobSpec = message("trainer.v1.JobSpec")
    with open(spec_path) as f:
        spec_json = f.read()

    def spec(**changes):
        result = json_format.Parse(spec_json, JobSpec())
        for key, value in changes.items():
            if key == "units":
                result.model.layers[0].dense.units = value
            else:
                setattr(result, key, value)
        return result

    results = {}
    with grpc.insecure_channel(address) as channel:
        def method(kind, path, request, response):
            return getattr(channel, kind)(path, request_serializer=message(request).SerializeToString,
                                          response_deserializer=message(response).FromString)

        jobs = "/trainer.v1.Jobs/"
        submit = method("unary_unary", jobs + "SubmitJob", "trainer.v1.SubmitJobRequest", "trainer.v1.SubmitJobResponse")
        get = method("unary_unary", jobs + "GetJob", "trainer.v1.GetJobRequest", "trainer.v1.Job")
        list_jobs = method("unary_unary", jobs + "ListJobs", "trainer.v1.ListJobsRequest", "trainer.v1.ListJobsResponse")
        watch = method("unary_stream", jobs + "WatchJob", "trainer.v1.WatchJobRequest", "trainer.v1.JobEvent")
        cancel = method("unary_unary", jobs + "CancelJob", "trainer.v1.CancelJobRequest", "trainer.v1.Job")
        download = method("unary_stream", jobs + "DownloadCheckpoint", "trainer.v1.DownloadCheckpointRequest",
                          "trainer.v1.CheckpointChunk")
        check = method("unary_unary", "/grpc.health.v1.Health/Check", "grpc.health.v1.HealthCheckRequest",
                       "grpc.health.v1.HealthCheckResponse")
        State = message("trainer.v1.Job").DESCRIPTOR.fields_by_name["state"].enum_type

        def case(name, run):
            try:
                results[name] = {"ok": True, **run()}
            except grpc.RpcError as e:
                results[name] = {"ok": False, "code": e.code().name, "details": e.details()}

        case("health", lambda: {"status": check(message("grpc.health.v1.HealthCheckRequest")(service="trainer.v1.Jobs"),
                                                timeout=10).status})
        case("submit_invalid", lambda: {"job_id": submit(message("trainer.v1.SubmitJobRequest")(spec=spec(units=-4)),
                                                         timeout=30).job_id})
        job_id = submit(message("trainer.v1.SubmitJobRequest")(spec=spec(epochs=2)), timeout=30).job_id
        results["submit"] = {"ok": True, "job_id": job_id}

        def watch_to_end():
            kinds = [e.WhichOneof("event") for e in watch(message("trainer.v1.WatchJobRequest")(job_id=job_id), timeout=60)]
            return {"first": kinds[0], "count": len(kinds)}

        case("watch", watch_to_end)

        def get_job():
            job = get(message("trainer.v1.GetJobRequest")(job_id=job_id), timeout=10)
            return {"state": State.values_by_number[job.state].name, "epochs": len(job.epochs),
                    "last_checkpoint": job.last_checkpoint}

        case("get", get_job)
        case("get_unknown", lambda: {"state": get(message("trainer.v1.GetJobRequest")(job_id="j-000000000000"), timeout=10).state})
        case("list", lambda: {"job_ids": [j.job_id for j in list_jobs(message("trainer.v1.ListJobsRequest")(), timeout=10).jobs]})

        def download_checkpoint():
            data, first, largest = bytearray(), None, 0
            for chunk in download(message("trainer.v1.DownloadCheckpointRequest")(job_id=job_id), timeout=30):
                first = first or chunk
                largest = max(largest, len(chunk.data))
                data.extend(chunk.data)
            return {"size": len(data), "total_size": first.total_size, "largest_chunk": largest,
                    "sha256_matches": hashlib.sha256(bytes(data)).hexdigest() == first.sha256}

        case("download", download_checkpoint)

        long_id = submit(message("trainer.v1.SubmitJobRequest")(spec=spec(epochs=10000)), timeout=30).job_id

        def watch_with_deadline():
            start = time.monotonic()
            try:
                for _ in watch(message("trainer.v1.WatchJobRequest")(job_id=long_id), timeout=0.5):
                    pass
                return {"code": "OK", "elapsed": time.monotonic() - start}
            except grpc.RpcError as e:
                return {"code": e.code().name, "elapsed": time.monotonic() - start}

        case("deadline", watch_with_deadline)

        def cancel_long():
            cancel(message("trainer.v1.CancelJobRequest")(job_id=long_id), timeout=10)
            for _ in watch(message("trainer.v1.WatchJobRequest")(job_id=long_id), timeout=60):
                pass
            job = get(message("trainer.v1.GetJobRequest")(job_id=long_id), timeout=10)
            return {"state": State.values_by_number[job.state].name}

        case("cancel", cancel_long)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
