// The http step under a rehearsal's network policy: impersonated hosts reach the simulation (URL, TLS name and Host
// header kept), loopback stays local, and any other host is refused as "not simulated" before a socket is opened.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StepError } from '../../../src/errors.js';
import { createRehearsalNetwork, directNetwork } from '../../../src/net/index.js';
import { startSimulation, type Simulation } from '../../../src/sim/index.js';
import { httpStep } from '../../../src/steps/http/http.js';
import { createTestContext, runStep } from '../openshift/context.js';

const OFFLINE = 'offline-token-network-test';
let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

describe('http step network policy', () => {
  it('refuses a host the rehearsal does not simulate with a permanent "not simulated" error naming it', async () => {
    const network = createRehearsalNetwork({ simulation: { hosts: ['api.openshift.com'], port: 1, ca: '' } });
    const { ctx } = createTestContext();
    const error = (await runStep(httpStep, { url: 'https://console.redhat.com/api/token' }, { ...ctx, network }).catch((e: unknown) => e)) as StepError;
    expect(error).toBeInstanceOf(StepError);
    expect(error.errorClass).toBe('permanent');
    expect(error.message).toBe(
      'GET https://console.redhat.com/api/token: not simulated: console.redhat.com (a request beyond the loopback during a rehearsal; the scenario simulates api.openshift.com)',
    );
    expect(network.attempts()).toEqual([{ target: 'console.redhat.com:443', outcome: 'refused' }]);
  });

  it('refuses the token endpoint of an oauth2 step too, before the request it guards', async () => {
    const network = createRehearsalNetwork({});
    const { ctx } = createTestContext({ secrets: [OFFLINE] });
    const error = (await runStep(
      httpStep,
      { url: 'http://127.0.0.1:9/x', oauth2: { tokenUrl: 'https://sso.example.com/token', refreshToken: OFFLINE } },
      { ...ctx, network },
    ).catch((e: unknown) => e)) as StepError;
    expect(error.message).toContain('not simulated: sso.example.com');
    expect(network.attempts().map((a) => a.outcome)).toEqual(['refused']);
  });

  it('lets loopback through, and sends an impersonated host to the simulation with its name kept', async () => {
    const local = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ host: req.headers.host }));
    });
    await new Promise<void>((r) => local.listen(0, '127.0.0.1', r));
    try {
      sim = await startSimulation({ scenario: { name: 'net', assistedInstaller: { offlineToken: OFFLINE } } });
      const { hosts, port, caPem } = sim.impersonation!;
      const network = createRehearsalNetwork({ simulation: { hosts, port, ca: caPem } });
      const { ctx } = createTestContext({ secrets: [OFFLINE] });
      const localUrl = `http://127.0.0.1:${(local.address() as AddressInfo).port}/`;
      await expect(runStep(httpStep, { url: localUrl, outputs: { host: 'response.json.host' } }, { ...ctx, network })).resolves.toMatchObject({ host: localUrl.slice(7, -1) });
      const out = await runStep(
        httpStep,
        {
          url: 'https://api.openshift.com/api/assisted-install/v2/events',
          oauth2: { tokenUrl: 'https://sso.redhat.com/auth/realms/redhat-external/protocol/openid-connect/token', refreshToken: OFFLINE },
          outputs: { events: 'response.json' },
        },
        { ...ctx, network },
      );
      expect(out).toMatchObject({ status: 200, events: [] });
      expect(network.attempts()).toEqual([
        { target: `127.0.0.1:${(local.address() as AddressInfo).port}`, outcome: 'loopback' },
        { target: 'sso.redhat.com:443', outcome: 'simulated' },
        { target: 'api.openshift.com:443', outcome: 'simulated' },
      ]);
      expect(sim.assisted!.requests.map((r) => `${r.method} ${r.host} ${r.path} ${r.status}`)).toEqual([
        'POST sso.redhat.com /auth/realms/redhat-external/protocol/openid-connect/token 200',
        'GET api.openshift.com /api/assisted-install/v2/events 200',
      ]);
    } finally {
      local.close();
    }
  });

  it('follows a redirect through the policy too: a loopback server cannot send the step beyond the loopback', async () => {
    const seen: Array<string | undefined> = [];
    const local = createServer((req, res) => {
      seen.push(req.headers.authorization);
      if (req.url === '/away') res.writeHead(302, { location: 'https://downloads.example.net/iso' }).end();
      else if (req.url === '/here') res.writeHead(307, { location: '/final' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => local.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(local.address() as AddressInfo).port}`;
      const network = createRehearsalNetwork({});
      const { ctx } = createTestContext({ secrets: ['bearer-token-0123456789'] });
      await expect(runStep(httpStep, { url: `${base}/here`, bearer: 'bearer-token-0123456789', outputs: { ok: 'response.json.ok' } }, { ...ctx, network })).resolves.toMatchObject({ ok: true });
      // same origin: the credentials went along
      expect(seen).toEqual(['Bearer bearer-token-0123456789', 'Bearer bearer-token-0123456789']);
      const error = (await runStep(httpStep, { url: `${base}/away` }, { ...ctx, network }).catch((e: unknown) => e)) as StepError;
      expect(error.message).toContain('not simulated: downloads.example.net');
      expect(network.attempts().map((a) => a.outcome)).toEqual(['loopback', 'loopback', 'loopback', 'refused']);
    } finally {
      local.close();
    }
  });

  it('checks a kubeconfig server the way the engine does for openKube: loopback only', () => {
    const network = createRehearsalNetwork({});
    expect(() => network.checkDirect(new URL('https://127.0.0.1:6443'))).not.toThrow();
    expect(() => network.checkDirect(new URL('https://api.prod.example.com:6443'))).toThrow(
      'not simulated: api.prod.example.com (a cluster beyond the loopback during a rehearsal)',
    );
    expect(() => directNetwork.checkDirect(new URL('https://api.prod.example.com:6443'))).not.toThrow();
  });
});
