// The identities kubelets and rogue actors use, as a real cluster's authenticator would report them.

import type { UserInfo } from '../api/auth.js';

export const NODE_BOOTSTRAPPER = 'system:serviceaccount:openshift-machine-config-operator:node-bootstrapper';

export function bootstrapperIdentity(kind: 'node-bootstrapper' | 'bootstrap-token'): UserInfo {
  if (kind === 'node-bootstrapper') {
    return {
      username: NODE_BOOTSTRAPPER,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:openshift-machine-config-operator', 'system:authenticated'],
    };
  }
  return {
    username: 'system:bootstrap:abcdef',
    groups: ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token', 'system:authenticated'],
  };
}

export function nodeIdentity(name: string): UserInfo {
  return { username: `system:node:${name}`, groups: ['system:nodes', 'system:authenticated'] };
}

export const INTRUDER: UserInfo = {
  username: 'system:serviceaccount:default:intruder',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
};
