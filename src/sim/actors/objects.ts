// Builders for the objects the simulation seeds and its controllers create.

import type { NodeAddress } from '../scenario/types.js';
import { formatTime } from '../store/store.js';
import type { NewObject } from './access.js';

export interface NodeSpec {
  name: string;
  roles: string[];
  addresses: NodeAddress[];
  labels: Record<string, string>;
  ready: boolean;
  kubeletVersion: string;
}

export function nodeCondition(type: string, status: boolean, now: number, reason: string, message: string): Record<string, string> {
  const t = formatTime(now);
  return { type, status: status ? 'True' : 'False', lastHeartbeatTime: t, lastTransitionTime: t, reason, message };
}

/** A Node as a kubelet registers it (Ready or NotReady). */
export function buildNode(spec: NodeSpec, now: number): NewObject {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': spec.name,
    'kubernetes.io/os': 'linux',
    ...spec.labels,
  };
  for (const role of spec.roles) labels[`node-role.kubernetes.io/${role}`] = '';
  return {
    metadata: { name: spec.name, labels, annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' } },
    spec: {},
    status: {
      addresses: spec.addresses,
      conditions: [
        nodeCondition('MemoryPressure', false, now, 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        nodeCondition('DiskPressure', false, now, 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        nodeCondition('PIDPressure', false, now, 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        spec.ready
          ? nodeCondition('Ready', true, now, 'KubeletReady', 'kubelet is posting ready status')
          : nodeCondition('Ready', false, now, 'KubeletNotReady', 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: no CNI configuration file in /etc/kubernetes/cni/net.d/. Has your network provider started?'),
      ],
      capacity: { cpu: '8', memory: '32807680Ki', pods: '250', 'ephemeral-storage': '125293548Ki' },
      allocatable: { cpu: '7500m', memory: '31656704Ki', pods: '250', 'ephemeral-storage': '114396791822' },
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: 'amd64',
        containerRuntimeVersion: 'cri-o://1.27.1',
        kernelVersion: '5.14.0-284.41.1.el9_2.x86_64',
        kubeProxyVersion: spec.kubeletVersion,
        kubeletVersion: spec.kubeletVersion,
        operatingSystem: 'linux',
        osImage: 'Red Hat Enterprise Linux CoreOS 414.92',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    },
  };
}

export function buildMachine(name: string, namespace: string, roles: string[], addresses: NodeAddress[], phase: string, nodeName?: string): NewObject {
  const role = roles.includes('master') ? 'master' : 'worker';
  return {
    metadata: {
      name,
      namespace,
      labels: {
        'machine.openshift.io/cluster-api-machine-role': role,
        'machine.openshift.io/cluster-api-machine-type': role,
        'machine.openshift.io/instance-type': 'm5.xlarge',
      },
    },
    spec: { providerSpec: {} },
    status: { phase, addresses, ...(nodeName ? { nodeRef: { kind: 'Node', name: nodeName } } : {}) },
  };
}
