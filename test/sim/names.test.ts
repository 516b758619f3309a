// generateName collisions: retried by the server (as kube-apiserver does since 1.31), AlreadyExists only when it keeps colliding.

import { describe, expect, it } from 'vitest';
import { ApiCore } from '../../src/sim/api/core.js';
import { CONTROLLER } from '../../src/sim/actors/access.js';
import { selectResources } from '../../src/sim/resources.js';
import { ObjectStore } from '../../src/sim/store/store.js';

function coreWithNames(names: string[]): { core: ApiCore; def: ReturnType<typeof selectResources>[number] } {
  const defs = selectResources('kubernetes');
  let next = 0;
  const core = new ApiCore(new ObjectStore({ now: () => Date.parse('2026-01-01T00:00:00Z') }), defs, (prefix) => `${prefix}${names[Math.min(next++, names.length - 1)]}`);
  return { core, def: defs.find((d) => d.resource === 'configmaps')! };
}

describe('generateName', () => {
  it('retries a generated name that is already taken', async () => {
    const { core, def } = coreWithNames(['aaaaa', 'aaaaa', 'aaaaa', 'bbbbb']);
    const ns = defsNamespace(core);
    await core.create(CONTROLLER, ns, undefined, { metadata: { name: 'default' } });
    const first = await core.create(CONTROLLER, def, 'default', { metadata: { generateName: 'cm-' } });
    const second = await core.create(CONTROLLER, def, 'default', { metadata: { generateName: 'cm-' } });
    expect([first.stored.object.metadata.name, second.stored.object.metadata.name]).toEqual(['cm-aaaaa', 'cm-bbbbb']);
  });

  it('answers AlreadyExists when every attempt collides', async () => {
    const { core, def } = coreWithNames(['aaaaa']);
    await core.create(CONTROLLER, defsNamespace(core), undefined, { metadata: { name: 'default' } });
    await core.create(CONTROLLER, def, 'default', { metadata: { generateName: 'cm-' } });
    const error = await core.create(CONTROLLER, def, 'default', { metadata: { generateName: 'cm-' } }).catch((e) => e);
    expect(error).toMatchObject({ code: 409 });
  });
});

function defsNamespace(core: ApiCore) {
  return core.defs.find((d) => d.resource === 'namespaces')!;
}
