// Where a step's outbound connection goes: straight to the host (`run`) or, during a rehearsal, to the simulation.

import { StepError } from '../errors.js';

/** The socket to open for a URL: its own host, or a stand-in that answers for it (TLS name and Host header kept). */
export interface NetworkRoute {
  /** Address to connect to. */
  host: string;
  port: number;
  /** Extra trusted CA (PEM) for this connection: the simulation's, whose certificate names the impersonated host. */
  ca?: string;
}

/** One connection a policy was asked about (rehearsal report and tests read them). */
export interface NetworkAttempt {
  /** host:port as the URL names it. */
  target: string;
  /** `simulated` (sent to the stand-in), `loopback` (already local) or `refused`. */
  outcome: 'simulated' | 'loopback' | 'refused';
}

export interface NetworkPolicy {
  /** The route to open for `url`; throws a permanent StepError when the host may not be contacted. */
  route(url: URL): NetworkRoute;
  /** For clients that cannot be rerouted (the Kubernetes client): throws unless `url` may be contacted as it is. */
  checkDirect(url: URL): void;
}

function defaultPort(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/** `run`: every host is reached as named. */
export const directNetwork: NetworkPolicy = {
  route: (url) => ({ host: url.hostname.replace(/^\[|\]$/g, ''), port: defaultPort(url) }),
  checkDirect: () => {},
};

/** 127.0.0.0/8, ::1 and localhost: never beyond this machine. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export interface RehearsalNetworkOptions {
  /** The host names the simulation answers for (e.g. api.openshift.com, sso.redhat.com), where it listens, its CA. */
  simulation?: { hosts: readonly string[]; port: number; ca: string };
}

export interface RehearsalNetwork extends NetworkPolicy {
  /** Every connection asked for so far, in order. */
  attempts(): NetworkAttempt[];
}

/** A rehearsal's network: impersonated hosts go to the simulation, loopback stays, anything else is refused. */
export function createRehearsalNetwork(options: RehearsalNetworkOptions): RehearsalNetwork {
  const sim = options.simulation;
  const impersonated = new Set((sim?.hosts ?? []).map((h) => h.toLowerCase()));
  const attempts: NetworkAttempt[] = [];
  const refuse = (url: URL, what: string): never => {
    attempts.push({ target: `${url.hostname}:${defaultPort(url)}`, outcome: 'refused' });
    const known = impersonated.size > 0 ? `; the scenario simulates ${[...impersonated].join(', ')}` : '';
    throw new StepError(`not simulated: ${url.hostname} (${what} beyond the loopback during a rehearsal${known})`, {
      errorClass: 'permanent',
    });
  };
  return {
    route(url) {
      const target = `${url.hostname}:${defaultPort(url)}`;
      if (sim && impersonated.has(url.hostname.toLowerCase())) {
        attempts.push({ target, outcome: 'simulated' });
        return { host: '127.0.0.1', port: sim.port, ca: sim.ca };
      }
      if (isLoopback(url.hostname)) {
        attempts.push({ target, outcome: 'loopback' });
        return directNetwork.route(url);
      }
      return refuse(url, 'a request');
    },
    checkDirect(url) {
      if (!isLoopback(url.hostname)) refuse(url, 'a cluster');
      attempts.push({ target: `${url.hostname}:${defaultPort(url)}`, outcome: 'loopback' });
    },
    attempts: () => [...attempts],
  };
}
