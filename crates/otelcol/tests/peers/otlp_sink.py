#!/usr/bin/env python3
"""An OTLP sink for ingot's tests, written independently of ingot: gRPC on grpcio with the service stubs of
PyPI's opentelemetry-proto, and OTLP/HTTP on Python's http.server, decoding protobuf with opentelemetry-proto's
messages and JSON by hand. It answers with the failures a test asks for:

  POST /control  {"status": 503, "retry_after": "2", "grpc_code": "UNAVAILABLE", "retry_delay": 1.5,
                  "count": 3, "delay": 0.5}
                 the next `count` requests (gRPC or HTTP; every request until the next control without a
                 count) fail: HTTP with `status` (and `Retry-After`), gRPC with `grpc_code` (and a
                 google.rpc.RetryInfo of `retry_delay` seconds); `delay` holds the answer that long.
                 {"status": 200} goes back to accepting.
  GET  /stats    {"requests": [{"transport", "signal", "status", "items", "headers", ...}, ...]}
  GET  /ready    200

Every item of every accepted request is appended to the --record file as one JSON line
({"signal", "id", "request", "transport", "resource", "scope", ...}), so that the tally survives the sink
being stopped and started again (an outage).
"""

import argparse
import gzip
import json
import threading
import time
import zlib
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


class State:
    def __init__(self, record):
        self.lock = threading.Lock()
        self.script = []  # dicts with "remaining" (None: until the next control)
        self.requests = []
        self.record = open(record, "a", encoding="utf-8")

    def answer(self):
        with self.lock:
            if not self.script:
                return None
            s = self.script[0]
            if s.get("remaining") is not None:
                s["remaining"] -= 1
                if s["remaining"] <= 0:
                    self.script.pop(0)
            return s

    def control(self, doc):
        with self.lock:
            if doc.get("status", 200) == 200 and "count" not in doc:
                self.script = []
                return
            if "count" not in doc:
                self.script = []
            doc["remaining"] = doc.get("count")
            self.script.append(doc)

    def note(self, entry):
        entry["time"] = time.time()
        with self.lock:
            entry["index"] = len(self.requests)
            self.requests.append(entry)
            return entry["index"]

    def accept(self, request, transport, signal, items):
        with self.lock:
            for it in items:
                it.update({"signal": signal, "request": request, "transport": transport})
                self.record.write(json.dumps(it) + "\n")
            self.record.flush()


def attrs(kvs):
    out = {}
    for kv in kvs:
        v = kv.value
        which = v.WhichOneof("value")
        if which == "string_value":
            out[kv.key] = v.string_value
        elif which == "int_value":
            out[kv.key] = v.int_value
        elif which == "double_value":
            out[kv.key] = v.double_value
        elif which == "bool_value":
            out[kv.key] = v.bool_value
        else:
            out[kv.key] = json_format.MessageToDict(v)
    return out


def point_value(p):
    which = p.WhichOneof("value")
    return p.as_int if which == "as_int" else p.as_double


def items_of(signal, req):
    """One dict per span, data point or log record, with what the tests compare."""
    out = []
    if signal == "traces":
        for rs in req.resource_spans:
            res = attrs(rs.resource.attributes)
            for ss in rs.scope_spans:
                for s in ss.spans:
                    out.append({
                        "id": s.trace_id.hex() + ":" + s.span_id.hex(),
                        "name": s.name,
                        "resource": res,
                        "scope": ss.scope.name,
                        "attributes": attrs(s.attributes),
                    })
    elif signal == "metrics":
        for rm in req.resource_metrics:
            res = attrs(rm.resource.attributes)
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    kind = m.WhichOneof("data")
                    points = getattr(m, kind).data_points if kind else []
                    for p in points:
                        a = attrs(p.attributes)
                        if kind in ("gauge", "sum"):
                            value = point_value(p)
                        else:
                            value = {"count": p.count, "sum": p.sum}
                        out.append({
                            "id": m.name + json.dumps(a, sort_keys=True),
                            "name": m.name,
                            "kind": kind,
                            "unit": m.unit,
                            "description": m.description,
                            "monotonic": m.sum.is_monotonic if kind == "sum" else None,
                            "temporality": (getattr(m, kind).aggregation_temporality
                                            if kind in ("sum", "histogram") else None),
                            "value": value,
                            "time": p.time_unix_nano,
                            "resource": res,
                            "scope": sm.scope.name,
                            "attributes": a,
                        })
    else:
        for rl in req.resource_logs:
            res = attrs(rl.resource.attributes)
            for sl in rl.scope_logs:
                for r in sl.log_records:
                    body = r.body.string_value if r.body.WhichOneof("value") == "string_value" else json_format.MessageToDict(r.body)
                    out.append({
                        "id": body if isinstance(body, str) else json.dumps(body, sort_keys=True),
                        "body": body,
                        "severity": r.severity_number,
                        "resource": res,
                        "scope": sl.scope.name,
                        "attributes": attrs(r.attributes),
                    })
    return out


REQUESTS = {
    "traces": trace_service_pb2.ExportTraceServiceRequest,
    "metrics": metrics_service_pb2.ExportMetricsServiceRequest,
    "logs": logs_service_pb2.ExportLogsServiceRequest,
}
RESPONSES = {
    "traces": trace_service_pb2.ExportTraceServiceResponse,
    "metrics": metrics_service_pb2.ExportMetricsServiceResponse,
    "logs": logs_service_pb2.ExportLogsServiceResponse,
}


def from_json(signal, body):
    """OTLP/JSON: ids are hex, not base64 as protobuf's JSON mapping has them; fixed before parsing."""
    doc = json.loads(body)

    def fix(o):
        if isinstance(o, dict):
            for k, v in list(o.items()):
                if k in ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id") and isinstance(v, str):
                    import base64
                    o[k] = base64.b64encode(bytes.fromhex(v)).decode()
                else:
                    fix(v)
        elif isinstance(o, list):
            for v in o:
                fix(v)

    fix(doc)
    msg = REQUESTS[signal]()
    json_format.ParseDict(doc, msg, ignore_unknown_fields=True)
    return msg


def grpc_service(state, signal, base):
    class Service(base):
        def Export(self, request, context):
            md = {k: v for k, v in context.invocation_metadata()}
            items = items_of(signal, request)
            s = state.answer()
            entry = {"transport": "grpc", "signal": signal, "items": len(items), "headers": md}
            if s is not None and s.get("delay"):
                time.sleep(s["delay"])
            if s is not None and s.get("grpc_code"):
                code = getattr(grpc.StatusCode, s["grpc_code"])
                entry["status"] = s["grpc_code"]
                state.note(entry)
                msg = s.get("message", "the test sink refuses this request")
                if s.get("retry_delay") is not None:
                    info = error_details_pb2.RetryInfo()
                    info.retry_delay.FromNanoseconds(int(s["retry_delay"] * 1e9))
                    st = status_pb2.Status(code=code.value[0], message=msg)
                    st.details.add().Pack(info)
                    context.set_trailing_metadata([("grpc-status-details-bin", st.SerializeToString())])
                context.abort(code, msg)
            entry["status"] = "OK"
            idx = state.note(entry)
            state.accept(idx, "grpc", signal, items)
            return RESPONSES[signal]()

    return Service()


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            print("http:", fmt % args, flush=True)

        def reply(self, status, body=b"", ctype="application/json", extra=()):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/ready":
                return self.reply(200, b"ready")
            if self.path == "/stats":
                with state.lock:
                    doc = json.dumps({"requests": state.requests}).encode()
                return self.reply(200, doc)
            self.reply(404, b"not found")

        def read_body(self):
            if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
                body = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return body
                    body += self.rfile.read(size)
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_POST(self):
            body = self.read_body()
            if self.path == "/control":
                state.control(json.loads(body))
                return self.reply(200, b"{}")
            signal = {"/v1/traces": "traces", "/v1/metrics": "metrics", "/v1/logs": "logs"}.get(self.path)
            if signal is None:
                return self.reply(404, b"not found")
            headers = {k.lower(): v for k, v in self.headers.items()}
            entry = {"transport": "http", "signal": signal, "headers": headers,
                     "encoding": headers.get("content-encoding", ""),
                     "content_type": headers.get("content-type", "")}
            enc = entry["encoding"]
            try:
                if enc == "gzip":
                    body = gzip.decompress(body)
                elif enc in ("zlib", "deflate"):
                    body = zlib.decompress(body)
                elif enc == "zstd":
                    raise ValueError("the sink takes gzip, zlib and deflate")
                if entry["content_type"].startswith("application/json"):
                    req = from_json(signal, body)
                else:
                    req = REQUESTS[signal].FromString(body)
            except Exception as e:  # a malformed body: what an OTLP server answers
                entry["status"] = 400
                entry["error"] = str(e)
                state.note(entry)
                return self.reply(400, json.dumps({"code": 3, "message": str(e)}).encode())
            items = items_of(signal, req)
            entry["items"] = len(items)
            s = state.answer()
            if s is not None and s.get("delay"):
                time.sleep(s["delay"])
            if s is not None and s.get("status", 200) != 200:
                entry["status"] = s["status"]
                state.note(entry)
                extra = [("Retry-After", s["retry_after"])] if s.get("retry_after") else []
                st = status_pb2.Status(code=14, message=s.get("message", "the test sink refuses this request"))
                return self.reply(s["status"], st.SerializeToString(), "application/x-protobuf", extra)
            entry["status"] = 200
            idx = state.note(entry)
            state.accept(idx, "http", signal, items)
            self.reply(200, RESPONSES[signal]().SerializeToString(), "application/x-protobuf")

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--http-port", type=int, required=True)
    ap.add_argument("--grpc-port", type=int, required=True)
    ap.add_argument("--record", required=True)
    args = ap.parse_args()
    state = State(args.record)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8),
                         options=[("grpc.max_receive_message_length", 64 << 20)])
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(
        grpc_service(state, "traces", trace_service_pb2_grpc.TraceServiceServicer), server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(
        grpc_service(state, "metrics", metrics_service_pb2_grpc.MetricsServiceServicer), server)
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(
        grpc_service(state, "logs", logs_service_pb2_grpc.LogsServiceServicer), server)
    server.add_insecure_port(f"127.0.0.1:{args.grpc_port}")
    server.start()
    httpd = ThreadingHTTPServer(("127.0.0.1", args.http_port), make_handler(state))
    print(f"otlp sink: gRPC on {args.grpc_port}, HTTP on {args.http_port}", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
