// The one module that imports the OpenTelemetry SDK: a tracer provider with a batch processor and the OTLP/HTTP exporter.
// The SDK reads the endpoint, headers, compression, certificates and sampler from OTEL_* itself; see README "Traces".

import { ROOT_CONTEXT, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Attributes, SpanFactory, TraceSpan } from './types.js';

type ExportResult = Parameters<Parameters<SpanExporter['export']>[1]>[0];

export interface Tracing {
  spans: SpanFactory;
  /** Flushes and stops; resolves `false` when `boundMs` passed first (spans still queued are dropped). */
  shutdown(boundMs: number): Promise<boolean>;
}

/** `onExportError` hears every failed export (the caller says it once). */
export function createTracing(options: { exportTimeoutMs: number; serviceVersion: string; onExportError: (error: Error | undefined) => void }): Tracing {
  // Our defaults first, then OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES over them (the SDK's env detector reads those).
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'opsbook', 'service.version': options.serviceVersion }))
    .merge(detectResources({ detectors: [envDetector] }));
  const exporter = reportFailures(new OTLPTraceExporter({ timeoutMillis: options.exportTimeoutMs }), options.onExportError);
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter, { exportTimeoutMillis: options.exportTimeoutMs })] });
  const tracer = provider.getTracer('opsbook', options.serviceVersion);
  return {
    spans: {
      startSpan(name, { startMs, attributes, parent }) {
        const parentContext = parent ? trace.setSpan(ROOT_CONTEXT, (parent as WrappedSpan).span) : ROOT_CONTEXT;
        return wrap(tracer.startSpan(name, { startTime: startMs, attributes: defined(attributes) }, parentContext));
      },
    },
    async shutdown(boundMs) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), boundMs)));
      const done = provider.shutdown().then(
        () => true,
        () => true, // a failed export was already reported through onExportError
      );
      try {
        return await Promise.race([done, timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

interface WrappedSpan extends TraceSpan {
  span: Span;
}

function wrap(span: Span): WrappedSpan {
  return {
    span,
    setAttributes: (attributes) => void span.setAttributes(defined(attributes)),
    addEvent: (name, attributes, timeMs) => void span.addEvent(name, defined(attributes), timeMs),
    fail: (message) => void span.setStatus({ code: SpanStatusCode.ERROR, message }),
    end: (timeMs) => span.end(timeMs),
  };
}

/** OpenTelemetry attributes without the undefined ones (the SDK would warn about each). */
function defined(attributes: Attributes): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

/** The exporter, telling `onError` about each export that did not succeed (the SDK itself only logs through diag). */
function reportFailures(exporter: SpanExporter, onError: (error: Error | undefined) => void): SpanExporter {
  return {
    export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void) {
      exporter.export(spans, (result) => {
        if (result.code !== 0) onError(result.error);
        resultCallback(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}
