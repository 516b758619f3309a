// One run's trace: the SDK's tracer, the event mapping, a masker, and a close bounded by EXPORT_BOUND_MS.

import { createMasker } from '../secrets/index.js';
import { createTracing } from './sdk.js';
import { createRunSpans } from './spans.js';
import { EXPORT_BOUND_MS, type RunTrace, type TelemetryConfig, type TraceScope } from './types.js';

export function startRunTrace(config: TelemetryConfig, scope: TraceScope): RunTrace {
  // Kept for close(): written mid-run, a warning would cut through the live progress tree.
  let failure: string | undefined;
  const warnOnce = (reason: string) => void (failure ??= reason);
  const tracing = createTracing({
    exportTimeoutMs: Math.min(config.exportTimeoutMs, EXPORT_BOUND_MS),
    serviceVersion: config.serviceVersion,
    onExportError: (error) => warnOnce(error?.message || 'export failed'),
  });
  const spans = createRunSpans(tracing.spans, createMasker(scope.secrets), scope);
  return {
    handle: (event) => spans.handle(event),
    setServer: (url) => spans.setServer(url),
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
