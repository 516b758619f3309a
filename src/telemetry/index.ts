// OpenTelemetry traces of runs, built from the engine's events; the SDK is imported only when a trace is opened.

import type { FleetTrace, FleetTraceScope, RunTrace, TelemetryConfig, TraceScope } from './types.js';

export { EXPORT_BOUND_MS, type FleetTrace, type FleetTraceScope, type RunTrace, type TelemetryConfig, type TraceScope } from './types.js';

/** Loads the OpenTelemetry SDK ahead of a trace (rehearse: before the simulation's scaled clock starts, ~0.1 s). */
export async function loadTracing(): Promise<void> {
  await import('./trace.js');
}

/** Starts exporting one run's trace; loads the OpenTelemetry SDK on first use. */
export async function openRunTrace(config: TelemetryConfig, scope: TraceScope): Promise<RunTrace> {
  const { startRunTrace } = await import('./trace.js');
  return startRunTrace(config, scope);
}

/** Starts exporting a fleet run's one trace (its clusters' runs under it); loads the OpenTelemetry SDK on first use. */
export async function openFleetTrace(config: TelemetryConfig, scope: FleetTraceScope): Promise<FleetTrace> {
  const { startFleetTrace } = await import('./trace.js');
  return startFleetTrace(config, scope);
}
