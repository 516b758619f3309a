// Shared helpers for renewal tests: openssl, PEM files, a cluster whose /readyz answers from a script.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeClient } from '../../../src/k8s/types.js';

export function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Writes a PEM to a temp file for openssl and returns the path. */
export function pemFile(dir: string, name: string, pem: string): string {
  const path = join(dir, name);
  writeFileSync(path, pem);
  return path;
}

/** A cluster whose /readyz answers from a script of statuses (then 200 for ever). */
export function readyzCluster(statuses: number[] = []): { kube: () => Promise<KubeClient>; probes: () => number } {
  let probes = 0;
  const client = {
    server: 'https://sim',
    request: async (path: string) => {
      probes++;
      if (path !== '/readyz') throw new Error(`unexpected path ${path}`);
      const status = statuses.shift() ?? 200;
      return { status, body: status === 200 ? 'ok' : '[-]etcd failed: reason withheld\nreadyz check failed' };
    },
  } as unknown as KubeClient;
  return { kube: async () => client, probes: () => probes };
}
