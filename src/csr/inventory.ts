// Turns the steps' `nodes`/`match` parameters into a NodeSelector and answers "is this node one of ours?".

import type { NodeIdentity, NodeSelector } from './types.js';

export type NodeEntry = string | { name: string; addresses?: string[]; hostnames?: string[] };

/** Build the selector; `match` is anchored so `worker-.*` cannot match `evil-worker-1`. */
export function createNodeSelector(options: { nodes?: NodeEntry[]; match?: string; count?: number }): NodeSelector {
  if (options.nodes) {
    const nodes = new Map<string, NodeIdentity>();
    for (const entry of options.nodes) {
      const identity = typeof entry === 'string'
        ? { name: entry, addresses: [], hostnames: [] }
        : { name: entry.name, addresses: [...(entry.addresses ?? [])], hostnames: [...(entry.hostnames ?? [])] };
      nodes.set(identity.name, identity);
    }
    return { mode: 'inventory', nodes };
  }
  if (options.match === undefined) throw new Error('either nodes or match is required');
  return { mode: 'match', pattern: new RegExp(`^(?:${options.match})$`), source: options.match, count: options.count ?? 1 };
}

export function isSelectedNode(selector: NodeSelector, name: string): boolean {
  return selector.mode === 'inventory' ? selector.nodes.has(name) : selector.pattern.test(name);
}

/** Inventory-declared identity of a node, if any. */
export function inventoryIdentity(selector: NodeSelector, name: string): NodeIdentity | undefined {
  return selector.mode === 'inventory' ? selector.nodes.get(name) : undefined;
}

/** Describe the selector for messages. */
export function describeSelector(selector: NodeSelector): string {
  return selector.mode === 'inventory'
    ? `${selector.nodes.size} inventory node(s)`
    : `${selector.count} node(s) matching /${selector.source}/`;
}

/**
 * Which expected nodes are still missing, given the nodes that satisfy a condition. With an inventory it names
 * them; with `match` it reports how many more are needed.
 */
export function findMissingNodes(selector: NodeSelector, satisfied: Iterable<string>): { done: boolean; missing: string[] } {
  const have = new Set([...satisfied].filter((name) => isSelectedNode(selector, name)));
  if (selector.mode === 'inventory') {
    const missing = [...selector.nodes.keys()].filter((name) => !have.has(name));
    return { done: missing.length === 0, missing };
  }
  const short = selector.count - have.size;
  return short <= 0 ? { done: true, missing: [] } : { done: false, missing: [`${short} more node(s) matching /${selector.source}/`] };
}

/** Expected node names (inventory order), or the matching names seen so far. */
export function listExpectedNodes(selector: NodeSelector, seen: Iterable<string> = []): string[] {
  if (selector.mode === 'inventory') return [...selector.nodes.keys()];
  return [...new Set([...seen].filter((name) => selector.pattern.test(name)))].sort();
}
