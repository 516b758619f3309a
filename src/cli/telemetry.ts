// Whether a run exports an OpenTelemetry trace: the OTEL_* variables are read here (env lives in src/cli) and the
// SDK is loaded only when an OTLP endpoint is set and OTEL_SDK_DISABLED is not true.

import { readFileSync } from 'node:fs';
import type { KubeClient } from '../k8s/types.js';
import { packagePath } from '../paths.js';
import { loadTracing, openFleetTrace, openRunTrace, type FleetTrace, type FleetTraceScope, type RunTrace, type TelemetryConfig, type TraceScope } from '../telemetry/index.js';
import { escapeControl } from '../ui/escape.js';

/** The OTLP exporter's own default per export (OTEL_EXPORTER_OTLP_TIMEOUT unset). */
const DEFAULT_EXPORT_TIMEOUT_MS = 10_000;

type Env = Record<string, string | undefined>;

/** The variables' value, an empty one counting as unset (as the SDK reads them). */
const read = (env: Env, name: string): string | undefined => (env[name]?.trim() ? env[name]!.trim() : undefined);

/** The URL traces are posted to (the exporter adds v1/traces to the general endpoint), or undefined when traces are off. */
export function traceEndpoint(env: Env): string | undefined {
  if (read(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return undefined;
  const general = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  return read(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? (general && `${general.replace(/\/+$/, '')}/v1/traces`);
}

/** Milliseconds per export from OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT (the trace keeps it under EXPORT_BOUND_MS). */
export function exportTimeout(env: Env): number {
  const value = Number(read(env, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') ?? read(env, 'OTEL_EXPORTER_OTLP_TIMEOUT'));
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_EXPORT_TIMEOUT_MS;
}

// One warning per process, however many clusters' runs a fleet traces.
let warned = false;

export interface OpenTraceOptions extends Omit<TraceScope, 'secrets'> {
  env: Env;
  stderr: NodeJS.WritableStream;
  secrets: readonly string[];
}

/** The run's trace when the variables ask for one; undefined (nothing loaded) otherwise. Never fails the run. */
export async function openTrace(options: OpenTraceOptions): Promise<RunTrace | undefined> {
  const { env: _env, stderr: _stderr, ...scope } = options;
  return openWith(options, (config) => openRunTrace(config, scope));
}

export interface OpenFleetTraceOptions extends FleetTraceScope {
  env: Env;
  stderr: NodeJS.WritableStream;
}

/** A fleet run's one trace (a root span for the fleet; each cluster's run under it) when the variables ask for one. */
export async function openFleetTraceFor(options: OpenFleetTraceOptions): Promise<FleetTrace | undefined> {
  const { env: _env, stderr: _stderr, ...scope } = options;
  return openWith(options, (config) => openFleetTrace(config, scope));
}

/** The checks every trace goes through (endpoint set and http(s); a rehearsal's only to the loopback), then `open`. */
async function openWith<T>(options: { env: Env; stderr: NodeJS.WritableStream; rehearsal?: { scenario: string } }, open: (config: TelemetryConfig) => Promise<T>): Promise<T | undefined> {
  const endpoint = traceEndpoint(options.env);
  if (endpoint === undefined) return undefined;
  const warn = (text: string) => {
    if (warned) return;
    warned = true;
    options.stderr.write(`opsbook: warning: ${escapeControl(text)}\n`);
  };
  // The exporter would fall back to localhost:4318 on a URL it cannot parse: better no trace than someone else's collector.
  if (!/^https?:$/.test(protocolOf(endpoint))) {
    warn('traces not exported: the OTLP endpoint is not an http(s) URL');
    return undefined;
  }
  if (options.rehearsal && !(await isLoopbackUrl(endpoint))) {
    warn(`traces not exported: a rehearsal contacts nothing beyond the loopback, and the OTLP endpoint is ${hostOf(endpoint)}`);
    return undefined;
  }
  const config: TelemetryConfig = { endpoint, exportTimeoutMs: exportTimeout(options.env), serviceVersion: readVersion(), warn };
  try {
    return await open(config);
  } catch (error) {
    warn(`traces not exported: ${error instanceof Error ? error.message : String(error)} (the run is not affected)`);
    return undefined;
  }
}

/** Loads the SDK now when the variables ask for traces (so its load is not spent on a rehearsal's scaled clock). */
export async function preloadTracing(env: Env): Promise<void> {
  if (traceEndpoint(env) !== undefined) await loadTracing().catch(() => undefined); // openTrace reports a failure
}

/** The client factory, telling the trace the cluster's server the first time a client is made. */
export function traceServer(kube: () => Promise<KubeClient>, trace: RunTrace): () => Promise<KubeClient> {
  return async () => {
    const client = await kube();
    trace.setServer(client.server);
    return client;
  };
}

async function isLoopbackUrl(endpoint: string): Promise<boolean> {
  const { isLoopback } = await import('../net/index.js');
  try {
    return isLoopback(new URL(endpoint).hostname);
  } catch {
    return false;
  }
}

function protocolOf(endpoint: string): string {
  try {
    return new URL(endpoint).protocol;
  } catch {
    return '';
  }
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return 'not a URL';
  }
}

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
