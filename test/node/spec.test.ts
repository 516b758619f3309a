import { describe, expect, it } from 'vitest';
import { validateStepParams } from '../../src/runbook/index.js';
import { renewCertsStep } from '../../src/steps/certs/renew-certs.js';
import { checkNodes, normalizeNode, normalizeNodes } from '../../src/node/index.js';

const issuesFor = (nodes: unknown) => validateStepParams(renewCertsStep, { nodes }).map((i) => `${i.path}: ${i.message}`);

describe('node parameter', () => {
  it('fills every default once', () => {
    expect(normalizeNode({ transport: 'ssh', host: '10.0.0.3' })).toEqual({
      name: '10.0.0.3', transport: 'ssh', sudo: false, host: '10.0.0.3', user: '', port: 22,
      identityFile: undefined, knownHostsFile: undefined, strictHostKeyChecking: 'yes', connectTimeout: 10,
    });
    expect(normalizeNodes(undefined).map((n) => [n.name, n.transport])).toEqual([['localhost', 'local']]);
  });

  it('rejects an ssh node without host, unknown fields, and any way to switch host key checking off', () => {
    expect(issuesFor([{ transport: 'ssh' }]).join('\n')).toMatch(/nodes\[0\].*host/);
    expect(issuesFor([{ transport: 'local', hots: 'x' }]).join('\n')).toMatch(/nodes\[0\].*hots/);
    expect(issuesFor([{ transport: 'ssh', host: 'h', strictHostKeyChecking: 'no' }]).join('\n')).toMatch(/strictHostKeyChecking/);
    expect(issuesFor([{ transport: 'ssh', host: 'h', port: 70000 }]).join('\n')).toMatch(/port/);
    expect(issuesFor([{ transport: 'ssh', host: 'h', user: 'root', identityFile: '~/.ssh/id', knownHostsFile: '/k' }])).toEqual([]);
  });

  it('refuses duplicate node names (one node renewed twice in a row)', () => {
    expect(checkNodes([{ transport: 'ssh', host: 'a' }, { name: 'a' }])).toEqual([{ path: 'nodes[1].name', message: 'duplicate node name "a"' }]);
    expect(issuesFor([{ name: 'cp', transport: 'local' }, { name: 'cp', transport: 'local' }])).toEqual(['nodes[1].name: duplicate node name "cp"']);
  });
});
