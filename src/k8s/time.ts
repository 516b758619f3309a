// Kubernetes timestamp formats, shared by the client, the lock and the steps.

/** metav1.Time: RFC 3339 in UTC without fractions, e.g. `2026-01-01T00:00:00Z`. */
export function formatKubeTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** metav1.MicroTime: RFC 3339 with microseconds (Lease acquire/renew times). */
export function formatMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}
