// An OTLP/HTTP receiver for tests: node:http on the loopback, decoding each OTLP/HTTP JSON export into flat spans.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startMs: number;
  endMs: number;
  attributes: Record<string, unknown>;
  events: { name: string; timeMs: number; attributes: Record<string, unknown> }[];
  status: { code?: number; message?: string };
  /** The resource's attributes (service.name …). */
  resource: Record<string, unknown>;
}

export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  /** e.g. http://127.0.0.1:4318 (give it as OTEL_EXPORTER_OTLP_ENDPOINT). */
  url: string;
  requests: ReceivedRequest[];
  spans(): ReceivedSpan[];
  close(): Promise<void>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}
type OtlpAttribute = { key: string; value: OtlpValue };

const decodeValue = (v: OtlpValue): unknown =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.boolValue ?? v.arrayValue?.values?.map(decodeValue);

const decodeAttributes = (attributes: OtlpAttribute[] = []): Record<string, unknown> => Object.fromEntries(attributes.map((a) => [a.key, decodeValue(a.value)]));

/** Nanoseconds since the epoch (a decimal string or number in OTLP JSON) as milliseconds. */
const toMs = (nanos: string | number): number => Number(BigInt(nanos) / 1_000_000n);

/** Decodes an ExportTraceServiceRequest in OTLP/HTTP JSON (ids as hex, as the exporter sends them). */
export function decodeTraces(body: string): ReceivedSpan[] {
  const request = JSON.parse(body) as {
    resourceSpans?: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans?: { spans?: Record<string, never>[] }[] }[];
  };
  const spans: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = decodeAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? [])
      for (const s of ss.spans ?? []) {
        const span = s as unknown as {
          traceId: string; spanId: string; parentSpanId?: string; name: string; startTimeUnixNano: string; endTimeUnixNano: string;
          attributes?: OtlpAttribute[]; events?: { name: string; timeUnixNano: string; attributes?: OtlpAttribute[] }[]; status?: { code?: number; message?: string };
        };
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
          name: span.name,
          startMs: toMs(span.startTimeUnixNano),
          endMs: toMs(span.endTimeUnixNano),
          attributes: decodeAttributes(span.attributes),
          events: (span.events ?? []).map((e) => ({ name: e.name, timeMs: toMs(e.timeUnixNano), attributes: decodeAttributes(e.attributes) })),
          status: span.status ?? {},
          resource,
        });
      }
  }
  return spans;
}

/** Starts a receiver on 127.0.0.1 (an ephemeral port); `answer: false` accepts requests and never answers them. */
export async function startReceiver({ answer = true }: { answer?: boolean } = {}): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (!answer) return;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    spans: () => requests.filter((r) => r.path === '/v1/traces').flatMap((r) => decodeTraces(r.body)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
