// Outbound network policy: how steps reach hosts during `run` (directly) and `rehearse` (the simulation or nowhere).

export { createRehearsalNetwork, directNetwork, isLoopback, type NetworkAttempt, type NetworkPolicy, type NetworkRoute, type RehearsalNetwork, type RehearsalNetworkOptions } from './policy.js';
