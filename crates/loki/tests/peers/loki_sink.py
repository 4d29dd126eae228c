#!/usr/bin/python3
"""A Loki push API sink for ingot's tests, written independently of ingot.

It decodes push requests with its own push.proto compiled by protoc at start (Debian's protobuf-compiler and
python3-protobuf) and snappy block compression (python3-snappy), and also takes Loki's JSON push body. It
answers with the status the test asks for:

  POST /control   {"status": 500, "count": 3, "retry_after": "2", "body": "..."}  the next `count` pushes
                  are answered with `status` (queued after earlier counted answers), then 204 again;
                  without `count`, every push from now on until the next control.
  GET  /stats     {"requests": [...], "accepted_entries": n}   every push request seen, in order.
  GET  /ready     200

Every entry of every accepted push (2xx) is appended to the --record file as one JSON line
({"tenant", "labels", "ts", "line", "sm", "request"}), so that the tally survives the sink being stopped and
started again (an outage).
"""

import argparse
import importlib
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import snappy


def compile_proto(out_dir):
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run(
        ["protoc", f"--proto_path={here}", f"--python_out={out_dir}", "push.proto"],
        check=True,
    )
    sys.path.insert(0, out_dir)
    return importlib.import_module("push_pb2")


class State:
    def __init__(self, record):
        self.lock = threading.Lock()
        self.script = []  # (status, remaining or None, retry_after, body)
        self.requests = []
        self.record = open(record, "a", encoding="utf-8")
        self.accepted = 0

    def answer(self):
        with self.lock:
            if not self.script:
                return 204, None, ""
            status, remaining, retry_after, body = self.script[0]
            if remaining is not None:
                if remaining <= 1:
                    self.script.pop(0)
                else:
                    self.script[0] = (status, remaining - 1, retry_after, body)
            return status, retry_after, body


def decode(pb, headers, body):
    encoding = (headers.get("Content-Encoding") or "").strip()
    ctype = (headers.get("Content-Type") or "").split(";")[0].strip()
    if encoding == "snappy":
        body = snappy.uncompress(body)
    elif encoding == "gzip":
        import gzip

        body = gzip.decompress(body)
    elif encoding not in ("",):
        raise ValueError(f"unsupported Content-Encoding {encoding!r}")
    streams = []
    if ctype == "application/json":
        doc = json.loads(body)
        for s in doc.get("streams") or []:
            labels = "{" + ", ".join(f'{k}={json.dumps(v)}' for k, v in sorted(s["stream"].items())) + "}"
            entries = []
            for v in s.get("values") or []:
                entries.append((int(v[0]), v[1], sorted((v[2] if len(v) > 2 else {}).items())))
            streams.append((labels, entries))
        return streams
    if encoding != "snappy":
        # Loki reads protobuf bodies as snappy whatever the header says; the sink is strict instead, so
        # that a sender that forgets to compress is caught.
        raise ValueError("protobuf push without Content-Encoding: snappy")
    req = pb.PushRequest()
    req.ParseFromString(body)
    for s in req.streams:
        entries = []
        for e in s.entries:
            ts = e.timestamp.seconds * 1_000_000_000 + e.timestamp.nanos
            line = e.line.decode("utf-8", errors="surrogateescape")
            entries.append((ts, line, [(p.name, p.value) for p in e.structuredMetadata]))
        streams.append((s.labels, entries))
    return streams


def make_handler(state, pb):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            sys.stderr.write("loki_sink: " + (fmt % args) + "\n")

        def reply(self, status, body=b"", headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def do_GET(self):
            if self.path == "/ready":
                return self.reply(200, b"ready")
            if self.path == "/stats":
                with state.lock:
                    doc = {"requests": state.requests, "accepted_entries": state.accepted}
                return self.reply(200, json.dumps(doc).encode(), [("Content-Type", "application/json")])
            return self.reply(404, b"not found\n")

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if self.path == "/control":
                c = json.loads(body or b"{}")
                entry = (int(c["status"]), c.get("count"), c.get("retry_after"), c.get("body", ""))
                with state.lock:
                    if entry[1] is None:
                        # No count: from now on, until the next control.
                        state.script = [entry]
                    else:
                        state.script.append(entry)
                return self.reply(200, b"ok\n")
            status, retry_after, message = state.answer()
            tenant = self.headers.get("X-Scope-OrgID") or ""
            try:
                streams = decode(pb, self.headers, body)
            except Exception as e:  # noqa: BLE001 - a bad body is the test's finding
                with state.lock:
                    state.requests.append({"status": 400, "error": str(e), "tenant": tenant})
                return self.reply(400, f"decoding the push: {e}\n".encode())
            n = sum(len(entries) for _, entries in streams)
            with state.lock:
                index = len(state.requests)
                state.requests.append(
                    {
                        "status": status,
                        "tenant": tenant,
                        "entries": n,
                        "at": time.time(),
                        "path": self.path,
                        "content_type": self.headers.get("Content-Type"),
                        "content_encoding": self.headers.get("Content-Encoding"),
                        "user_agent": self.headers.get("User-Agent"),
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                    }
                )
                if 200 <= status < 300:
                    for labels, entries in streams:
                        for ts, line, sm in entries:
                            state.record.write(
                                json.dumps(
                                    {
                                        "tenant": tenant,
                                        "labels": labels,
                                        "ts": ts,
                                        "line": line,
                                        "sm": sm,
                                        "request": index,
                                    }
                                )
                                + "\n"
                            )
                    state.record.flush()
                    state.accepted += n
            headers = []
            if retry_after is not None:
                headers.append(("Retry-After", str(retry_after)))
            if status == 204:
                return self.reply(204)
            return self.reply(status, (message or f"sink answers {status}").encode() + b"\n", headers)

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--proto-out", required=True)
    args = ap.parse_args()
    pb = compile_proto(args.proto_out)
    state = State(args.record)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state, pb))
    server.daemon_threads = True
    sys.stderr.write(f"loki_sink: listening on 127.0.0.1:{args.port}\n")
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
