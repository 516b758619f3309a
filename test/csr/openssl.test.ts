// Cross-checks the policy's PEM/signature verdicts with openssl, so the fixtures are real PKCS#10 requests.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCsr } from '../../src/pki/csr.js';
import { parseCsr } from '../../src/pki/csr.js';
import { tamperSignature } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'opsbook-csr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function opensslVerifies(pem: string): boolean {
  const file = join(dir, `req-${Math.random().toString(16).slice(2)}.pem`);
  writeFileSync(file, pem);
  // openssl 3.0 exits 0 even when the signature fails, so read its verdict line.
  const result = spawnSync('openssl', ['req', '-in', file, '-noout', '-verify'], { encoding: 'utf8' });
  return /verify OK/.test(`${result.stdout}${result.stderr}`);
}

describe('CSR fixtures agree with openssl', () => {
  it.each(['ec-p256', 'rsa-2048'] as const)('a generated %s request verifies; a tampered one does not', async (keyType) => {
    const { pem } = await generateCsr({ keyType, commonName: 'system:node:worker-0', organizations: ['system:nodes'] });
    const tampered = tamperSignature(pem);
    expect(opensslVerifies(pem)).toBe(true);
    expect((await parseCsr(pem)).signatureValid).toBe(true);
    expect(opensslVerifies(tampered)).toBe(false);
    expect((await parseCsr(tampered)).signatureValid).toBe(false);
  });

  it('openssl reads the subject the policy reads', async () => {
    const { pem } = await generateCsr({ commonName: 'system:node:worker-0', organizations: ['system:nodes'], dnsNames: ['worker-0'] });
    const file = join(dir, 'subject.pem');
    writeFileSync(file, pem);
    const text = execFileSync('openssl', ['req', '-in', file, '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toMatch(/O\s*=\s*system:nodes, CN\s*=\s*system:node:worker-0/);
    expect(text).toMatch(/DNS:worker-0/);
  });
});
