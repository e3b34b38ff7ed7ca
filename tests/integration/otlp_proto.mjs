// otlp_proto.mjs - OTLP requests in protobuf for the integration tests: an
// encoder (and a small decoder for the answers) written from the field
// numbers of opentelemetry-proto v1, independent of toolprof's C code. It
// takes a request in its OTLP/JSON form (the proto3 JSON mapping, as the
// tests also post it), so one request can be sent in both encodings.

const F = (num, type, rep = false) => ({ num, type, rep });

// message name -> { jsonKey: F(field number, type, repeated) }
const S = {
  ExportLogsServiceRequest: { resourceLogs: F(1, 'ResourceLogs', true) },
  ExportTraceServiceRequest: { resourceSpans: F(1, 'ResourceSpans', true) },
  ExportMetricsServiceRequest: { resourceMetrics: F(1, 'ResourceMetrics', true) },
  ResourceLogs: { resource: F(1, 'Resource'), scopeLogs: F(2, 'ScopeLogs', true), schemaUrl: F(3, 'string') },
  ResourceSpans: { resource: F(1, 'Resource'), scopeSpans: F(2, 'ScopeSpans', true), schemaUrl: F(3, 'string') },
  ResourceMetrics: { resource: F(1, 'Resource'), scopeMetrics: F(2, 'ScopeMetrics', true), schemaUrl: F(3, 'string') },
  Resource: { attributes: F(1, 'KeyValue', true), droppedAttributesCount: F(2, 'uint') },
  InstrumentationScope: { name: F(1, 'string'), version: F(2, 'string'), attributes: F(3, 'KeyValue', true) },
  ScopeLogs: { scope: F(1, 'InstrumentationScope'), logRecords: F(2, 'LogRecord', true), schemaUrl: F(3, 'string') },
  ScopeSpans: { scope: F(1, 'InstrumentationScope'), spans: F(2, 'Span', true), schemaUrl: F(3, 'string') },
  ScopeMetrics: { scope: F(1, 'InstrumentationScope'), metrics: F(2, 'Metric', true), schemaUrl: F(3, 'string') },
  LogRecord: {
    timeUnixNano: F(1, 'fixed64'), observedTimeUnixNano: F(11, 'fixed64'), severityNumber: F(2, 'uint'),
    severityText: F(3, 'string'), body: F(5, 'AnyValue'), attributes: F(6, 'KeyValue', true),
    droppedAttributesCount: F(7, 'uint'), flags: F(8, 'fixed32'), traceId: F(9, 'hex'), spanId: F(10, 'hex'),
    eventName: F(12, 'string'),
  },
  Span: {
    traceId: F(1, 'hex'), spanId: F(2, 'hex'), traceState: F(3, 'string'), parentSpanId: F(4, 'hex'),
    name: F(5, 'string'), kind: F(6, 'uint'), startTimeUnixNano: F(7, 'fixed64'), endTimeUnixNano: F(8, 'fixed64'),
    attributes: F(9, 'KeyValue', true), events: F(11, 'Event', true), links: F(13, 'Link', true),
    status: F(15, 'Status'), flags: F(16, 'fixed32'),
  },
  Event: { timeUnixNano: F(1, 'fixed64'), name: F(2, 'string'), attributes: F(3, 'KeyValue', true) },
  Link: { traceId: F(1, 'hex'), spanId: F(2, 'hex'), attributes: F(4, 'KeyValue', true) },
  Status: { message: F(2, 'string'), code: F(3, 'uint') },
  Metric: {
    name: F(1, 'string'), description: F(2, 'string'), unit: F(3, 'string'), gauge: F(5, 'Gauge'),
    sum: F(7, 'Sum'), histogram: F(9, 'Histogram'),
  },
  Gauge: { dataPoints: F(1, 'NumberDataPoint', true) },
  Sum: { dataPoints: F(1, 'NumberDataPoint', true), aggregationTemporality: F(2, 'uint'), isMonotonic: F(3, 'bool') },
  Histogram: { dataPoints: F(1, 'HistogramDataPoint', true), aggregationTemporality: F(2, 'uint') },
  NumberDataPoint: {
    attributes: F(7, 'KeyValue', true), startTimeUnixNano: F(2, 'fixed64'), timeUnixNano: F(3, 'fixed64'),
    asDouble: F(4, 'double'), asInt: F(6, 'fixed64'),
  },
  HistogramDataPoint: {
    attributes: F(9, 'KeyValue', true), startTimeUnixNano: F(2, 'fixed64'), timeUnixNano: F(3, 'fixed64'),
    count: F(4, 'fixed64'), sum: F(5, 'double'),
  },
  KeyValue: { key: F(1, 'string'), value: F(2, 'AnyValue') },
  AnyValue: {
    stringValue: F(1, 'string'), boolValue: F(2, 'bool'), intValue: F(3, 'int64'), doubleValue: F(4, 'double'),
    arrayValue: F(5, 'ArrayValue'), kvlistValue: F(6, 'KeyValueList'), bytesValue: F(7, 'b64'),
  },
  ArrayValue: { values: F(1, 'AnyValue', true) },
  KeyValueList: { values: F(1, 'KeyValue', true) },
};

function varint(v) {
  let n = BigInt.asUintN(64, BigInt(v));
  const out = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return Buffer.from(out);
}

const key = (num, wt) => varint((num << 3) | wt);
const len = (num, buf) => Buffer.concat([key(num, 2), varint(buf.length), buf]);

function field(f, v) {
  switch (f.type) {
    case 'string': return len(f.num, Buffer.from(String(v), 'utf8'));
    case 'hex': return len(f.num, Buffer.from(v, 'hex'));
    case 'b64': return len(f.num, Buffer.from(v, 'base64'));
    case 'uint': case 'int64': return Buffer.concat([key(f.num, 0), varint(v)]);
    case 'bool': return Buffer.concat([key(f.num, 0), varint(v ? 1 : 0)]);
    case 'fixed64': {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)));
      return Buffer.concat([key(f.num, 1), b]);
    }
    case 'fixed32': {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(v >>> 0);
      return Buffer.concat([key(f.num, 5), b]);
    }
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(Number(v));
      return Buffer.concat([key(f.num, 1), b]);
    }
    default: return len(f.num, encodeMessage(f.type, v));
  }
}

export function encodeMessage(type, obj) {
  const schema = S[type];
  if (!schema) throw new Error(`no schema for ${type}`);
  const parts = [];
  for (const [k, v] of Object.entries(obj || {})) {
    const f = schema[k];
    if (!f) throw new Error(`${type} has no field ${k}`);
    if (v === undefined || v === null) continue;
    if (f.rep) for (const e of v) parts.push(field(f, e));
    else parts.push(field(f, v));
  }
  return Buffer.concat(parts);
}

// An OTLP/JSON request -> its protobuf bytes.
export function encodeRequest(json) {
  const type = json.resourceLogs ? 'ExportLogsServiceRequest'
    : json.resourceSpans ? 'ExportTraceServiceRequest' : 'ExportMetricsServiceRequest';
  return encodeMessage(type, json);
}

// Read a message's fields: [{num, wt, value (BigInt or Buffer)}].
export function decodeFields(buf) {
  const out = [];
  let i = 0;
  const rv = () => {
    let n = 0n, shift = 0n;
    for (;;) {
      const b = buf[i++];
      if (b === undefined) throw new Error('truncated varint');
      n |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return n;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const k = Number(rv());
    const num = k >> 3, wt = k & 7;
    if (wt === 0) out.push({ num, wt, value: rv() });
    else if (wt === 2) {
      const n = Number(rv());
      out.push({ num, wt, value: buf.subarray(i, i + n) });
      i += n;
    } else if (wt === 1) { out.push({ num, wt, value: buf.readBigUInt64LE(i) }); i += 8; }
    else if (wt === 5) { out.push({ num, wt, value: BigInt(buf.readUInt32LE(i)) }); i += 4; }
    else throw new Error(`wire type ${wt}`);
  }
  return out;
}

// A google.rpc.Status {1: code, 2: message} -> {code, message}.
export function decodeStatus(buf) {
  const f = decodeFields(buf);
  const code = f.find((x) => x.num === 1);
  const msg = f.find((x) => x.num === 2);
  return { code: code ? Number(code.value) : 0, message: msg ? msg.value.toString('utf8') : '' };
}

// An Export*ServiceResponse -> {rejected, message} of its partial_success
// (null when absent: the empty response).
export function decodeExportResponse(buf) {
  const ps = decodeFields(buf).find((x) => x.num === 1);
  if (!ps) return null;
  const f = decodeFields(ps.value);
  const r = f.find((x) => x.num === 1);
  const m = f.find((x) => x.num === 2);
  return { rejected: r ? Number(r.value) : 0, message: m ? m.value.toString('utf8') : '' };
}

// One gRPC message: the 5-byte prefix and the bytes.
export function grpcFrame(buf, compressed = false) {
  const h = Buffer.alloc(5);
  h[0] = compressed ? 1 : 0;
  h.writeUInt32BE(buf.length, 1);
  return Buffer.concat([h, buf]);
}
