// The cluster as it is before anything happens: namespaces, existing nodes, machines, cluster version.

import type { Scenario } from './scenario/types.js';
import type { ClusterAccess } from './actors/access.js';
import { buildMachine, buildNode } from './actors/objects.js';
import { MACHINE_NAMESPACE } from './actors/kubelet.js';
import { formatTime } from './store/store.js';

const KUBE_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const OPENSHIFT_NAMESPACES = [
  'openshift-config', 'openshift-machine-api', 'openshift-machine-config-operator', 'openshift-image-registry',
  'openshift-cluster-version', 'openshift-etcd', 'openshift-ingress', 'openshift-monitoring',
];

export async function seedCluster(access: ClusterAccess, scenario: Scenario, now: number): Promise<void> {
  const openshift = scenario.flavour === 'openshift';
  for (const name of [...KUBE_NAMESPACES, ...(openshift ? OPENSHIFT_NAMESPACES : [])]) {
    await access.create('namespaces', { metadata: { name } });
  }
  for (const node of scenario.nodes) {
    await access.create('nodes', buildNode({ ...node, kubeletVersion: scenario.kubernetesVersion }, now));
  }
  if (!openshift) return;
  for (const node of scenario.nodes) {
    await createMachine(access, node.name, node.roles, node.addresses, 'Running', node.name);
  }
  for (const machine of scenario.machines) {
    await createMachine(access, machine.name, machine.roles, machine.addresses, 'Provisioning');
  }
  await access.create('clusterversions', { metadata: { name: 'version' }, spec: { clusterID: scenario.clusterID, channel: `stable-${scenario.openshiftVersion.split('.').slice(0, 2).join('.')}` } });
  const t = formatTime(now);
  await access.updateStatus('clusterversions', undefined, 'version', (cv) => {
    cv.status = {
      desired: { version: scenario.openshiftVersion, image: `quay.io/openshift-release-dev/ocp-release:${scenario.openshiftVersion}-x86_64` },
      history: [{ state: 'Completed', version: scenario.openshiftVersion, startedTime: t, completionTime: t }],
      observedGeneration: 1,
      versionHash: 'sim',
      conditions: [
        { type: 'Available', status: 'True', lastTransitionTime: t, message: `Done applying ${scenario.openshiftVersion}` },
        { type: 'Failing', status: 'False', lastTransitionTime: t },
        { type: 'Progressing', status: 'False', lastTransitionTime: t, message: `Cluster version is ${scenario.openshiftVersion}` },
      ],
    };
  });
  await access.create('secrets', {
    metadata: { name: 'worker-user-data-managed', namespace: MACHINE_NAMESPACE },
    type: 'Opaque',
    data: { userData: Buffer.from(JSON.stringify({ ignition: { version: '3.2.0' } })).toString('base64'), disableTemplating: Buffer.from('true').toString('base64') },
  });
}

async function createMachine(access: ClusterAccess, name: string, roles: string[], addresses: Scenario['nodes'][number]['addresses'], phase: string, nodeName?: string): Promise<void> {
  const machine = buildMachine(name, MACHINE_NAMESPACE, roles, addresses, phase, nodeName);
  const status = machine.status;
  await access.create('machines', machine);
  await access.updateStatus('machines', MACHINE_NAMESPACE, name, (m) => {
    m.status = status;
  });
}
