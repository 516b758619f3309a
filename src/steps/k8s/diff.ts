// What a write would change: compares the live object with the server's dry-run answer, ignoring server bookkeeping.

import type { KubeObject } from '../../k8s/types.js';
import { isSecretPath } from './secrets.js';

const BOOKKEEPING = new Set(['resourceVersion', 'managedFields', 'generation', 'creationTimestamp', 'uid', 'selfLink']);

/** The object without fields the server rewrites on every write (and without status, which writes here never set). */
export function stripBookkeeping(object: KubeObject | undefined): Record<string, unknown> | undefined {
  if (!object) return undefined;
  const { status: _status, metadata, ...rest } = object;
  const meta: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metadata ?? {})) if (!BOOKKEEPING.has(key)) meta[key] = value;
  return { ...rest, metadata: meta };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (v === undefined) return '(none)';
  const text = JSON.stringify(v);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** One line per changed leaf: `spec.replicas: 3 → 1`, `metadata.labels.x: (none) → "y"`. */
export function diffObjects(before: unknown, after: unknown, path = ''): string[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffObjects(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [`${path || '(object)'}: ${show(before)} → ${show(after)}`];
}

/** Lines describing how a write turns `live` into `result`; empty when nothing but bookkeeping changes. Secret values are not shown. */
export function describeChange(live: KubeObject | undefined, result: KubeObject): string[] {
  return diffObjects(stripBookkeeping(live) ?? {}, stripBookkeeping(result)).map((line) => {
    const path = line.slice(0, line.indexOf(': '));
    return isSecretPath(result, path) ? `${path}: (secret value changed)` : line;
  });
}
