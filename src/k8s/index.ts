// The light part of the Kubernetes area: API error classification and timestamp formats. The client, kubeconfig and
// lock load @kubernetes/client-node, so callers import those modules themselves, lazily (test/architecture.test.ts).

export { isConflict, isAlreadyExists, isNotFound, isGone, statusCodeOf } from './errors.js';
export { formatKubeTime, formatMicroTime, formatKubeadmTime, formatResidual } from './time.js';
