// Object and namespace names as kube-apiserver checks them, so a `${{ }}` name that evaluates to junk is refused
// before any request, naming the field and the value it became.

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

// RBAC and OpenShift's user/oauth/security kinds take any path segment as a name (`system:node:worker-0`).
const PATH_SEGMENT_GROUPS = /^(rbac\.authorization\.k8s\.io|[a-z0-9.-]*\.openshift\.io)\//;

/** Why `value` cannot be a namespace (a DNS-1123 label), or undefined when it can. */
export function checkNamespaceName(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a string, got ${JSON.stringify(value)}`;
  if (value === '') return 'must not be empty, got ""';
  if (value.length > 63 || !DNS_LABEL.test(value)) {
    return `must be a namespace name (lowercase letters, digits and '-', at most 63), got ${JSON.stringify(value)}`;
  }
  return undefined;
}

/** Why `value` cannot name an object of `apiVersion` (a DNS-1123 subdomain for most kinds), or undefined when it can. */
export function checkObjectName(value: unknown, apiVersion: string): string | undefined {
  if (typeof value !== 'string') return `must be a string, got ${JSON.stringify(value)}`;
  if (value === '') return 'must not be empty, got ""';
  if (value === '.' || value === '..' || /[/%]/.test(value)) return `must not be '.' or '..' nor contain '/' or '%', got ${JSON.stringify(value)}`;
  if (PATH_SEGMENT_GROUPS.test(apiVersion)) return undefined;
  if (value.length > 253 || !DNS_SUBDOMAIN.test(value)) {
    return `must be a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most 253), got ${JSON.stringify(value)}`;
  }
  return undefined;
}
