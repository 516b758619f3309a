// Joining a served simulation from another process as `rehearse` joins its own (`sim serve --connection-out`, `step run --rehearsal`).

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { writePrivateFile } from '../files/write-private-file.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StepError, UsageError } from '../errors.js';
import type { NetworkPolicy } from '../net/index.js';
import type { NodeOpener, NodeSpec, NodeTransport } from '../node/index.js';
import type { Simulation } from '../sim/index.js';
import { createScaledClock, systemClock, type Clock } from '../time/clock.js';

/** What the file holds (mode 0600: it carries the node channel's token). */
export interface RehearsalConnection {
  apiVersion: 'opsbook.dev/v1alpha1';
  kind: 'RehearsalConnection';
  scenario: string;
  /** The simulated cluster's kubeconfig (loopback). */
  kubeconfig: string;
  /** The simulation's clock: simulated time `simulatedMs` at wall time `wallMs`, running `scale` times real time. */
  clock: { simulatedMs: number; wallMs: number; scale: number };
  /** The hosts the simulation answers for (Assisted Installer, SSO), where, and its CA. */
  impersonation?: { hosts: string[]; port: number; caPem: string };
  /** The simulated nodes, reached through the serving process (kubeadm and crictl live there). */
  nodes?: { url: string; token: string; names: string[] };
  /** The scratch home standing in for the workstation's (`~` during the rehearsal). */
  workstationHome?: string;
}

const TRANSPORT_METHODS = ['run', 'runChecked', 'readFiles', 'readFile', 'writeFile', 'exists', 'mkdir', 'list', 'remove'] as const;
type TransportMethod = (typeof TRANSPORT_METHODS)[number];

/** Serves `sim`'s nodes on a loopback port and writes the connection file; `close()` stops the node channel. */
export async function serveRehearsalConnection(sim: Simulation, file: string, scale: number): Promise<{ close(): Promise<void> }> {
  const token = randomBytes(24).toString('base64url');
  const controlPlane = sim.controlPlane;
  const transports = new Map<string, NodeTransport>();
  const { execProcess } = await import('../proc/exec.js');
  const server = createServer((req, res) => void handleNodeRequest(req, res, token, (spec) => {
    const key = JSON.stringify(spec);
    let transport = transports.get(key);
    if (!transport) {
      transport = controlPlane?.openNode(spec, execProcess);
      if (transport) transports.set(key, transport);
    }
    return transport;
  }));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const connection: RehearsalConnection = {
    apiVersion: 'opsbook.dev/v1alpha1',
    kind: 'RehearsalConnection',
    scenario: sim.scenario.name,
    kubeconfig: sim.kubeconfigPath,
    clock: { simulatedMs: sim.clock.now(), wallMs: Date.now(), scale },
    ...(sim.impersonation ? { impersonation: { hosts: sim.impersonation.hosts, port: sim.impersonation.port, caPem: sim.impersonation.caPem } } : {}),
    ...(controlPlane ? { nodes: { url: `http://127.0.0.1:${port}/node`, token, names: controlPlane.nodeNames() }, workstationHome: controlPlane.workstationHome } : {}),
  };
  await writePrivateFile(file, `${JSON.stringify(connection, null, 2)}\n`);
  return {
    close: async () => {
      const closed = new Promise<void>((done) => server.close(() => done()));
      // A step run's kept-alive connection would otherwise hold close() open.
      server.closeAllConnections();
      await closed;
      await Promise.all([...transports.values()].map((t) => t.close()));
    },
  };
}

/** One transport call: `{node, method, args}` in, `{result}` or `{error}` out; the caller hanging up aborts it. */
async function handleNodeRequest(req: IncomingMessage, res: ServerResponse, token: string, open: (spec: NodeSpec) => NodeTransport | undefined): Promise<void> {
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const given = Buffer.from(String(req.headers.authorization ?? '').replace(/^Bearer /, ''));
  const expected = Buffer.from(token);
  if (req.method !== 'POST' || req.url !== '/node' || given.length !== expected.length || !timingSafeEqual(given, expected)) return reply(403, { error: { name: 'Error', message: 'forbidden' } });
  const hangUp = new AbortController();
  res.on('close', () => hangUp.abort(new Error('the step run hung up')));
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { node, method, args } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { node: NodeSpec; method: TransportMethod; args: unknown[] };
    if (!TRANSPORT_METHODS.includes(method)) return reply(400, { error: { name: 'Error', message: `no transport method ${String(method)}` } });
    const transport = open(node);
    if (!transport) return reply(404, { error: { name: 'StepError', message: `node ${node.name} is not simulated`, errorClass: 'permanent' } });
    const call = transport[method] as (...a: unknown[]) => Promise<unknown>;
    const result = await call.apply(transport, decode(args, hangUp.signal) as unknown[]);
    reply(200, { result: encode(result) });
  } catch (error) {
    const e = error as Partial<StepError>;
    reply(200, { error: { name: e.name ?? 'Error', message: e.message ?? String(error), errorClass: e.errorClass, details: e.details, retryAfterMs: e.retryAfterMs } });
  }
}

/** Buffers as base64 and AbortSignals as a marker, so a call crosses as JSON. */
function encode(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $base64: Buffer.from(value).toString('base64') };
  if (value instanceof AbortSignal) return { $signal: true };
  if (Array.isArray(value)) return value.map(encode);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, encode(v)]));
  return value;
}

function decode(value: unknown, signal: AbortSignal | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => decode(v, signal));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$base64 === 'string') return Buffer.from(o.$base64, 'base64');
    if (o.$signal === true) return signal;
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, decode(v, signal)]));
  }
  return value;
}

/** What `step run --rehearsal` runs with: everything `rehearse` gives its engine, from the connection file. */
export interface JoinedRehearsal {
  connection: RehearsalConnection;
  clock: Clock;
  network: NetworkPolicy;
  openNode: NodeOpener;
  /** Proxy and CA variables forced onto every process a step starts. */
  spawnEnv: Record<string, string>;
  close(): Promise<void>;
}

/** Reads the connection file (exit 2 when it is not one) and sets up the network policy, the process proxy, the nodes and the clock. */
export async function joinRehearsal(file: string): Promise<JoinedRehearsal> {
  let connection: RehearsalConnection;
  try {
    connection = JSON.parse(await readFile(file, 'utf8')) as RehearsalConnection;
  } catch (error) {
    throw new UsageError(`--rehearsal ${file}: cannot read the connection file (${(error as Error).message}); \`opsbook sim serve --connection-out FILE\` writes it`, { cause: error });
  }
  if (connection?.kind !== 'RehearsalConnection' || typeof connection.kubeconfig !== 'string' || !(connection.clock?.scale > 0)) {
    throw new UsageError(`--rehearsal ${file}: not a connection file written by \`opsbook sim serve --connection-out\``);
  }
  const { createRehearsalNetwork, startProcessContainment } = await import('../net/index.js');
  const sim = connection.impersonation;
  const network = createRehearsalNetwork(sim ? { simulation: { hosts: sim.hosts, port: sim.port, ca: sim.caPem } } : {});
  const scratch = mkdtempSync(path.join(tmpdir(), 'opsbook-step-rehearsal-'));
  const contained = await startProcessContainment({ policy: network, dir: scratch, ...(sim ? { simulationCa: sim.caPem } : {}) });
  const { simulatedMs, wallMs, scale } = connection.clock;
  return {
    connection,
    // The simulation's time now, moving at its pace: timeouts, backoff and polling as in the rehearsal (real time: whole ms, as there).
    clock: scale === 1 ? { ...systemClock, now: () => Date.now() + (simulatedMs - wallMs) } : createScaledClock(scale, simulatedMs + (Date.now() - wallMs) * scale),
    network,
    openNode: remoteNodeOpener(connection.nodes),
    spawnEnv: contained.env,
    close: async () => {
      await contained.close();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/** Simulated nodes by name through the serving process; any other node is refused as a rehearsal refuses it. */
function remoteNodeOpener(nodes: RehearsalConnection['nodes']): NodeOpener {
  return (spec) => {
    if (nodes && nodes.names.includes(spec.name)) return remoteTransport(spec, nodes);
    const where = spec.transport === 'ssh' ? `ssh ${spec.user ? `${spec.user}@` : ''}${spec.host}:${spec.port}` : 'this workstation (transport local)';
    const simulated = nodes?.names ?? [];
    throw new StepError(
      `node ${spec.name} (${where}) is not simulated: a rehearsal never reaches a real machine; ` +
        (simulated.length > 0 ? `the scenario simulates ${simulated.join(', ')}` : 'the scenario simulates no nodes (add controlPlane.nodes)'),
      { errorClass: 'permanent', details: { node: spec.name, simulated } },
    );
  };
}

/** A NodeTransport whose every call runs in the serving process (a call's signal aborts the request). */
function remoteTransport(spec: NodeSpec, nodes: NonNullable<RehearsalConnection['nodes']>): NodeTransport {
  const call = async (method: TransportMethod, args: unknown[]): Promise<unknown> => {
    const signal = args.find((a): a is AbortSignal => a instanceof AbortSignal) ?? (args.find((a) => a && typeof a === 'object' && (a as { signal?: unknown }).signal instanceof AbortSignal) as { signal?: AbortSignal } | undefined)?.signal;
    let response: Response;
    try {
      response = await fetch(nodes.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${nodes.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ node: spec, method, args: encode(args) }),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      throw new StepError(`node ${spec.name}: the simulation serving it cannot be reached (${(error as Error).message})`, { errorClass: 'transient', cause: error });
    }
    const body = (await response.json()) as { result?: unknown; error?: { name: string; message: string; errorClass?: StepError['errorClass']; details?: unknown; retryAfterMs?: number } };
    if (body.error) {
      const e = body.error;
      throw new StepError(e.message, { errorClass: e.errorClass ?? 'permanent', details: e.details, ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}) });
    }
    return decode(body.result, undefined);
  };
  const transport = { spec, close: async () => {} } as Record<string, unknown>;
  for (const method of TRANSPORT_METHODS) transport[method] = (...args: unknown[]) => call(method, args);
  return transport as unknown as NodeTransport;
}
