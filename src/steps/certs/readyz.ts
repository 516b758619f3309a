// Waits until the API server answers /readyz: through the run's cluster client, or an HTTPS URL trusting the node's CA.

import { request } from 'node:https';
import { isIP } from 'node:net';
import { StepError } from '../../errors.js';
import { formatDurationExact } from '../../time/duration.js';
import type { KubeClient } from '../../k8s/types.js';
import type { Clock } from '../../time/clock.js';
import { directNetwork, type NetworkPolicy, type NetworkRoute } from '../../net/index.js';

export interface ReadyzOptions {
  /** e.g. `https://10.0.0.1:6443/readyz`; undefined = the run's cluster (`ctx.kube()`). */
  url?: string;
  /** PEM trusted for `url` (the node's cluster CA by default). */
  caPem?: string;
  /** Client certificate and key for `url` (from a kubeconfig), when anonymous requests are refused. */
  client?: { certificatePem: string; keyPem: string };
  /** Check the URL's host against the serving certificate's names (the chain to `caPem` is always checked). @default true */
  verifyHostname?: boolean;
  timeoutMs: number;
  intervalMs: number;
  clock: Clock;
  signal: AbortSignal;
  kube(): Promise<KubeClient>;
  progress(detail: string): void;
  /** How `url` is reached (a rehearsal refuses a node address it does not simulate). @default direct */
  network?: NetworkPolicy;
}

type Probe = () => Promise<{ status: number; body: string }>;

/** Resolves once /readyz answers 200; throws a timeout StepError after `timeoutMs` of clock time. */
export async function waitForReadyz(nodeName: string, options: ReadyzOptions): Promise<{ probes: number; waitedMs: number }> {
  // Routed once, before any probe: a host the policy refuses is an error, not something to wait out.
  const route = options.url ? (options.network ?? directNetwork).route(new URL(options.url)) : undefined;
  const probe: Probe = options.url
    ? () => httpsGet(options.url!, route!, options, options.signal)
    : async () => (await options.kube()).request('/readyz', options.signal);
  const start = options.clock.now();
  let last = 'no answer yet';
  for (let probes = 1; ; probes++) {
    try {
      const answer = await probe();
      if (answer.status === 200) return { probes, waitedMs: options.clock.now() - start };
      last = `HTTP ${answer.status}: ${answer.body.trim().split('\n').slice(-1)[0] ?? ''}`;
    } catch (error) {
      if (options.signal.aborted) throw error;
      last = (error as Error).message;
    }
    const waited = options.clock.now() - start;
    options.progress(`${nodeName}: waiting for the API server /readyz (${formatDurationExact(waited)}): ${last}`);
    if (waited + options.intervalMs > options.timeoutMs) {
      throw new StepError(`${nodeName}: the API server did not answer /readyz within ${formatDurationExact(options.timeoutMs)} after the restart (last: ${last})`, {
        errorClass: 'timeout',
      });
    }
    await options.clock.sleep(options.intervalMs, options.signal);
  }
}

function httpsGet(
  url: string,
  route: NetworkRoute,
  { caPem, client, verifyHostname }: Pick<ReadyzOptions, 'caPem' | 'client' | 'verifyHostname'>,
  signal: AbortSignal,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const name = target.hostname.replace(/^\[|\]$/g, '');
    const cas = [caPem, route.ca].filter((c): c is string => c !== undefined);
    const tls = {
      // The socket goes where the route says; the TLS name and Host header stay the URL's.
      host: route.host,
      port: route.port,
      ...(isIP(name) ? {} : { servername: name }),
      headers: { host: target.host },
      ...(cas.length > 0 ? { ca: cas } : {}),
      ...(client ? { cert: client.certificatePem, key: client.keyPem } : {}),
      ...(verifyHostname === false ? { checkServerIdentity: () => undefined } : {}),
    };
    const req = request(url, { method: 'GET', ...tls, signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
