// Outbound network policy: how steps and their processes reach hosts during `run` (directly) and `rehearse` (the simulation or nowhere).

export { createRehearsalNetwork, directNetwork, isLoopback, type NetworkAttempt, type NetworkPolicy, type NetworkRoute, type RehearsalNetwork, type RehearsalNetworkOptions } from './policy.js';
export type { ForwardProxy, ForwardProxyOptions } from './proxy.js';
export type { ProcessContainment, ProcessContainmentOptions } from './contain.js';

import type { ProcessContainment, ProcessContainmentOptions } from './contain.js';

/** The loopback proxy and CA bundle for a rehearsal's processes; node:http/tls load only when a rehearsal asks. */
export async function startProcessContainment(options: ProcessContainmentOptions): Promise<ProcessContainment> {
  return (await import('./contain.js')).startProcessContainment(options);
}
