// Opens the transport a node parameter asks for.

import type { Exec } from '../proc/types.js';
import { createLocalTransport } from './local.js';
import { createSshTransport } from './ssh.js';
import type { NodeSpec, NodeTransport } from './types.js';

export type { NodeSpec, NodeTransport, ReadResult, RunOptions } from './types.js';
export { nodeSchema, nodesSchema, normalizeNode, normalizeNodes, checkNodes } from './spec.js';
export { quoteShellCommand, quoteShellWord } from './quote.js';

/** A transport for `spec`; the caller closes it (ends the ssh master). */
export function openNode(spec: NodeSpec, exec: Exec): NodeTransport {
  return spec.transport === 'ssh' ? createSshTransport(spec, exec) : createLocalTransport(spec, exec);
}

/** Opens, runs `fn`, and always closes. */
export async function withNode<T>(spec: NodeSpec, exec: Exec, fn: (node: NodeTransport) => Promise<T>): Promise<T> {
  const node = openNode(spec, exec);
  try {
    return await fn(node);
  } finally {
    await node.close();
  }
}
