import { describe, expect, it } from 'vitest';
import { StepError } from '../../src/errors.js';
import {
  isAlreadyExists, isConflict, isGone, isNotFound, parseRetryAfter, statusCodeOf, toApiError, toNetworkError,
} from '../../src/k8s/errors.js';

function status(code: number, reason: string, message: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, ...extra });
}

describe('toApiError', () => {
  it('makes 409 Conflict transient and names the object and the Status message', () => {
    const e = toApiError('update', 'leases.coordination.k8s.io kube-system/x', {
      status: 409, headers: {}, body: status(409, 'Conflict', 'the object has been modified'),
    });
    expect(e).toBeInstanceOf(StepError);
    expect(e.errorClass).toBe('transient');
    expect(e.message).toBe('update leases.coordination.k8s.io kube-system/x: Conflict (409): the object has been modified');
    expect(isConflict(e)).toBe(true);
    expect(statusCodeOf(e)).toBe(409);
  });

  it('keeps AlreadyExists permanent (a retry cannot cure it)', () => {
    const e = toApiError('create', 'configmaps default/a', { status: 409, headers: {}, body: status(409, 'AlreadyExists', 'exists') });
    expect(e.errorClass).toBe('permanent');
    expect(isAlreadyExists(e)).toBe(true);
    expect(isConflict(e)).toBe(false);
  });

  it('makes 404 and 422 Invalid permanent', () => {
    const nf = toApiError('get', 'nodes x', { status: 404, headers: {}, body: status(404, 'NotFound', 'nodes "x" not found') });
    expect(nf.errorClass).toBe('permanent');
    expect(isNotFound(nf)).toBe(true);
    const inv = toApiError('patch', 'configs.imageregistry.operator.openshift.io cluster', {
      status: 422, headers: {}, body: status(422, 'Invalid', 'spec.replicas: Invalid value: -1'),
    });
    expect(inv.errorClass).toBe('permanent');
    expect(inv.message).toMatch(/Invalid \(422\): spec\.replicas: Invalid value: -1/);
  });

  it('makes 429 and 5xx transient with Retry-After in ms', () => {
    const tm = toApiError('list', 'nodes', { status: 429, headers: { 'retry-after': '3' }, body: status(429, 'TooManyRequests', 'slow down') });
    expect(tm.errorClass).toBe('transient');
    expect(tm.retryAfterMs).toBe(3000);
    const se = toApiError('list', 'nodes', { status: 503, headers: {}, body: 'upstream down' });
    expect(se.errorClass).toBe('transient');
    expect(se.message).toBe('list nodes: ServiceUnavailable (503): upstream down');
    const body = toApiError('list', 'nodes', {
      status: 500, headers: {}, body: status(500, 'InternalError', 'boom', { details: { retryAfterSeconds: 2 } }),
    });
    expect(body.retryAfterMs).toBe(2000);
  });

  it('recognises 410 Gone / Expired', () => {
    expect(isGone(toApiError('list', 'x', { status: 410, headers: {}, body: status(410, 'Expired', 'too old resource version') }))).toBe(true);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('0')).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', undefined, Date.parse('2026-01-01T00:00:00Z'))).toBe(10_000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('toNetworkError', () => {
  it('makes resets transient and returns the abort reason when our signal was aborted', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const e = toNetworkError('get', 'nodes x', reset) as StepError;
    expect(e.errorClass).toBe('transient');
    expect(e.message).toBe('get nodes x: socket hang up');
    const controller = new AbortController();
    const reason = new Error('step timed out');
    controller.abort(reason);
    expect(toNetworkError('get', 'nodes x', new Error('aborted'), controller.signal)).toBe(reason);
  });
});
