// Process containment for a rehearsal: the variables every spawned process gets, and the CA bundle they point at.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRehearsalNetwork, startProcessContainment, type ProcessContainment } from '../../src/net/index.js';

const SIM_CA = '-----BEGIN CERTIFICATE-----\nc2ltdWxhdGlvbg==\n-----END CERTIFICATE-----\n';
const SYSTEM = '-----BEGIN CERTIFICATE-----\nc3lzdGVt\n-----END CERTIFICATE-----\n';

let dir: string;
let contained: ProcessContainment | undefined;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'opsbook-contain-'));
});
afterEach(async () => {
  await contained?.close();
  contained = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('startProcessContainment', () => {
  it('points both spellings of the proxy variables at its loopback proxy, keeps loopback direct, and trusts simulation + system CAs', async () => {
    await writeFile(path.join(dir, 'system.pem'), SYSTEM);
    contained = await startProcessContainment({
      policy: createRehearsalNetwork({}),
      simulationCa: SIM_CA,
      dir,
      systemCaFiles: [path.join(dir, 'missing.pem'), path.join(dir, 'system.pem')],
    });
    const bundle = path.join(dir, 'rehearsal-ca-bundle.pem');
    expect(contained.proxyUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(contained.env).toEqual({
      HTTPS_PROXY: contained.proxyUrl, https_proxy: contained.proxyUrl,
      HTTP_PROXY: contained.proxyUrl, http_proxy: contained.proxyUrl,
      ALL_PROXY: contained.proxyUrl, all_proxy: contained.proxyUrl,
      NO_PROXY: 'localhost,127.0.0.1,::1,127.0.0.0/8', no_proxy: 'localhost,127.0.0.1,::1,127.0.0.0/8',
      NODE_USE_ENV_PROXY: '1',
      SSL_CERT_FILE: bundle, CURL_CA_BUNDLE: bundle, REQUESTS_CA_BUNDLE: bundle, NODE_EXTRA_CA_CERTS: bundle,
    });
    expect(await readFile(bundle, 'utf8')).toBe(`${SIM_CA}${SYSTEM}`);
  });

  it("falls back to Node's own root CAs when no system bundle is readable", async () => {
    contained = await startProcessContainment({ policy: createRehearsalNetwork({}), simulationCa: SIM_CA, dir, systemCaFiles: [path.join(dir, 'none.pem')] });
    const text = await readFile(contained.caBundleFile!, 'utf8');
    expect(text.startsWith(SIM_CA)).toBe(true);
    expect(text).toContain(rootCertificates[0]!);
  });

  it('sets no CA variables and writes no bundle without a simulation CA', async () => {
    contained = await startProcessContainment({ policy: createRehearsalNetwork({}), dir });
    expect(contained.caBundleFile).toBeUndefined();
    expect(Object.keys(contained.env).filter((k) => /CERT|CA_/.test(k))).toEqual([]);
  });
});
