// Sends spans and log records with npm's OpenTelemetry JS SDK and its OTLP/HTTP exporters, which encode OTLP
// as JSON, then prints what it sent: {"spans": ["<trace id>:<span id>", ...], "logs": ["<body>", ...],
// "results": {"traces": [...], "logs": [...]}} (0 is success in the SDK's ExportResultCode).
//
//   node client.mjs <base url> <spans> <logs> <tag>
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { LoggerProvider, BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

const [base, spans, logs, tag] = process.argv.slice(2);
const resource = resourceFromAttributes({ 'service.name': 'ingot-test-' + tag, 'test.tag': tag });
const results = { traces: [], logs: [] };
const recording = (exporter, into) => ({
  export(items, done) {
    exporter.export(items, (r) => { into.push(r.code); done(r); });
  },
  shutdown() { return exporter.shutdown(); },
  forceFlush() { return exporter.forceFlush ? exporter.forceFlush() : Promise.resolve(); },
});
const out = { spans: [], logs: [], results };

const tp = new BasicTracerProvider({
  resource,
  spanProcessors: [new BatchSpanProcessor(recording(new OTLPTraceExporter({ url: base + '/v1/traces' }), results.traces))],
});
const tracer = tp.getTracer('ingot.js', '1.0');
for (let i = 0; i < Number(spans); i++) {
  const s = tracer.startSpan(`${tag}-js-span-${i}`, { attributes: { i } });
  const c = s.spanContext();
  out.spans.push(`${c.traceId}:${c.spanId}`);
  s.end();
}
await tp.forceFlush();
await tp.shutdown();

const lp = new LoggerProvider({
  resource,
  processors: [new BatchLogRecordProcessor({ exporter: recording(new OTLPLogExporter({ url: base + '/v1/logs' }), results.logs) })],
});
const logger = lp.getLogger('ingot.js', '1.0');
for (let i = 0; i < Number(logs); i++) {
  const body = `${tag} js log line ${i}`;
  logger.emit({ body, severityNumber: 13, severityText: 'WARN', attributes: { line: i } });
  out.logs.push(body);
}
await lp.forceFlush();
await lp.shutdown();
console.log(JSON.stringify(out));
