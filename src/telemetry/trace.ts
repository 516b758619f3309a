// A run's or a fleet run's trace: the SDK's tracer, the event mapping, a masker, and a close bounded by EXPORT_BOUND_MS.

import { createMasker } from '../secrets/index.js';
import { createFleetSpans } from './fleet-spans.js';
import { createTracing } from './sdk.js';
import { createRunSpans } from './spans.js';
import { EXPORT_BOUND_MS, type FleetTrace, type FleetTraceScope, type RunTrace, type SpanFactory, type TelemetryConfig, type TraceScope } from './types.js';

export function startRunTrace(config: TelemetryConfig, scope: TraceScope): RunTrace {
  const { spans, close } = startExport(config, (factory) => createRunSpans(factory, createMasker(scope.secrets), scope));
  return { handle: (event) => spans.handle(event), setServer: (url) => spans.setServer(url), close };
}

/** One trace for the whole fleet run, its clusters' runs included: one tracer provider, exported once at the end. */
export function startFleetTrace(config: TelemetryConfig, scope: FleetTraceScope): FleetTrace {
  const { spans, close } = startExport(config, (factory) => createFleetSpans(factory, createMasker(scope.secrets), scope));
  return {
    handle: (event) => spans.handle(event),
    cluster(name, { context, nowMs }) {
      const runs = spans.cluster(name, context, nowMs);
      return { handle: (event) => runs.handle(event), setServer: (url) => runs.setServer(url), close: async (endMs) => runs.finish(endMs) };
    },
    close,
  };
}

/**
 * The tracer, the spans `build` makes on it, and a bounded close that ends what is open and says the first export failure
 * once (never mid-run: it would cut through the live view).
 */
function startExport<S extends { finish(nowMs: number): void }>(config: TelemetryConfig, build: (factory: SpanFactory) => S): { spans: S; close(nowMs: number): Promise<void> } {
  let failure: string | undefined;
  const warnOnce = (reason: string) => void (failure ??= reason);
  const tracing = createTracing({
    exportTimeoutMs: Math.min(config.exportTimeoutMs, EXPORT_BOUND_MS),
    serviceVersion: config.serviceVersion,
    onExportError: (error) => warnOnce(error?.message || 'export failed'),
  });
  const spans = build(tracing.spans);
  return {
    spans,
    async close(nowMs) {
      try {
        spans.finish(nowMs);
        if (!(await tracing.shutdown(EXPORT_BOUND_MS))) warnOnce(`no answer within ${EXPORT_BOUND_MS / 1000}s`);
      } catch (error) {
        warnOnce(error instanceof Error ? error.message : String(error));
      }
      if (failure !== undefined) config.warn(`traces not exported to ${displayEndpoint(config.endpoint)}: ${failure} (the run is not affected)`);
    },
  };
}

/** The endpoint without credentials or query (a token may sit in either). */
function displayEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return 'the configured OTLP endpoint';
  }
}
