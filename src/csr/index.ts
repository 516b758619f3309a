// The CSR identity policy: pure decisions on whether a kubelet CSR may be approved, and why not.

export * from './types.js';
export * from './inventory.js';
export * from './checks.js';
export * from './identity.js';
export * from './record.js';
export * from './client-policy.js';
export * from './server-policy.js';
