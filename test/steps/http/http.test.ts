import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StepError } from '../../../src/errors.js';
import { httpStep } from '../../../src/steps/http/http.js';
import { steps } from '../../../src/steps/http/index.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { createMasker } from '../../../src/secrets/index.js';
import { createTestContext, planStep, prepareParams, runStep } from '../openshift/context.js';
import { createPlanContext } from '../openshift/context.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: Handler): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push({
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function expectStepError(promise: Promise<unknown>): Promise<StepError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StepError);
  return error as StepError;
}

describe('http step', () => {
  it('is registered as `http`', () => {
    expect(steps.map((s) => s.type)).toEqual(['http']);
  });

  it('sends method, query, headers and a JSON body, and computes outputs with CEL over the response', async () => {
    let seen: { method?: string; url?: string; type?: string; custom?: string; body?: string } = {};
    const url = await serve((req, body, res) => {
      seen = { method: req.method, url: req.url, type: req.headers['content-type'], custom: req.headers['x-team'] as string, body };
      json(res, 201, { id: 'c-1', hosts: [{ id: 'h1', status: 'known' }, { id: 'h2', status: 'installed' }] }, { 'x-request-id': 'r-9' });
    });
    const { ctx, recorded } = createTestContext();
    const out = await runStep(
      httpStep,
      {
        method: 'POST',
        url: `${url}/clusters/import`,
        query: { verbose: true, n: 2 },
        headers: { 'X-Team': 'sre' },
        json: { name: 'sno', nested: { a: 1 } },
        outputs: {
          clusterId: 'response.json.id',
          known: "response.json.hosts.filter(h, h.status == 'known').map(h, h.id)",
          requestId: "response.headers['x-request-id']",
          isCreated: 'response.status == 201',
        },
      },
      ctx,
    );
    expect(seen).toEqual({
      method: 'POST',
      url: '/clusters/import?verbose=true&n=2',
      type: 'application/json',
      custom: 'sre',
      body: JSON.stringify({ name: 'sno', nested: { a: 1 } }),
    });
    expect(out).toEqual({ status: 201, polls: 1, clusterId: 'c-1', known: ['h1'], requestId: 'r-9', isCreated: true });
    expect(recorded.logs).toEqual([`POST ${url}/clusters/import?verbose=true&n=2 → 201`]);
  });

  it('sends a form body url-encoded', async () => {
    let body = '';
    let type = '';
    const url = await serve((req, b, res) => {
      body = b;
      type = String(req.headers['content-type']);
      json(res, 200, {});
    });
    const { ctx } = createTestContext();
    await runStep(httpStep, { method: 'POST', url, form: { grant_type: 'refresh_token', client_id: 'cloud-services' } }, ctx);
    expect(type).toBe('application/x-www-form-urlencoded');
    expect(new URLSearchParams(body).get('grant_type')).toBe('refresh_token');
  });

  describe('status classes', () => {
    it('accepts 2xx by default and lists/ranges when asked', async () => {
      const url = await serve((req, _b, res) => json(res, Number(req.url!.slice(1)), { ok: true }));
      const { ctx } = createTestContext();
      await expect(runStep(httpStep, { url: `${url}/204` }, ctx)).resolves.toMatchObject({ status: 204 });
      await expect(runStep(httpStep, { url: `${url}/404`, expectStatus: [200, 404] }, ctx)).resolves.toMatchObject({ status: 404 });
      await expect(runStep(httpStep, { url: `${url}/302`, expectStatus: '300-399' }, ctx)).resolves.toMatchObject({ status: 302 });
    });

    it('makes other 4xx permanent, with the status and the server reason', async () => {
      const url = await serve((_req, _b, res) => json(res, 404, { code: '404', reason: 'cluster not found' }));
      const { ctx } = createTestContext();
      const error = await expectStepError(runStep(httpStep, { url: `${url}/v2/clusters/x` }, ctx));
      expect(error.errorClass).toBe('permanent');
      expect(error.message).toBe(`GET ${url}/v2/clusters/x → 404 Not Found (expected 2xx): cluster not found`);
    });

    it('makes 5xx transient', async () => {
      const url = await serve((_req, _b, res) => json(res, 503, { message: 'maintenance' }));
      const { ctx } = createTestContext();
      const error = await expectStepError(runStep(httpStep, { url }, ctx));
      expect(error.errorClass).toBe('transient');
      expect(error.message).toContain('503 Service Unavailable');
    });

    it('makes 429 transient and passes Retry-After on as retryAfterMs', async () => {
      const url = await serve((_req, _b, res) => json(res, 429, { message: 'slow down' }, { 'retry-after': '7' }));
      const { ctx } = createTestContext();
      const error = await expectStepError(runStep(httpStep, { url }, ctx));
      expect(error.errorClass).toBe('transient');
      expect(error.retryAfterMs).toBe(7000);
    });

    it('makes a refused connection transient', async () => {
      const url = await serve(() => undefined);
      await servers.pop()!.close();
      const { ctx } = createTestContext();
      const error = await expectStepError(runStep(httpStep, { url }, ctx));
      expect(error.errorClass).toBe('transient');
      expect(error.message).toMatch(/request failed \(ECONNREFUSED/);
    });
  });

  describe('until', () => {
    it('polls through the injected clock until the condition holds', async () => {
      let calls = 0;
      const url = await serve((_req, _b, res) => {
        calls++;
        json(res, 200, { status: calls < 4 ? 'insufficient' : 'known' });
      });
      const clock = new VirtualClock();
      const start = clock.now();
      const { ctx, recorded } = createTestContext({ clock });
      const out = await runStep(
        httpStep,
        { url, until: "response.json.status == 'known'", interval: '30s', progress: "'host ' + response.json.status", outputs: { s: 'response.json.status' } },
        ctx,
      );
      expect(out).toEqual({ status: 200, polls: 4, s: 'known' });
      expect(clock.now() - start).toBe(90_000);
      expect(recorded.progress).toEqual(['poll 1: host insufficient', 'poll 2: host insufficient', 'poll 3: host insufficient']);
    });

    it('keeps polling through transient failures, honouring Retry-After', async () => {
      let calls = 0;
      const url = await serve((_req, _b, res) => {
        calls++;
        if (calls === 2) json(res, 503, { message: 'busy' }, { 'retry-after': '120' });
        else json(res, 200, { done: calls >= 3 });
      });
      const clock = new VirtualClock();
      const start = clock.now();
      const { ctx, recorded } = createTestContext({ clock });
      const out = await runStep(httpStep, { url, until: 'response.json.done', interval: '10s' }, ctx);
      expect(out.polls).toBe(3);
      expect(clock.now() - start).toBe(10_000 + 120_000);
      expect(recorded.progress[1]).toContain('503 Service Unavailable');
    });

    it('treats an expression that cannot be evaluated yet as "not yet"', async () => {
      let calls = 0;
      const url = await serve((_req, _b, res) => {
        calls++;
        json(res, 200, calls < 2 ? { hosts: [] } : { hosts: [{ id: 'h1' }] });
      });
      const { ctx, recorded } = createTestContext();
      const out = await runStep(httpStep, { url, until: "response.json.hosts[0].id == 'h1'", outputs: { id: 'response.json.hosts[0].id' } }, ctx);
      expect(out).toMatchObject({ id: 'h1', polls: 2 });
      expect(recorded.progress[0]).toMatch(/^poll 1: 200; condition not evaluable yet/);
    });

    it('fails with a timeout error naming the last state before the deadline', async () => {
      const url = await serve((_req, _b, res) => json(res, 200, { status: 'insufficient' }));
      const clock = new VirtualClock();
      const { ctx } = createTestContext({ clock, timeoutMs: 5 * 60_000 });
      const error = await expectStepError(
        runStep(httpStep, { url, until: "response.json.status == 'known'", interval: '1m', progress: 'response.json.status' }, ctx),
      );
      expect(error.errorClass).toBe('timeout');
      expect(error.message).toMatch(/did not hold within 4m \(5 polls; last: insufficient\)/);
    });

    it('stops at once when the run is cancelled', async () => {
      const url = await serve((_req, _b, res) => json(res, 200, { done: false }));
      const controller = new AbortController();
      const clock = new VirtualClock({ autoAdvance: false });
      const { ctx, recorded } = createTestContext({ clock, signal: controller.signal });
      const running = runStep(httpStep, { url, until: 'response.json.done', interval: '1h' }, ctx);
      await expect.poll(() => recorded.progress.length).toBe(1);
      controller.abort(new Error('interrupted'));
      await expect(running).rejects.toThrow('interrupted');
    });
  });

  describe('secrets', () => {
    it('never shows the bearer token, even when the server echoes it', async () => {
      const token = 'sekret-bearer-123456';
      const url = await serve((req, _b, res) => {
        const auth = String(req.headers.authorization);
        if (auth !== `Bearer ${token}`) return json(res, 401, { message: 'no' });
        json(res, req.url === '/fail' ? 403 : 200, { message: `you sent ${auth}`, echo: auth });
      });
      const { ctx, recorded } = createTestContext();
      const out = await runStep(httpStep, { url: `${url}/ok`, bearer: token, outputs: { echo: 'response.json.echo' } }, ctx);
      expect(out.echo).toBe('Bearer ***');
      const error = await expectStepError(runStep(httpStep, { url: `${url}/fail`, bearer: token }, ctx));
      expect(error.message).toContain('you sent Bearer ***');
      expect(error.message).not.toContain(token);
      expect(JSON.stringify([recorded, out])).not.toContain(token);
    });

    it('masks secrets of the run in URLs and messages, and token fields of responses in outputs', async () => {
      const apiKey = 'run-secret-api-key';
      const url = await serve((_req, _b, res) => json(res, 200, { access_token: 'eyJhbGciOi.abcdef.xyz', expires_in: 900 }));
      const { ctx, recorded } = createTestContext({ secrets: [apiKey] });
      const out = await runStep(
        httpStep,
        { url, query: { key: apiKey }, outputs: { token: 'response.json.access_token', text: 'response.text' } },
        ctx,
      );
      expect(out.token).toBe('***');
      expect(out.text).not.toContain('eyJhbGciOi.abcdef.xyz');
      expect(recorded.logs[0]).toBe(`GET ${url}/?key=*** → 200`);
    });

    it('masks a run secret percent-encoded into the path or query, or lower-cased in a host name, in errors and plans', async () => {
      const secret = 'Tok3n/With Space&Sym=+';
      const tenant = 'AcmeSecretTenant';
      const url = await serve((_req, _b, res) => json(res, 500, { message: 'nope' }));
      const { ctx } = createTestContext();
      ctx.redact = createMasker([secret, tenant]).text;
      const error = await expectStepError(runStep(httpStep, { url: `${url}/v1/${secret}`, query: { key: secret } }, ctx));
      expect(error.message).toContain(`GET ${url}/v1/***?key=***`);
      const plan = createPlanContext(undefined as never);
      plan.redact = ctx.redact;
      const preview = await planStep(httpStep, { url: `https://${tenant}.example/${secret}`, query: { k: secret } }, plan);
      expect(preview.summary).toBe('would send GET https://***.example/***?k=*** (nothing is sent during plan)');
    });

    it('sends credentials written in the URL as basic auth, and masks the header it builds wherever it shows', async () => {
      const password = 'b4sic-pass:word';
      const url = await serve((req, _b, res) => json(res, 401, { message: `you sent ${String(req.headers.authorization)}`, url: req.url }));
      const { ctx } = createTestContext();
      ctx.redact = createMasker([password]).text;
      const withCredentials = url.replace('http://', `http://ops:${encodeURIComponent(password)}@`);
      const error = await expectStepError(runStep(httpStep, { url: `${withCredentials}/x` }, ctx));
      expect(error.message).toContain(`GET ${url}/x`);
      expect(error.message).toContain('you sent Basic ***');
      expect(error.message).not.toContain(Buffer.from(`ops:${password}`).toString('base64'));
    });
  });

  describe('validation', () => {
    const issues = (raw: Record<string, unknown>) => {
      try {
        prepareParams(httpStep, raw);
        return [];
      } catch (error) {
        return (error as StepError).details as { path: string; message: string }[];
      }
    };

    it('rejects CEL that does not compile, naming the field', () => {
      expect(issues({ url: 'http://x', outputs: { id: 'response.json.(' } })).toEqual([
        expect.objectContaining({ path: 'outputs.id', message: expect.stringMatching(/^invalid CEL expression/) }),
      ]);
      expect(issues({ url: 'http://x', until: 'reponse.status == 200' })[0]!.path).toBe('until');
    });

    it('rejects two bodies, a GET body, both auth kinds, reserved output names and bad statuses', () => {
      expect(issues({ url: 'http://x', method: 'POST', json: {}, form: {} }).map((i) => i.path)).toContain('');
      expect(issues({ url: 'http://x', json: { a: 1 } })).toEqual([{ path: 'json', message: 'GET requests carry no body' }]);
      expect(issues({ url: 'http://x', outputs: { status: 'response.status' } })[0]!.path).toBe('outputs.status');
      expect(issues({ url: 'http://x', expectStatus: ['2xx', '700'] }).length).toBeGreaterThan(0);
      expect(issues({ url: 'ftp://x' }).length).toBeGreaterThan(0);
    });

    it('fills defaults once', () => {
      expect(prepareParams(httpStep, { url: 'http://x' })).toMatchObject({
        method: 'GET',
        expectStatus: [{ min: 200, max: 299 }],
        intervalMs: 10_000,
        requestTimeoutMs: 30_000,
        outputs: {},
      });
    });
  });

  it('plans without sending anything', async () => {
    let calls = 0;
    const url = await serve((_req, _b, res) => {
      calls++;
      json(res, 200, {});
    });
    const preview = await planStep(httpStep, { method: 'POST', url, json: { a: 1 }, bearer: 'tok-secret-1' }, createPlanContext(undefined as never));
    expect(preview.summary).toBe(`would send POST ${url}/ with a JSON body (nothing is sent during plan)`);
    expect(calls).toBe(0);
  });
});
