"""A real local TCP forwarder standing in for the runbook's SSM port-forwarding session: it
listens on 127.0.0.1:LOCAL_PORT and forwards each connection to the PostgreSQL database that
stands behind the RDS endpoint HOST in the AWS stand-in (every instance is one database on
one server there, so the database named in the client's startup message is replaced by that
one; nothing else in the stream is touched).

Run as the topology's ``db_tunnel``: ``python -m tests.helpers.pg_tunnel --state DIR
--account ACCOUNT --host {host} --port {port} --local-port {local_port}``. Each connection is
logged to ``DIR/tunnel.log`` as ``<host> <database>``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import socket
import socketserver
import struct
import sys
import threading
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from harness.backend.sim.dataplane import database_name

SSL_REQUEST, GSS_REQUEST, CANCEL_REQUEST = 80877103, 80877104, 80877102


def read_exact(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("client went away")
        data += chunk
    return data


def read_packet(conn: socket.socket) -> bytes:
    length = struct.unpack("!I", read_exact(conn, 4))[0]
    return struct.pack("!I", length) + read_exact(conn, length - 4)


def rewrite_startup(packet: bytes, database: str) -> bytes:
    fields = packet[8:].split(b"\0")
    pairs = dict(zip(fields[0:-2:2], fields[1:-2:2], strict=True))
    pairs[b"database"] = database.encode()
    body = packet[4:8] + b"".join(k + b"\0" + v + b"\0" for k, v in pairs.items()) + b"\0"
    return struct.pack("!I", len(body) + 4) + body


def pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while chunk := src.recv(65536):
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def main() -> None:
    parser = argparse.ArgumentParser()
    for flag in ("--state", "--account", "--host", "--port", "--local-port"):
        parser.add_argument(flag, required=True)
    args = parser.parse_args()
    state = Path(args.state)
    ready = json.loads((state / "ready.json").read_text())
    admin = conninfo_to_dict(ready["admin_dsn"])
    backend_path = f"{admin['host']}/.s.PGSQL.{admin.get('port') or 5432}"
    database = database_name("instance", args.account, args.host.split(".", 1)[0], ready["run"])
    log = state / "tunnel.log"
    lock = threading.Lock()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            client: socket.socket = self.request
            packet = read_packet(client)
            code = struct.unpack("!I", packet[4:8])[0]
            while code in (SSL_REQUEST, GSS_REQUEST):
                client.sendall(b"N")  # no encryption on the loopback stand-in
                packet = read_packet(client)
                code = struct.unpack("!I", packet[4:8])[0]
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(backend_path)
            if code != CANCEL_REQUEST:
                packet = rewrite_startup(packet, database)
                with lock, log.open("a") as out:
                    out.write(f"{args.host} {database}\n")
            upstream.sendall(packet)
            back = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
            back.start()
            pipe(client, upstream)
            back.join()

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    server = socketserver.ThreadingTCPServer(("127.0.0.1", int(args.local_port)), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    sys.exit(main())
