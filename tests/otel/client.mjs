// client.mjs - an independent OTLP client for toolprof's tests and bench:
// the OpenTelemetry JavaScript SDK (pinned in package.json and
// package-lock.json here; `npm ci` installs it) with its OTLP exporters,
// protobuf over HTTP ('http/protobuf') or gRPC ('grpc').
//
//   sendLogs({protocol, url, token, resource, scope, records})
//   sendSpans({protocol, url, token, resource, scope, spans})
//   sendMetrics({protocol, url, token, resource, scope, counters})
//
// url is the server's base (http://127.0.0.1:PORT: the HTTP exporters get
// /v1/<signal> appended, gRPC uses it as is). Each call exports through the
// SDK's real pipeline (provider, processor or reader, exporter) and
// resolves to the exporter's result ({code: 0} is success, {code: 1,
// error} a failure), so a test sees what the exporter saw.

import { Metadata } from '@grpc/grpc-js';
import { OTLPLogExporter as LogsGrpc } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as LogsProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as MetricsGrpc } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as MetricsProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as TracesGrpc } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as TracesProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

function exporter(kind, { protocol, url, token, compression }) {
  const classes = {
    logs: [LogsProto, LogsGrpc], traces: [TracesProto, TracesGrpc], metrics: [MetricsProto, MetricsGrpc],
  }[kind];
  const extra = kind === 'metrics' ? { temporalityPreference: AggregationTemporality.DELTA } : {};
  if (protocol === 'grpc') {
    const metadata = new Metadata();
    if (token) metadata.set('authorization', `Bearer ${token}`);
    return new classes[1]({ url, metadata, compression: compression || 'none', ...extra });
  }
  if (protocol !== 'http/protobuf') throw new Error(`protocol ${protocol}?`);
  return new classes[0]({
    url: `${url}/v1/${kind}`, headers: token ? { Authorization: `Bearer ${token}` } : {},
    compression: compression || 'none', ...extra,
  });
}

// Wrap an exporter so that the result of each export is kept.
function recording(exp) {
  const results = [];
  const inner = exp.export.bind(exp);
  exp.export = (items, cb) => inner(items, (r) => { results.push(r); cb(r); });
  return { exp, results };
}

function outcome(results) {
  const bad = results.find((r) => r.code !== 0);
  return bad ? { code: bad.code, error: String(bad.error?.message || bad.error), results }
    : { code: results.length ? 0 : -1, results };
}

// records: [{body, attributes, timestampMs, eventName}]
export async function sendLogs(o) {
  const { exp, results } = recording(exporter('logs', o));
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(o.resource || {}),
    processors: [new SimpleLogRecordProcessor({ exporter: exp })],
  });
  const logger = provider.getLogger(o.scope?.name || 'test', o.scope?.version);
  for (const r of o.records) {
    logger.emit({ body: r.body, attributes: r.attributes, timestamp: r.timestampMs, eventName: r.eventName });
  }
  await provider.forceFlush();
  await provider.shutdown();
  return outcome(results);
}

// spans: [{name, attributes, startMs, endMs, error, children: [...]}]
export async function sendSpans(o) {
  const { exp, results } = recording(exporter('traces', o));
  const provider = new TracerProvider({
    resource: resourceFromAttributes(o.resource || {}),
    spanProcessors: [new SimpleSpanProcessor({ exporter: exp })],
  });
  const tracer = provider.getTracer(o.scope?.name || 'test', o.scope?.version);
  const { trace, context } = await import('@opentelemetry/api');
  const start = (s, parent) => {
    const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
    const span = tracer.startSpan(s.name, { attributes: s.attributes, startTime: s.startMs }, ctx);
    for (const c of s.children || []) start(c, span);
    if (s.error) span.setStatus({ code: 2, message: s.error });
    span.end(s.endMs);
  };
  for (const s of o.spans) start(s, null);
  await provider.forceFlush();
  await provider.shutdown();
  return outcome(results);
}

// counters: [{name, unit, points: [{value, attributes}]}]
export async function sendMetrics(o) {
  const { exp, results } = recording(exporter('metrics', o));
  const reader = new PeriodicExportingMetricReader({ exporter: exp, exportIntervalMillis: 3600000 });
  const provider = new MeterProvider({ resource: resourceFromAttributes(o.resource || {}), readers: [reader] });
  const meter = provider.getMeter(o.scope?.name || 'test', o.scope?.version);
  for (const c of o.counters) {
    const counter = meter.createCounter(c.name, { unit: c.unit });
    for (const p of c.points) counter.add(p.value, p.attributes);
  }
  await reader.forceFlush();
  await provider.shutdown();
  return outcome(results);
}
