// Keeps the processes a rehearsal's steps start on the same policy: proxy variables to a loopback proxy, and a CA bundle.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import type { NetworkPolicy } from './policy.js';
import { startForwardProxy } from './proxy.js';

/** Where distributions keep the system's trusted CAs (Debian/Ubuntu/Alpine, RHEL/Fedora, openSUSE, macOS/BSD). */
export const SYSTEM_CA_FILES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'];

/** Destinations clients reach without the proxy (curl, Go, Python and Node all read NO_PROXY; some understand CIDR). */
export const NO_PROXY = 'localhost,127.0.0.1,::1,127.0.0.0/8';

/** What the proxy cannot contain, said once per rehearsal when a step first starts a local process. */
const WARNING =
  'processes started by steps reach the network only through the rehearsal proxy (HTTPS_PROXY and friends); a program that ignores proxy variables is not contained';

export interface ProcessContainmentOptions {
  policy: NetworkPolicy;
  /** The simulation's CA (PEM): processes must trust it to talk TLS to the hosts it impersonates. */
  simulationCa?: string;
  /** A directory the caller removes afterwards; the CA bundle is written there. */
  dir: string;
  /** System CA bundles to append, first readable wins. @default SYSTEM_CA_FILES, else Node's own root CAs */
  systemCaFiles?: readonly string[];
}

export interface ProcessContainment {
  /** Variables forced onto every process a step starts (they override the user's and the step's own). */
  env: Record<string, string>;
  proxyUrl: string;
  /** The CA bundle file, when there is a simulation CA to trust. */
  caBundleFile?: string;
  /** The limitation to tell the user once a step starts a process. */
  warning: string;
  close(): Promise<void>;
}

/** Starts the proxy and writes the CA bundle; `env` points clients (curl, Go, Python, Node) at both. */
export async function startProcessContainment(options: ProcessContainmentOptions): Promise<ProcessContainment> {
  const caBundleFile = options.simulationCa === undefined ? undefined : join(options.dir, 'rehearsal-ca-bundle.pem');
  if (caBundleFile) {
    const system = await readSystemCaBundle(options.systemCaFiles ?? SYSTEM_CA_FILES);
    await writeFile(caBundleFile, `${options.simulationCa!.trimEnd()}\n${system.trimEnd()}\n`, { mode: 0o644 });
  }
  const proxy = await startForwardProxy({ policy: options.policy });
  return { env: proxyEnvironment(proxy.url, caBundleFile), proxyUrl: proxy.url, ...(caBundleFile ? { caBundleFile } : {}), warning: WARNING, close: proxy.close };
}

/** Both spellings of each variable: curl reads only lowercase http_proxy, others prefer uppercase. */
export function proxyEnvironment(proxyUrl: string, caBundleFile?: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY']) env[name] = env[name.toLowerCase()] = proxyUrl;
  env.NO_PROXY = env.no_proxy = NO_PROXY;
  // Node ≥ 24 honours the proxy variables only when asked to.
  env.NODE_USE_ENV_PROXY = '1';
  if (caBundleFile) {
    // OpenSSL and Go (SSL_CERT_FILE), curl, Python requests, Node (extra CAs on top of its own).
    for (const name of ['SSL_CERT_FILE', 'CURL_CA_BUNDLE', 'REQUESTS_CA_BUNDLE', 'NODE_EXTRA_CA_CERTS']) env[name] = caBundleFile;
  }
  return env;
}

/** The first readable system bundle, else Node's bundled roots: SSL_CERT_FILE replaces a client's trust store. */
async function readSystemCaBundle(files: readonly string[]): Promise<string> {
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (text.includes('-----BEGIN CERTIFICATE-----')) return text;
  }
  return rootCertificates.join('\n');
}
