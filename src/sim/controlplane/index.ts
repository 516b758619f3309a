// Simulated kubeadm control-plane nodes (procedures §4): root filesystems, kubeadm, crictl, per-node API servers.

export { startControlPlane, type ControlPlane, type ControlPlaneSummary, type CertificateChange } from './cluster.js';
export { runKubeadm, type ProgramResult } from './kubeadm.js';
export { ContainerRuntime, humanDuration } from './crictl.js';
export { createSimulatedTransport, mapPaths } from './transport.js';
export { hostPath } from './rootfs.js';
export { LEAVES as KUBEADM_LEAVES, LEAF_NAMES as KUBEADM_LEAF_NAMES } from './layout.js';
export { rehearsalNodeOpener } from './opener.js';
