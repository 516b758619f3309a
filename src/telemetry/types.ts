// What a run's trace needs to know, as plain data: the CLI reads the OTEL_* variables and fills these in.

import type { EngineEvent } from '../engine/events.js';
import type { FleetEvent } from '../fleet/index.js';

/** At most this long after a run ends is spent exporting its trace, whatever the collector does. */
export const EXPORT_BOUND_MS = 2_000;

export interface TelemetryConfig {
  /** Where spans go, as the variables give it (shown in the warning when exporting fails; credentials stripped there). */
  endpoint: string;
  /** Per export, capped at EXPORT_BOUND_MS (OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT, default 10 s). */
  exportTimeoutMs: number;
  /** opsbook's version, recorded as service.version. */
  serviceVersion: string;
  /** Told once per trace, when it closes, that spans could not be exported (the first reason); never fails the run. */
  warn: (text: string) => void;
}

/** What a run is, beyond its events: where it ran and what it belongs to. */
export interface TraceScope {
  /** Secret values: every attribute and event passes through the same masker as the journal. */
  secrets: readonly string[];
  /** The kubeconfig context the flags chose (absent: the kubeconfig's current one). */
  context?: string;
  /** One cluster of a fleet run. */
  fleet?: { id: string; cluster: string };
  /** A rehearsal: the scenario it ran on. */
  rehearsal?: { scenario: string };
}

/** A run's trace: fed the engine's events, told the cluster's server once known, closed when the run ends. */
export interface RunTrace {
  handle(event: EngineEvent): void;
  setServer(url: string): void;
  /** Ends open spans at `nowMs` (the run's clock) and exports what is left, within EXPORT_BOUND_MS; never throws. */
  close(nowMs: number): Promise<void>;
}

/** What a fleet run's trace knows beyond its events (the fleet-start event names the fleet, its waves and strategy). */
export interface FleetTraceScope {
  /** Every cluster's secret values: each attribute and event passes through one masker. */
  secrets: readonly string[];
  runbook: { path: string; sha256: string };
  rehearsal?: { scenario: string };
}

/**
 * A fleet run's one trace: a root span for the fleet, a child per wave and, below it, per cluster; each cluster's run
 * (steps, attempts) below its cluster span, fed through the RunTrace `cluster()` gives.
 */
export interface FleetTrace {
  handle(event: FleetEvent): void;
  /** The cluster's run as a RunTrace under its cluster span; its close ends the run's open spans, the export is the fleet's. */
  cluster(name: string, scope: { context?: string; nowMs: number }): RunTrace;
  /** Ends open spans at `nowMs` and exports what is left, within EXPORT_BOUND_MS; never throws. */
  close(nowMs: number): Promise<void>;
}

/** A span as the event mapping sees it: the SDK stays behind src/telemetry/sdk.ts. */
export interface TraceSpan {
  setAttributes(attributes: Attributes): void;
  addEvent(name: string, attributes: Attributes, timeMs: number): void;
  /** Marks the span failed with `message` (OpenTelemetry status ERROR). */
  fail(message: string): void;
  end(timeMs: number): void;
}

export type Attributes = Record<string, string | number | boolean | undefined>;

export interface SpanFactory {
  startSpan(name: string, options: { startMs: number; attributes: Attributes; parent?: TraceSpan }): TraceSpan;
}
