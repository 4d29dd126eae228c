#!/usr/bin/env python3
"""Sends traces, metrics and logs with PyPI's OpenTelemetry SDK (opentelemetry-sdk) and its OTLP exporters
(opentelemetry-exporter-otlp, gRPC or HTTP/protobuf) to an endpoint, then prints one JSON document saying what
it sent and what each export returned:

  {"spans": ["<trace id>:<span id>", ...], "metrics": {"<name><attributes>": value, ...},
   "logs": ["<body>", ...], "results": {"traces": [...], "metrics": [...], "logs": [...]}}

  sdk_client.py --protocol grpc --endpoint 127.0.0.1:4317 --spans 100 --metrics 3 --logs 20 --tag run1
"""

import argparse
import json
import logging
import sys

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter


def exporters(protocol, endpoint, headers):
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
        kw = dict(endpoint=endpoint, insecure=True, headers=headers, timeout=10)
        return OTLPSpanExporter(**kw), OTLPMetricExporter(**kw), OTLPLogExporter(**kw)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    base = endpoint.rstrip("/")
    return (
        OTLPSpanExporter(endpoint=base + "/v1/traces", headers=headers, timeout=10),
        OTLPMetricExporter(endpoint=base + "/v1/metrics", headers=headers, timeout=10),
        OTLPLogExporter(endpoint=base + "/v1/logs", headers=headers, timeout=10),
    )


def recording(base, results):
    """Wraps an exporter to record the result of every export."""

    class Recording(base):
        def __init__(self, inner):
            self.inner = inner
            if hasattr(inner, "_preferred_temporality"):
                self._preferred_temporality = inner._preferred_temporality
                self._preferred_aggregation = inner._preferred_aggregation

        def export(self, batch, *a, **kw):
            r = self.inner.export(batch, *a, **kw)
            results.append(getattr(r, "name", str(r)))
            return r

        def force_flush(self, timeout_millis=30000):
            return True

        def shutdown(self, *a, **kw):
            return self.inner.shutdown()

    return Recording


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--protocol", choices=["grpc", "http"], required=True)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--spans", type=int, default=0)
    ap.add_argument("--metrics", type=int, default=0)
    ap.add_argument("--logs", type=int, default=0)
    ap.add_argument("--tag", default="run")
    ap.add_argument("--header", action="append", default=[])
    args = ap.parse_args()
    headers = dict(h.split("=", 1) for h in args.header)
    resource = Resource.create({"service.name": "ingot-test-" + args.tag, "test.tag": args.tag})
    span_exp, metric_exp, log_exp = exporters(args.protocol, args.endpoint, headers)
    results = {"traces": [], "metrics": [], "logs": []}
    out = {"spans": [], "metrics": {}, "logs": [], "results": results}

    if args.spans:
        tp = TracerProvider(resource=resource)
        tp.add_span_processor(BatchSpanProcessor(recording(SpanExporter, results["traces"])(span_exp),
                                                 max_export_batch_size=256, schedule_delay_millis=100))
        tracer = tp.get_tracer("ingot.test", "1.0")
        for i in range(args.spans):
            with tracer.start_as_current_span(f"{args.tag}-span-{i}", attributes={"i": i}) as s:
                ctx = s.get_span_context()
                out["spans"].append(f"{ctx.trace_id:032x}:{ctx.span_id:016x}")
        tp.force_flush()
        tp.shutdown()

    if args.metrics:
        reader = PeriodicExportingMetricReader(recording(MetricExporter, results["metrics"])(metric_exp),
                                               export_interval_millis=3600_000)
        mp = MeterProvider(resource=resource, metric_readers=[reader])
        meter = mp.get_meter("ingot.test", "1.0")
        counter = meter.create_counter(f"{args.tag}_requests", unit="1", description="test requests")
        gauge = meter.create_up_down_counter(f"{args.tag}_queue_bytes", unit="By")
        hist = meter.create_histogram(f"{args.tag}_latency", unit="s")
        for i in range(args.metrics):
            attrs = {"route": f"/r{i}"}
            counter.add(i + 1, attrs)
            gauge.add(1000 * (i + 1), attrs)
            hist.record(0.25 * (i + 1), attrs)
            out["metrics"][f"{args.tag}_requests" + json.dumps(attrs, sort_keys=True)] = i + 1
            out["metrics"][f"{args.tag}_queue_bytes" + json.dumps(attrs, sort_keys=True)] = 1000 * (i + 1)
            out["metrics"][f"{args.tag}_latency" + json.dumps(attrs, sort_keys=True)] = {"count": 1, "sum": 0.25 * (i + 1)}
        mp.force_flush()
        mp.shutdown()

    if args.logs:
        lp = LoggerProvider(resource=resource)
        lp.add_log_record_processor(BatchLogRecordProcessor(recording(LogRecordExporter, results["logs"])(log_exp),
                                                            schedule_delay_millis=100))
        handler = LoggingHandler(level=logging.INFO, logger_provider=lp)
        log = logging.getLogger("ingot.test." + args.tag)
        log.propagate = False
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        for i in range(args.logs):
            body = f"{args.tag} log line {i}"
            log.warning(body, extra={"line": i})
            out["logs"].append(body)
        lp.force_flush()
        lp.shutdown()

    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
