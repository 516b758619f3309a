import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StepError } from '../../../src/errors.js';
import { httpStep } from '../../../src/steps/http/http.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { API_PREFIX, startAssistedInstaller, type AssistedInstallerServer } from '../../helpers/assisted-installer.js';
import { createTestContext, runStep } from '../openshift/context.js';

const OFFLINE = 'offline-token-abcdefghijkl';
let server: AssistedInstallerServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function importCluster(s: AssistedInstallerServer, clock: VirtualClock): Promise<string> {
  const { ctx } = createTestContext({ clock, secrets: [OFFLINE] });
  const out = await runStep(
    httpStep,
    {
      method: 'POST',
      url: `${s.url}${API_PREFIX}/clusters/import`,
      oauth2: { tokenUrl: s.tokenUrl, refreshToken: OFFLINE },
      json: { name: 'sno-day2', api_vip_dnsname: 'api.sno.example.com', openshift_cluster_id: 'abc' },
      outputs: { id: 'response.json.id' },
    },
    ctx,
  );
  return out.id as string;
}

describe('http oauth2 (refresh-token grant)', () => {
  it('renews the 15-minute JWT during a long poll instead of failing with 401', async () => {
    const clock = new VirtualClock();
    server = await startAssistedInstaller({ clock, offlineToken: OFFLINE, hostBootsAfterMs: 50 * 60_000 });
    const clusterId = await importCluster(server, clock);
    const { ctx, recorded } = createTestContext({ clock, secrets: [OFFLINE] });
    await runStep(
      httpStep,
      {
        method: 'POST',
        url: `${server.url}${API_PREFIX}/infra-envs`,
        oauth2: { tokenUrl: server.tokenUrl, refreshToken: OFFLINE },
        json: { name: 'w', cluster_id: clusterId, pull_secret: '{"auths":{}}', image_type: 'full-iso' },
      },
      ctx,
    );
    const before = server.tokensIssued();
    const out = await runStep(
      httpStep,
      {
        url: `${server.url}${API_PREFIX}/clusters/${clusterId}`,
        oauth2: { tokenUrl: server.tokenUrl, refreshToken: OFFLINE },
        until: 'response.json.hosts.size() > 0',
        interval: '1m',
        outputs: { hostId: 'response.json.hosts[0].id' },
      },
      ctx,
    );
    expect(out.hostId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.polls).toBe(51);
    // 50 minutes of polling with 15-minute tokens renewed a minute early: 4 tokens, and never a 401.
    expect(server.tokensIssued() - before).toBe(4);
    expect(server.requests.filter((r) => r.status === 401)).toEqual([]);
    expect(JSON.stringify(recorded)).not.toMatch(/eyJ/);
  });

  it('with a token fetched once (static bearer) the same poll dies with a permanent 401 after 15 minutes', async () => {
    const clock = new VirtualClock();
    server = await startAssistedInstaller({ clock, offlineToken: OFFLINE, hostBootsAfterMs: 50 * 60_000 });
    const clusterId = await importCluster(server, clock);
    const res = await fetch(server.tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'cloud-services', refresh_token: OFFLINE }),
    });
    const { access_token: jwt } = (await res.json()) as { access_token: string };
    const { ctx } = createTestContext({ clock, secrets: [jwt] });
    const error = await runStep(
      httpStep,
      { url: `${server.url}${API_PREFIX}/clusters/${clusterId}`, bearer: jwt, until: 'response.json.hosts.size() > 0', interval: '1m' },
      ctx,
    ).catch((e: unknown) => e as StepError);
    expect(error).toBeInstanceOf(StepError);
    expect((error as StepError).errorClass).toBe('permanent');
    expect((error as StepError).message).toContain('401 Unauthorized');
    expect((error as StepError).message).not.toContain(jwt);
  });

  it('renews once on a 401 (token revoked early) and goes on', async () => {
    let issued = 0;
    const http = createServer((req, res) => {
      if (req.url === '/token') {
        issued++;
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ access_token: `token-number-${issued}`, expires_in: 3600 }));
      }
      const ok = req.headers.authorization === 'Bearer token-number-2';
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok }));
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    try {
      const { ctx } = createTestContext();
      const out = await runStep(httpStep, { url: `${url}/api`, oauth2: { tokenUrl: `${url}/token`, refreshToken: OFFLINE }, outputs: { ok: 'response.json.ok' } }, ctx);
      expect(out).toMatchObject({ status: 200, ok: true });
      expect(issued).toBe(2);
    } finally {
      http.closeAllConnections();
      http.close();
    }
  });

  it('a rejected offline token is a permanent error that shows the SSO reason, not the token', async () => {
    const clock = new VirtualClock();
    server = await startAssistedInstaller({ clock, offlineToken: OFFLINE });
    const wrong = 'wrong-offline-token-zzz';
    const { ctx } = createTestContext({ clock, secrets: [wrong] });
    const error = (await runStep(
      httpStep,
      { url: `${server.url}${API_PREFIX}/clusters/x`, oauth2: { tokenUrl: server.tokenUrl, refreshToken: wrong } },
      ctx,
    ).catch((e: unknown) => e)) as StepError;
    expect(error.errorClass).toBe('permanent');
    expect(error.message).toBe(`token request to ${server.tokenUrl} → 400 Bad Request (expected 2xx): Invalid refresh token`);
  });
});
