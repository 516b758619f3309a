// The scenario's assistedInstaller and secrets sections: defaults, and mistakes reported at file:line:col before
// anything starts.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunbookError } from '../../src/errors.js';
import { loadScenario } from '../../src/sim/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'opsbook-ai-scenario-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(text: string) {
  const file = path.join(dir, 'scenario.yaml');
  await writeFile(file, text);
  return { file, result: loadScenario(file) };
}

async function diagnosticsOf(text: string) {
  const { file, result } = await load(text);
  const error = (await result.catch((e: unknown) => e)) as RunbookError;
  expect(error.name).toBe('RunbookError');
  return { file, diagnostics: error.diagnostics.map((d) => ({ ...d, file: path.basename(d.file) })) };
}

describe('scenario assistedInstaller', () => {
  it('fills the defaults: the real hosts impersonated, 15-minute tokens, 2m boot, 20m install; the machine waits for it', async () => {
    const { result } = await load(
      ['name: ai', 'machines:', '  - name: worker-1', 'assistedInstaller:', '  offlineToken: dummy-offline', '  hosts:', '    - name: worker-1', '    - name: stray', 'secrets: { OFFLINE_TOKEN: dummy-offline }', ''].join('\n'),
    );
    const scenario = await result;
    expect(scenario.assistedInstaller).toEqual({
      impersonates: ['api.openshift.com', 'sso.redhat.com'],
      offlineToken: 'dummy-offline',
      tokenLifetime: 15 * 60_000,
      hosts: [
        { name: 'worker-1', bootAfter: 120_000, validations: [], installDuration: 1_200_000 },
        { name: 'stray', bootAfter: 120_000, validations: [], installDuration: 1_200_000 },
      ],
    });
    expect(scenario.machines[0]!.joinedBy).toBe('assisted-installer');
    expect(scenario.secrets).toEqual({ OFFLINE_TOKEN: 'dummy-offline' });
  });

  it('reports an unknown validation, a bad status and a bad impersonated host name at their line:col', async () => {
    const { diagnostics } = await diagnosticsOf(
      [
        'name: ai',
        'assistedInstaller:',
        '  offlineToken: dummy-offline',
        '  impersonates: [api.openshift.com, "Not A Host"]',
        '  hosts:',
        '    - name: worker-1',
        '      validations:',
        '        - { id: ntp-sync, until: 8m }',
        '        - { id: ntp-synced, status: broken }',
        '',
      ].join('\n'),
    );
    expect(diagnostics).toContainEqual(expect.objectContaining({ file: 'scenario.yaml', line: 4, col: 37, path: 'assistedInstaller.impersonates[1]', message: "must be a lowercase host name such as api.openshift.com, got 'Not A Host'" }));
    expect(diagnostics).toContainEqual(expect.objectContaining({ line: 8, col: 17, path: 'assistedInstaller.hosts[0].validations[0].id' }));
    expect(diagnostics).toContainEqual(expect.objectContaining({ line: 9, col: 37, path: 'assistedInstaller.hosts[0].validations[1].status' }));
  });

  it('refuses a fixed joinAt for a machine the Assisted Installer installs, duplicate hosts and validations, and a kubernetes flavour', async () => {
    const { diagnostics } = await diagnosticsOf(
      [
        'name: ai',
        'flavour: kubernetes',
        'machines:',
        '  - name: worker-1',
        '    joinAt: 10m',
        'assistedInstaller:',
        '  offlineToken: dummy-offline',
        '  hosts:',
        '    - name: worker-1',
        '      validations: [{ id: ntp-synced }, { id: ntp-synced, until: 1m }]',
        '    - name: worker-1',
        '',
      ].join('\n'),
    );
    const byPath = Object.fromEntries(diagnostics.map((d) => [d.path, `${d.line}:${d.col} ${d.message}`]));
    expect(byPath['machines[0].joinAt']).toBe('5:13 "worker-1" joins when the Assisted Installer finishes installing it (assistedInstaller.hosts[0]); remove joinAt');
    expect(byPath['assistedInstaller.hosts[1].name']).toBe('11:13 duplicate host "worker-1" (already assistedInstaller.hosts[0])');
    expect(byPath['assistedInstaller.hosts[0].validations[1].id']).toMatch(/^10:47 validation "ntp-synced" is listed twice/);
    expect(byPath.assistedInstaller).toMatch(/^7:3 the Assisted Installer adds hosts to OpenShift clusters/);
  });

  it('needs the offline token, and secrets that are strings keyed like environment variables', async () => {
    const { diagnostics } = await diagnosticsOf(['name: ai', 'assistedInstaller: { hosts: [] }', 'secrets:', '  offline-token: x', '  PULL_SECRET: 42', ''].join('\n'));
    const paths = diagnostics.map((d) => `${d.line}:${d.col} ${d.path}`);
    expect(paths).toContain('2:20 assistedInstaller');
    expect(paths.some((p) => /^4:3 secrets/.test(p))).toBe(true);
    expect(paths).toContain('5:16 secrets.PULL_SECRET');
  });
});
