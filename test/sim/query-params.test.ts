// Query parameters and paths spelled as any client may spell them, answered as kube-apiserver answers them (raw HTTPS).

import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulation } from '../../src/sim/index.js';
import { rawGet, startSim } from './helpers.js';

let sim: Simulation;

beforeAll(async () => {
  sim = await startSim();
  for (const name of ['q-a', 'q-b', 'q-c']) {
    await send('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name, labels: { tier: name === 'q-a' ? '1' : '5' } } });
  }
});
afterAll(() => sim.stop());

/** Any method over HTTPS with the admin token; the whole body is read (a watch must end by its own timeout). */
function send(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Authorization: `Bearer ${sim.adminToken}` };
    if (text !== undefined) headers['Content-Type'] = contentType;
    const req = https.request(`${sim.url}${path}`, { method, ca: sim.caPem, headers }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: data }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

const get = (path: string) => rawGet(sim, path, sim.adminToken);
const status = (body: string) => JSON.parse(body) as { kind: string; reason: string; code: number; message: string; details?: { causes?: Array<{ field?: string; reason?: string }> } };
const CM = '/api/v1/namespaces/default/configmaps';

describe('booleans as the parameter codec reads them', () => {
  it('watches for every spelling but "0" and "false" (any case), as Convert_Slice_string_To_bool does', async () => {
    const truthy = ['true', 'True', 'TRUE', '1', 't', 'T', 'yes', '', 'f'];
    const falsy = ['false', 'False', 'FALSE', '0'];
    const answers = await Promise.all([...truthy, ...falsy].map((v) => send('GET', `${CM}?watch=${encodeURIComponent(v)}&timeoutSeconds=1`)));
    answers.forEach((answer, i) => {
      const value = [...truthy, ...falsy][i]!;
      expect(answer.status, value).toBe(200);
      const first = JSON.parse(answer.body.trim().split('\n')[0]!) as { type?: string; kind?: string };
      if (truthy.includes(value)) expect(first.type, `watch=${value}`).toBe('ADDED');
      else expect(first.kind, `watch=${value}`).toBe('ConfigMapList');
    });
  }, 30_000);

  it('treats ?watch on a named object as a plain get, as the real request-info filter does', async () => {
    const answer = await get(`${CM}/q-a?watch=true`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'q-a' } });
  });
});

describe('integers as strconv.ParseInt reads them', () => {
  it('answers malformed, empty or out-of-range limit/timeoutSeconds with 400 and Go\'s message', async () => {
    const cases: Array<[string, string]> = [
      ['limit=abc', 'strconv.ParseInt: parsing "abc": invalid syntax'],
      ['limit=', 'strconv.ParseInt: parsing "": invalid syntax'],
      ['limit=1.5', 'strconv.ParseInt: parsing "1.5": invalid syntax'],
      ['limit=99999999999999999999', 'strconv.ParseInt: parsing "99999999999999999999": value out of range'],
      ['watch=1&timeoutSeconds=soon', 'strconv.ParseInt: parsing "soon": invalid syntax'],
    ];
    for (const [query, message] of cases) {
      const answer = await get(`${CM}?${query}`);
      expect(answer.status, query).toBe(400);
      expect(status(answer.body), query).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400, message });
    }
  });

  it('accepts a signed limit: +1 is one item, a negative limit is no limit', async () => {
    const one = JSON.parse((await get(`${CM}?limit=%2B1`)).body) as { items: unknown[]; metadata: { continue?: string } };
    expect(one.items).toHaveLength(1);
    expect(one.metadata.continue).toBeTruthy();
    const all = JSON.parse((await get(`${CM}?limit=-1`)).body) as { items: unknown[] };
    expect(all.items.length).toBeGreaterThanOrEqual(3);
  });
});

describe('resourceVersionMatch and sendInitialEvents rules (422 on ListOptions.meta.k8s.io)', () => {
  it('rejects the combinations ValidateListOptions forbids, with its messages', async () => {
    const cases: Array<[string, string]> = [
      ['resourceVersionMatch=NotOlderThan', 'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided'],
      ['resourceVersionMatch=Exact&resourceVersion=0', 'resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"'],
      ['resourceVersionMatch=Newest&resourceVersion=1', 'resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""'],
      ['sendInitialEvents=true', 'sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list'],
      ['watch=1&resourceVersionMatch=NotOlderThan', 'resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'],
      ['watch=1&sendInitialEvents=true', 'resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'],
    ];
    for (const [query, cause] of cases) {
      const answer = await get(`${CM}?${query}`);
      expect(answer.status, query).toBe(422);
      const body = status(answer.body);
      expect(body, query).toMatchObject({ reason: 'Invalid', code: 422, message: `ListOptions.meta.k8s.io "" is invalid: ${cause}` });
    }
    const both = status((await get(`${CM}?resourceVersionMatch=Exact&continue=abc`)).body);
    expect(both.message).toMatch(/^ListOptions.meta.k8s.io "" is invalid: \[resourceVersionMatch: Forbidden: .*unless resourceVersion.*, resourceVersionMatch: Forbidden: .*continue is provided\]$/);
    expect(both.details?.causes?.map((c) => c.reason)).toEqual(['FieldValueForbidden', 'FieldValueForbidden']);
  });

  it('serves NotOlderThan and Exact at the current version, 504s a future one and streams a watch-list', async () => {
    const current = (JSON.parse((await get(CM)).body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    expect((await get(`${CM}?resourceVersion=1&resourceVersionMatch=NotOlderThan`)).status).toBe(200);
    const exact = await get(`${CM}?resourceVersion=${current}&resourceVersionMatch=Exact`);
    expect(exact.status).toBe(200);
    const future = await get(`${CM}?resourceVersion=${Number(current) + 1000}`);
    expect(future.status).toBe(504);
    expect(status(future.body)).toMatchObject({ reason: 'Timeout', message: `Timeout: Too large resource version: ${Number(current) + 1000}, current: ${current}` });

    const watchList = await send('GET', `${CM}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1`);
    const events = watchList.body.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { metadata: { annotations?: Record<string, string> } } });
    expect(events.filter((e) => e.type === 'ADDED').length).toBeGreaterThanOrEqual(3);
    expect(events.find((e) => e.type === 'BOOKMARK')?.object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
  }, 30_000);
});

describe('selectors', () => {
  it('answers label selector syntax errors with 400 and supports the gt/lt operators', async () => {
    for (const selector of ['tier in (1', 'tier 1', 'tier>x']) {
      const answer = await get(`${CM}?labelSelector=${encodeURIComponent(selector)}`);
      expect(answer.status, selector).toBe(400);
      expect(status(answer.body).reason, selector).toBe('BadRequest');
    }
    const over = JSON.parse((await get(`${CM}?labelSelector=${encodeURIComponent('tier>2')}`)).body) as { items: Array<{ metadata: { name: string } }> };
    expect(over.items.map((i) => i.metadata.name).sort()).toEqual(['q-b', 'q-c']);
    const under = JSON.parse((await get(`${CM}?labelSelector=${encodeURIComponent('tier<2')}`)).body) as { items: Array<{ metadata: { name: string } }> };
    expect(under.items.map((i) => i.metadata.name)).toEqual(['q-a']);
  });

  it('answers unsupported field labels with the message of the kind\'s field conversion', async () => {
    const configmap = await get(`${CM}?fieldSelector=spec.foo%3Dx`);
    expect(configmap.status).toBe(400);
    expect(status(configmap.body).message).toBe('"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"');
    const pod = await get('/api/v1/namespaces/default/pods?fieldSelector=spec.foo%3Dx');
    expect(status(pod.body)).toMatchObject({ code: 400, message: 'field label not supported: spec.foo' });
  });
});

describe('paths with a trailing slash and unknown parameters', () => {
  it('serves /version/, discovery and collections with one trailing slash, as go-restful does', async () => {
    for (const path of ['/version/', '/api/', '/apis/', '/api/v1/', '/apis/apps/v1/', `${CM}/`, `${CM}/q-a/`]) {
      const answer = await get(path);
      expect(answer.status, path).toBe(200);
    }
    expect(JSON.parse((await get('/version/')).body)).toHaveProperty('gitVersion');
  });

  it('ignores parameters it does not know', async () => {
    const answer = await get(`${CM}?pretty=true&foo=bar&timeout=5s`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ kind: 'ConfigMapList' });
  });
});

describe('write options (422 on <Verb>Options.meta.k8s.io)', () => {
  it('rejects a dryRun other than All, force on a non-apply patch and apply without fieldManager', async () => {
    const create = await send('POST', `${CM}?dryRun=Everything`, { metadata: { name: 'q-dry' } });
    expect(create.status).toBe(422);
    expect(status(create.body).message).toBe('CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Everything"}: supported values: "All"');
    const merge = await send('PATCH', `${CM}/q-a?force=true`, { data: { x: '1' } }, 'application/merge-patch+json');
    expect(merge.status).toBe(422);
    expect(status(merge.body).message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    const apply = await send('PATCH', `${CM}/q-a`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'q-a' } }, 'application/apply-patch+yaml');
    expect(apply.status).toBe(422);
    expect(status(apply.body).message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const forced = await send('PATCH', `${CM}/q-a?fieldManager=t&force=True`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'q-a' }, data: { y: '2' } }, 'application/apply-patch+yaml');
    expect(forced.status).toBe(200);
  });
});
