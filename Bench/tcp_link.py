"""One TCP connection on loopback without gRPC or HTTP/2: the floor under `Bench link`'s rows.

usage: /usr/bin/python3 tcp_link.py MESSAGES
The sender writes MESSAGES messages of 1 MiB (TCP_NODELAY, as the ring's connections), the receiver reads them into a
1 MiB buffer of its own (the kernel's copy is the only one). Each side is its own process and times its own CPU (user +
system) over the transfer. Prints "result SECONDS SENDER_CPU_SECONDS RECEIVER_CPU_SECONDS" (the format LinkBenchmark reads).
"""
import os
import socket
import sys
import time

MESSAGE_BYTES = 1024 * 1024


def receive(port, total, report):
    sink = bytearray(MESSAGE_BYTES)
    view = memoryview(sink)
    with socket.create_connection(("127.0.0.1", port)) as connection:
        cpu_before = time.process_time()
        received = 0
        while received < total:
            count = connection.recv_into(view, min(MESSAGE_BYTES, total - received))
            if count == 0:
                raise EOFError(f"the sender closed after {received} of {total} bytes")
            received += count
        os.write(report, repr(time.process_time() - cpu_before).encode())


def main():
    messages = int(sys.argv[1])
    total = messages * MESSAGE_BYTES
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        report_in, report_out = os.pipe()
        child = os.fork()
        if child == 0:
            listener.close()
            receive(port, total, report_out)
            os._exit(0)
        connection, _ = listener.accept()
    with connection:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        payload = bytes(MESSAGE_BYTES)
        wall_before, cpu_before = time.perf_counter(), time.process_time()
        for _ in range(messages):
            connection.sendall(payload)
        sender_cpu = time.process_time() - cpu_before
        os.close(report_out)
        receiver_cpu = float(os.read(report_in, 64).decode())
        seconds = time.perf_counter() - wall_before
    _, status = os.waitpid(child, 0)
    if status != 0:
        raise SystemExit(f"the receiver failed (status {status})")
    print(f"result {seconds!r} {sender_cpu!r} {receiver_cpu!r}", flush=True)


if __name__ == "__main__":
    main()
