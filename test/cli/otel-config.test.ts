// Which OTEL_* variables turn traces on, where they go, and a rehearsal's refusal of an endpoint beyond the loopback.

import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { exportTimeout, openTrace, traceEndpoint } from '../../src/cli/telemetry.js';

describe('OTEL_* variables', () => {
  it('turns traces on with either endpoint, the traces one first, the general one with v1/traces; OTEL_SDK_DISABLED=true or empty values keep them off', () => {
    expect(traceEndpoint({})).toBeUndefined();
    expect(traceEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBeUndefined();
    expect(traceEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' })).toBe('http://c:4318/v1/traces');
    expect(traceEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:4318/traces' })).toBe('http://t:4318/traces');
    expect(traceEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'TRUE' })).toBeUndefined();
    expect(traceEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'false' })).toBe('http://c:4318/v1/traces');
  });

  it('reads the export timeout from the traces variable, then the general one, else 10 s', () => {
    expect(exportTimeout({})).toBe(10_000);
    expect(exportTimeout({ OTEL_EXPORTER_OTLP_TIMEOUT: '500' })).toBe(500);
    expect(exportTimeout({ OTEL_EXPORTER_OTLP_TIMEOUT: '500', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '700' })).toBe(700);
    expect(exportTimeout({ OTEL_EXPORTER_OTLP_TIMEOUT: 'soon' })).toBe(10_000);
  });

  it('exports nothing to an endpoint that is not an http(s) URL (the exporter would fall back to localhost:4318), and says so', async () => {
    const stderr = new PassThrough();
    let said = '';
    stderr.on('data', (chunk: Buffer) => (said += chunk.toString()));
    vi.resetModules();
    const { openTrace: open } = await import('../../src/cli/telemetry.js');
    expect(await open({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, stderr, secrets: [] })).toBeUndefined();
    expect(said).toBe('opsbook: warning: traces not exported: the OTLP endpoint is not an http(s) URL\n');
  });

  it('exports no rehearsal trace to a host beyond the loopback, and says so (without loading the SDK)', async () => {
    const stderr = new PassThrough();
    let said = '';
    stderr.on('data', (chunk: Buffer) => (said += chunk.toString()));
    const trace = await openTrace({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:pw@collector.example.com:4318' }, stderr, secrets: [], rehearsal: { scenario: 's' } });
    expect(trace).toBeUndefined();
    expect(said).toBe('opsbook: warning: traces not exported: a rehearsal contacts nothing beyond the loopback, and the OTLP endpoint is collector.example.com:4318\n');
  });
});
