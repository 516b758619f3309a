// The `local` transport: commands run on this machine through the injected Exec (execa in production).

import type { Exec } from '../proc/types.js';
import { createTransport } from './transport.js';
import { runProcess } from './run-process.js';
import type { NodeSpec, NodeTransport } from './types.js';

export function createLocalTransport(spec: NodeSpec, exec: Exec): NodeTransport {
  return createTransport(
    spec,
    (argv, options) => runProcess(exec, argv[0]!, argv.slice(1), options, spec.name),
    async () => {},
  );
}
