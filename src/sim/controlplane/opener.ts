// During a rehearsal every node a step opens must be a simulated one: anything else would reach a real machine.

import { StepError } from '../../errors.js';
import type { NodeOpener } from '../../node/index.js';
import type { ControlPlane } from './cluster.js';

/** Opens simulated nodes by name; any other node (ssh to a real host, this workstation) is refused. */
export function rehearsalNodeOpener(controlPlane: ControlPlane | undefined): NodeOpener {
  return (spec, exec) => {
    const node = controlPlane?.openNode(spec, exec);
    if (node) return node;
    const where = spec.transport === 'ssh' ? `ssh ${spec.user ? `${spec.user}@` : ''}${spec.host}:${spec.port}` : 'this workstation (transport local)';
    const simulated = controlPlane?.nodeNames() ?? [];
    throw new StepError(
      `node ${spec.name} (${where}) is not simulated: a rehearsal never reaches a real machine; ` +
        (simulated.length > 0 ? `the scenario simulates ${simulated.join(', ')}` : 'the scenario simulates no nodes (add controlPlane.nodes)'),
      { errorClass: 'permanent', details: { node: spec.name, simulated } },
    );
  };
}
