// A small Assisted-Installer-like REST server for tests: SSO token endpoint, day-2 cluster import, infra-envs, a host
// whose validations fail first and pass later, the install action and its status progression. Time comes from an
// injected clock so a 15-minute JWT lifetime and a long install take no real time.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../src/time/clock.js';

export const TOKEN_PATH = '/auth/realms/redhat-external/protocol/openid-connect/token';
export const API_PREFIX = '/api/assisted-install/v2';
const JWT_LIFETIME_MS = 15 * 60_000;

export interface AssistedInstallerOptions {
  clock: Clock;
  /** The offline token the SSO accepts. */
  offlineToken: string;
  /** The host registers this long after the infra-env is created (or when bootHost() is called). @default 2m */
  hostBootsAfterMs?: number;
  /** Validations fail (ntp) / stay pending (DNS) this long after the host registers. @default 10m */
  validationsPassAfterMs?: number;
  /** installing → installing-in-progress → added-to-existing-cluster over this long. @default 20m */
  installDurationMs?: number;
  hostname?: string;
  /** Called once when the host reaches added-to-existing-cluster (tests start the node's CSRs there). */
  onHostAdded?: (hostname: string) => void;
  /** A second machine booted from the same ISO, registering with the first and passing its validations at once. */
  strayHostname?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  /** Whether an Authorization header was sent (the value itself is never recorded). */
  authorized: boolean;
  body?: unknown;
}

interface Host {
  id: string;
  hostname: string;
  registeredAt: number;
  /** Validations pass this long after registration. */
  passAfter: number;
  installStartedAt?: number;
  addedNotified: boolean;
}

interface State {
  tokens: Map<string, number>;
  cluster?: { id: string; name: string; openshiftClusterId: string; apiVipDnsname: string };
  infraEnv?: { id: string; name: string; createdAt: number; imageType: string };
  hosts: Host[];
  bootRequestedAt?: number;
  events: { event_time: string; message: string; severity: string }[];
}

export interface AssistedInstallerServer {
  url: string;
  tokenUrl: string;
  requests: RecordedRequest[];
  /** Access tokens issued so far. */
  tokensIssued(): number;
  /** Boot the discovery ISO now (instead of waiting hostBootsAfterMs). */
  bootHost(): void;
  hostStatus(): string | undefined;
  /** Status of every registered host, by hostname. */
  hostStatuses(): Record<string, string>;
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export async function startAssistedInstaller(options: AssistedInstallerOptions): Promise<AssistedInstallerServer> {
  const { clock } = options;
  const bootAfter = options.hostBootsAfterMs ?? 2 * 60_000;
  const passAfter = options.validationsPassAfterMs ?? 10 * 60_000;
  const installFor = options.installDurationMs ?? 20 * 60_000;
  const hostname = options.hostname ?? 'worker-0';
  const state: State = { tokens: new Map(), hosts: [], events: [] };
  const requests: RecordedRequest[] = [];
  const iso = (t: number) => new Date(t).toISOString();
  const addEvent = (message: string) => state.events.push({ event_time: iso(clock.now()), message, severity: 'info' });

  // The hosts' lifecycle is a function of the clock: no timers, so a virtual clock drives it deterministically.
  const currentHosts = (): Host[] => {
    if (state.hosts.length === 0 && state.infraEnv) {
      const bootAt = state.bootRequestedAt ?? state.infraEnv.createdAt + bootAfter;
      if (clock.now() >= bootAt) {
        const booted = [{ hostname, passAfter }, ...(options.strayHostname ? [{ hostname: options.strayHostname, passAfter: 0 }] : [])];
        for (const b of booted) {
          state.hosts.push({ id: randomUUID(), registeredAt: bootAt, addedNotified: false, ...b });
          addEvent(`Host ${b.hostname}: registered to cluster`);
        }
      }
    }
    return state.hosts;
  };

  const validationsPass = (host: Host) => clock.now() >= host.registeredAt + host.passAfter;

  const hostStatus = (host: Host): { status: string; stage: string; percentage: number } => {
    if (host.installStartedAt === undefined) return { status: validationsPass(host) ? 'known' : 'insufficient', stage: '', percentage: 0 };
    const elapsed = clock.now() - host.installStartedAt;
    if (elapsed >= installFor) {
      if (!host.addedNotified) {
        host.addedNotified = true;
        addEvent(`Host ${host.hostname}: added to existing cluster`);
        options.onHostAdded?.(host.hostname);
      }
      return { status: 'added-to-existing-cluster', stage: 'Done', percentage: 100 };
    }
    if (elapsed < installFor / 10) return { status: 'installing', stage: 'Starting installation', percentage: 0 };
    const percentage = Math.floor((elapsed / installFor) * 100);
    return { status: 'installing-in-progress', stage: percentage < 60 ? 'Writing image to disk' : 'Rebooting', percentage };
  };

  const validationsInfo = (host: Host): string => {
    const pass = validationsPass(host);
    return JSON.stringify({
      hardware: [{ id: 'has-min-cpu-cores', status: 'success', message: 'Sufficient CPU cores' }],
      network: [
        { id: 'ntp-synced', status: pass ? 'success' : 'failure', message: pass ? 'Host NTP is synced' : 'Host couldn\'t synchronize with any NTP server' },
        { id: 'api-domain-name-resolved-correctly', status: 'success', message: 'Domain name resolution was successful' },
        {
          id: 'api-int-domain-name-resolved-correctly',
          status: pass ? 'success' : 'pending',
          message: pass ? 'Domain name resolution was successful' : 'Missing inventory',
        },
        { id: 'apps-domain-name-resolved-correctly', status: 'success', message: 'Domain name resolution was successful' },
      ],
    });
  };

  const renderHost = (host: Host) => {
    const { status, stage, percentage } = hostStatus(host);
    return {
      id: host.id,
      kind: 'AddToExistingClusterHost',
      infra_env_id: state.infraEnv!.id,
      cluster_id: state.cluster!.id,
      requested_hostname: host.hostname,
      role: 'worker',
      status,
      status_info: status === 'insufficient' ? 'Host cannot be installed due to following failing validation(s): NTP' : status,
      validations_info: validationsInfo(host),
      progress: { current_stage: stage, installation_percentage: percentage },
    };
  };

  const authorized = (req: IncomingMessage): boolean => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer (.+)$/.exec(header);
    const expiresAt = match ? state.tokens.get(match[1]!) : undefined;
    return expiresAt !== undefined && clock.now() < expiresAt;
  };

  const handleToken = (body: string, res: ServerResponse): number => {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'refresh_token' || form.get('client_id') !== 'cloud-services') {
      send(res, 400, { error: 'unsupported_grant_type', error_description: 'expected grant_type=refresh_token, client_id=cloud-services' });
      return 400;
    }
    if (form.get('refresh_token') !== options.offlineToken) {
      send(res, 400, { error: 'invalid_grant', error_description: 'Invalid refresh token' });
      return 400;
    }
    const token = `eyJhbGciOiJSUzI1NiJ9.${randomUUID().replace(/-/g, '')}.sig`;
    state.tokens.set(token, clock.now() + JWT_LIFETIME_MS);
    send(res, 200, { access_token: token, expires_in: JWT_LIFETIME_MS / 1000, token_type: 'Bearer' });
    return 200;
  };

  const handleApi = (method: string, path: string, query: URLSearchParams, json: Record<string, unknown> | undefined, res: ServerResponse): number => {
    const reply = (status: number, body: unknown) => {
      send(res, status, body);
      return status;
    };
    if (method === 'POST' && path === '/clusters/import') {
      const missing = ['api_vip_dnsname', 'openshift_cluster_id', 'name'].filter((k) => typeof json?.[k] !== 'string' || json[k] === '');
      if (missing.length) return reply(400, { code: '400', reason: `missing ${missing.join(', ')}` });
      state.cluster = {
        id: randomUUID(),
        name: String(json!.name),
        openshiftClusterId: String(json!.openshift_cluster_id),
        apiVipDnsname: String(json!.api_vip_dnsname),
      };
      addEvent(`Imported cluster ${state.cluster.name}`);
      return reply(201, { id: state.cluster.id, kind: 'AddHostsCluster', name: state.cluster.name, status: 'adding-hosts', openshift_cluster_id: state.cluster.openshiftClusterId });
    }
    if (method === 'POST' && path === '/infra-envs') {
      if (!state.cluster || json?.cluster_id !== state.cluster.id) return reply(400, { code: '400', reason: 'unknown cluster_id' });
      try {
        JSON.parse(String(json.pull_secret));
      } catch {
        return reply(400, { code: '400', reason: 'pull_secret must be a JSON string' });
      }
      const imageType = String(json.image_type ?? 'minimal-iso');
      if (!['full-iso', 'minimal-iso'].includes(imageType)) return reply(400, { code: '400', reason: `bad image_type ${imageType}` });
      state.infraEnv = { id: randomUUID(), name: String(json.name), createdAt: clock.now(), imageType };
      return reply(201, { id: state.infraEnv.id, name: state.infraEnv.name, cluster_id: state.cluster.id, type: imageType });
    }
    const infraEnvMatch = /^\/infra-envs\/([^/]+)$/.exec(path);
    if (method === 'GET' && infraEnvMatch) {
      const infraEnv = state.infraEnv;
      if (!infraEnv || infraEnvMatch[1] !== infraEnv.id) return reply(404, { code: '404', reason: 'infra-env not found' });
      return reply(200, {
        id: infraEnv.id,
        name: infraEnv.name,
        cluster_id: state.cluster!.id,
        type: infraEnv.imageType,
        download_url: `https://api.openshift.com/api/assisted-images/images/${infraEnv.id}?arch=x86_64&type=${infraEnv.imageType}`,
      });
    }
    const clusterMatch = /^\/clusters\/([^/]+)$/.exec(path);
    if (method === 'GET' && clusterMatch) {
      const cluster = state.cluster;
      if (!cluster || clusterMatch[1] !== cluster.id) return reply(404, { code: '404', reason: 'cluster not found' });
      return reply(200, { id: cluster.id, name: cluster.name, status: 'adding-hosts', hosts: currentHosts().map(renderHost) });
    }
    const installMatch = /^\/infra-envs\/([^/]+)\/hosts\/([^/]+)\/actions\/install$/.exec(path);
    if (method === 'POST' && installMatch) {
      const host = currentHosts().find((h) => h.id === installMatch[2]);
      if (installMatch[1] !== state.infraEnv?.id || !host) return reply(404, { code: '404', reason: 'host not found' });
      if (hostStatus(host).status !== 'known') return reply(409, { code: '409', reason: `host is ${hostStatus(host).status}, not known` });
      host.installStartedAt = clock.now();
      addEvent(`Host ${host.hostname}: installation started`);
      return reply(202, renderHost(host));
    }
    if (method === 'GET' && path === '/events') {
      if (query.get('cluster_id') !== state.cluster?.id) return reply(200, []);
      return reply(200, state.events);
    }
    return reply(404, { code: '404', reason: `no route ${method} ${path}` });
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      const text = await readBody(req);
      let status: number;
      let body: unknown;
      if (method === 'POST' && url.pathname === TOKEN_PATH) {
        status = handleToken(text, res);
      } else if (url.pathname.startsWith(API_PREFIX)) {
        try {
          body = text ? (JSON.parse(text) as unknown) : undefined;
        } catch {
          body = undefined;
        }
        if (!authorized(req)) {
          send(res, 401, { code: '401', reason: 'Unauthorized: token missing, invalid or expired' });
          status = 401;
        } else {
          status = handleApi(method, url.pathname.slice(API_PREFIX.length), url.searchParams, body as Record<string, unknown> | undefined, res);
        }
      } else {
        send(res, 404, { reason: 'not found' });
        status = 404;
      }
      requests.push({ method, path: url.pathname, status, authorized: req.headers.authorization !== undefined, body });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    tokenUrl: `${url}${TOKEN_PATH}`,
    requests,
    tokensIssued: () => state.tokens.size,
    bootHost: () => {
      state.bootRequestedAt = clock.now();
    },
    hostStatus: () => {
      const host = currentHosts().find((h) => h.hostname === hostname);
      return host && hostStatus(host).status;
    },
    hostStatuses: () => Object.fromEntries(currentHosts().map((h) => [h.hostname, hostStatus(h).status])),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
