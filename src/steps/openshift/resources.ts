// The OpenShift objects these steps read and write, named once.

import type { ObjectRef } from '../../k8s/types.js';

export const CLUSTER_OPERATOR = { apiVersion: 'config.openshift.io/v1', kind: 'ClusterOperator' } as const;

export const REGISTRY_CONFIG: ObjectRef = {
  apiVersion: 'imageregistry.operator.openshift.io/v1',
  kind: 'Config',
  name: 'cluster',
};

/** How humans write the registry config in `oc` commands, for messages. */
export const REGISTRY_CONFIG_NAME = 'configs.imageregistry.operator.openshift.io/cluster';

export const REGISTRY_NAMESPACE = 'openshift-image-registry';

export const REGISTRY_OPERATOR = 'image-registry';
