// The simulated kubeadm control plane: kubeadm and crictl as the real programs behave on a node's filesystem, the
// per-node API server judging certificates like kube-apiserver (through real kubectl), and rehearsal's refusal of
// nodes it does not simulate.

import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { StepError } from '../../src/errors.js';
import { normalizeNode, type NodeTransport } from '../../src/node/index.js';
import { execProcess } from '../../src/proc/exec.js';
import { startSimulation, rehearsalNodeOpener, type Simulation, type ScenarioInput } from '../../src/sim/index.js';
import { hostPath } from '../../src/sim/controlplane/index.js';
import { parseCheckExpiration } from '../../src/steps/certs/kubeadm.js';
import { VirtualClock } from '../../src/time/clock.js';

const DAY = 86_400_000;
let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

function scenario(controlPlane: Partial<NonNullable<ScenarioInput['controlPlane']>> = {}): ScenarioInput {
  return {
    name: 'cp-test',
    flavour: 'kubernetes',
    controlPlane: { clusterName: 'c1', nodes: [{ name: 'cp-1', address: '10.200.0.3' }], restartDelay: '2s', ...controlPlane },
  };
}

/** A simulation on a virtual clock that moves only when told: the kubelet's restart happens when the test says. */
async function start(controlPlane: Partial<NonNullable<ScenarioInput['controlPlane']>> = {}) {
  const clock = new VirtualClock({ start: Date.now(), autoAdvance: false });
  sim = await startSimulation({ scenario: scenario(controlPlane), clock });
  const node = sim.controlPlane!.openNode(normalizeNode({ name: 'cp-1' }), execProcess)!;
  return { sim, clock, node, rootfs: sim.controlPlane!.rootfs('cp-1') };
}

/** Lets the simulation's file I/O after a clock step finish (no timing: it ends as soon as `done` holds). */
async function until(done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  expect.fail('the simulation never got there');
}

const cert = (rootfs: string, path: string) => new X509Certificate(readFileSync(hostPath(rootfs, path)));
const embedded = (rootfs: string, path: string) =>
  new X509Certificate(Buffer.from(/client-certificate-data: (\S+)/.exec(readFileSync(hostPath(rootfs, path), 'utf8'))![1]!, 'base64'));
const kubectl = (node: NodeTransport) => node.run(['kubectl', 'get', 'nodes', '--kubeconfig', '/etc/kubernetes/admin.conf', '--request-timeout', '10s']);

const running = async (node: NodeTransport, name: string) => (await node.runChecked(['crictl', 'ps', '--name', `^${name}$`])).stdout;

/** `crictl stop` of kube-apiserver, then the kubelet's 2 s until the new container runs. */
async function restartApiserver(clock: VirtualClock, node: NodeTransport): Promise<void> {
  const id = (await node.runChecked(['crictl', 'ps', '--name', '^kube-apiserver$', '-q'])).stdout.trim();
  await node.runChecked(['crictl', 'stop', id]);
  await clock.advance(2000);
  await until(async () => /Running/.test(await running(node, 'kube-apiserver')));
}

describe('simulated control-plane nodes', { timeout: 60_000 }, () => {
  it('kubeadm certs check-expiration prints both tables in kubeadm\'s columns; expired ones have <invalid> residual time', async () => {
    const { node } = await start({ certificates: { expiresIn: '-3d', overrides: { 'front-proxy-client': '20d' } } });
    const r = await node.runChecked(['kubeadm', 'certs', 'check-expiration']);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('[check-expiration] Reading configuration from the cluster...');
    expect(lines).toContain('CERTIFICATE                EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED');
    expect(lines).toContain('CERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED');
    // The cluster cannot be read with expired certificates: kubeadm falls back to defaults and says so on stderr.
    expect(r.stderr).toContain('Error reading configuration from the Cluster. Falling back to default configuration');
    const parsed = parseCheckExpiration(r.stdout);
    expect(parsed.certificates.map((c) => c.name)).toEqual([
      'admin.conf', 'apiserver', 'apiserver-etcd-client', 'apiserver-kubelet-client', 'controller-manager.conf', 'etcd-healthcheck-client',
      'etcd-peer', 'etcd-server', 'front-proxy-client', 'scheduler.conf', 'super-admin.conf',
    ]);
    expect(parsed.certificates.find((c) => c.name === 'apiserver')).toMatchObject({ residual: '<invalid>', certificateAuthority: 'ca', externallyManaged: false });
    expect(parsed.certificates.find((c) => c.name === 'front-proxy-client')!.residual).toMatch(/^(19|20)d$/);
    expect(parsed.authorities.map((c) => [c.name, c.externallyManaged])).toEqual([['ca', false], ['etcd-ca', false], ['front-proxy-ca', false]]);
    expect(lines.find((l) => l.startsWith('apiserver ')) ?? '').toMatch(/^apiserver {18}[A-Z][a-z]{2} \d\d, \d{4} \d\d:\d\d UTC {3}<invalid> {7}ca {22}no$/);
  });

  it('kubeadm certs renew all re-issues every leaf with the same CA, subject, SANs and usages, a new key, a year from now; kubeconfigs get the new embedded certificate', async () => {
    const { node, rootfs, clock } = await start();
    const oldApiserver = cert(rootfs, '/etc/kubernetes/pki/apiserver.crt');
    const oldKey = readFileSync(hostPath(rootfs, '/etc/kubernetes/pki/apiserver.key'), 'utf8');
    const oldAdmin = embedded(rootfs, '/etc/kubernetes/admin.conf');
    const adminText = readFileSync(hostPath(rootfs, '/etc/kubernetes/admin.conf'), 'utf8');
    const r = await node.runChecked(['kubeadm', 'certs', 'renew', 'all']);
    expect(r.stdout).toContain('certificate for serving the Kubernetes API renewed\n');
    expect(r.stdout).toContain('certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself renewed\n');
    expect(r.stdout).toContain('Done renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd');
    const ca = cert(rootfs, '/etc/kubernetes/pki/ca.crt');
    const renewed = cert(rootfs, '/etc/kubernetes/pki/apiserver.crt');
    expect(renewed.serialNumber).not.toBe(oldApiserver.serialNumber);
    expect(renewed.subject).toBe(oldApiserver.subject);
    expect(renewed.subjectAltName).toBe(oldApiserver.subjectAltName);
    expect(renewed.keyUsage).toEqual(oldApiserver.keyUsage);
    expect(renewed.verify(ca.publicKey)).toBe(true);
    expect(readFileSync(hostPath(rootfs, '/etc/kubernetes/pki/apiserver.key'), 'utf8')).not.toBe(oldKey);
    expect(Math.abs(Date.parse(renewed.validTo) - (clock.now() + 365 * DAY))).toBeLessThan(2000);
    const admin = embedded(rootfs, '/etc/kubernetes/admin.conf');
    expect(admin.serialNumber).not.toBe(oldAdmin.serialNumber);
    expect(admin.subject).toBe('O=kubeadm:cluster-admins\nCN=kubernetes-admin');
    // The server and CA of the kubeconfig stay; only the user's certificate and key change.
    const field = (text: string, name: string) => new RegExp(`${name}: (\\S+)`).exec(text)![1];
    const newText = readFileSync(hostPath(rootfs, '/etc/kubernetes/admin.conf'), 'utf8');
    expect(field(newText, 'server')).toBe(field(adminText, 'server'));
    expect(field(newText, 'certificate-authority-data')).toBe(field(adminText, 'certificate-authority-data'));
    expect(field(newText, 'client-key-data')).not.toBe(field(adminText, 'client-key-data'));
  });

  it('kubeadm certs renew NAME renews only that one; without the CA key (external CA) it fails and check-expiration says externally managed', async () => {
    const { node, rootfs } = await start();
    const before = cert(rootfs, '/etc/kubernetes/pki/etcd/server.crt').serialNumber;
    await node.runChecked(['kubeadm', 'certs', 'renew', 'apiserver']);
    expect(cert(rootfs, '/etc/kubernetes/pki/etcd/server.crt').serialNumber).toBe(before);
    rmSync(hostPath(rootfs, '/etc/kubernetes/pki/etcd/ca.key'));
    const r = await node.run(['kubeadm', 'certs', 'renew', 'etcd-server']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('external CA');
    const table = parseCheckExpiration((await node.runChecked(['kubeadm', 'certs', 'check-expiration'])).stdout);
    expect(table.certificates.find((c) => c.name === 'etcd-server')!.externallyManaged).toBe(true);
    expect(table.authorities.find((c) => c.name === 'etcd-ca')!.externallyManaged).toBe(true);
    expect((await node.run(['kubeadm', 'certs', 'renew', 'no-such-cert'])).exitCode).toBe(1);
  });

  it('crictl ps lists the static pods in crictl\'s columns; stop exits a container and the kubelet recreates it with a new id and attempt', async () => {
    const { node, clock } = await start({ stopDeadlineExceeded: ['kube-scheduler'] });
    const ps = await node.runChecked(['crictl', 'ps']);
    // tabwriter with minwidth 20, padding 3: the CREATED and NAME columns widen for their longest cell.
    expect(ps.stdout.split('\n')[0]).toMatch(/^CONTAINER {11}IMAGE {15}CREATED {18}STATE {15}NAME {22}ATTEMPT {13}POD ID {14}POD$/);
    expect(ps.stdout).toMatch(/\nb?[0-9a-f]{13} +[0-9a-f]{13} +Less than a second ago +Running +kube-apiserver +0 +[0-9a-f]{13} +kube-apiserver-cp-1\n/);
    // crictl --name is a regular expression: anchored, etcd is not etcd-defrag.
    const etcd = (await node.runChecked(['crictl', 'ps', '--name', '^etcd$', '-q'])).stdout.trim().split('\n');
    expect(etcd).toHaveLength(1);
    const id = (await node.runChecked(['crictl', 'ps', '--name', '^kube-controller-manager$', '-q'])).stdout.trim();
    expect((await node.runChecked(['crictl', 'stop', id])).stdout).toBe(`${id}\n`);
    expect((await node.run(['crictl', 'ps', '--name', '^kube-controller-manager$', '-q'])).stdout).toBe('');
    await clock.advance(2000);
    let fresh = '';
    await until(async () => / Running +kube-controller-manager +1 /.test((fresh = await running(node, 'kube-controller-manager'))));
    expect(fresh).not.toContain(id.slice(0, 13));
    const scheduler = (await node.runChecked(['crictl', 'ps', '--name', '^kube-scheduler$', '-q'])).stdout.trim();
    const first = await node.run(['crictl', 'stop', scheduler]);
    expect(first.exitCode).toBe(1);
    expect(first.stderr).toContain('code = DeadlineExceeded desc = context deadline exceeded');
    expect((await node.run(['crictl', 'stop', scheduler])).exitCode).toBe(0);
    const missing = await node.run(['crictl', 'stop', 'ffffffffffff']);
    expect(missing.stderr).toContain('code = NotFound');
  });

  it('the node\'s API server serves its apiserver.crt: real kubectl fails with the x509 expiry error, then Unauthorized for an expired client certificate, then works after renewal and restart', async () => {
    const { node, clock, sim } = await start();
    const expired = await kubectl(node);
    expect(expired.exitCode).toBe(1);
    expect(expired.stderr).toContain('x509: certificate has expired or is not yet valid');
    // A renewed serving certificate is not served before the kube-apiserver container restarts.
    await node.runChecked(['kubeadm', 'certs', 'renew', 'apiserver']);
    expect((await kubectl(node)).stderr).toContain('x509: certificate has expired or is not yet valid');
    await restartApiserver(clock, node);
    // Serving certificate fine now; admin.conf's client certificate is still expired, which the authenticator refuses.
    const unauthorized = await kubectl(node);
    expect(unauthorized.exitCode).toBe(1);
    // kubectl's words for the 401 kube-apiserver answers.
    expect(unauthorized.stderr).toContain('error: You must be logged in to the server');
    await node.runChecked(['kubeadm', 'certs', 'renew', 'admin.conf']);
    const ok = await kubectl(node);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/^NAME +STATUS +ROLES +AGE +VERSION\ncp-1 +Ready +control-plane /);
    // The admin cluster's CLUSTER-kubeconfig follows the first node's admin.conf when its API server comes back.
    const secretValue = () => Buffer.from((sim.access.get('secrets', 'cluster-c1', 'c1-kubeconfig') as unknown as { data: { value: string } }).data.value, 'base64').toString();
    const adminConf = () => readFileSync(hostPath(sim.controlPlane!.rootfs('cp-1'), '/etc/kubernetes/admin.conf'), 'utf8');
    expect(secretValue()).not.toBe(adminConf());
    await restartApiserver(clock, node);
    expect(secretValue()).toBe(adminConf());
    expect(sim.summary().controlPlane!.kubeconfigSecret.updates).toBe(1);
    // /readyz answers on the restarted server, trusting the node's CA.
    const readyz = await node.run(['kubectl', 'get', '--raw', '/readyz', '--kubeconfig', '/etc/kubernetes/admin.conf']);
    expect(readyz.stderr).toBe('');
    expect(readyz.stdout).toBe('ok');
  });

  it('the kubelet rotates its client certificate once the API server is back, if it is due and still valid; an expired one it cannot', async () => {
    const { node, clock, rootfs } = await start({ certificates: { expiresIn: '-3d', kubeletExpiresIn: '20d' } });
    const client = () => cert(rootfs, '/var/lib/kubelet/pki/kubelet-client-current.pem');
    const server = () => cert(rootfs, '/var/lib/kubelet/pki/kubelet-server-current.pem');
    const [clientBefore, serverBefore] = [client(), server()];
    await node.runChecked(['kubeadm', 'certs', 'renew', 'all']);
    await restartApiserver(clock, node);
    expect(client().serialNumber).not.toBe(clientBefore.serialNumber);
    expect(client().subject).toBe('O=system:nodes\nCN=system:node:cp-1');
    expect(Date.parse(client().validTo)).toBeGreaterThan(clock.now() + 360 * DAY);
    expect(server().serialNumber).toBe(serverBefore.serialNumber);
    const files = await node.list('/var/lib/kubelet/pki');
    expect(files.filter((f) => /^kubelet-client-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.pem$/.test(f))).toHaveLength(2);

    await sim!.stop();
    const expired = await start({ certificates: { expiresIn: '-3d', kubeletExpiresIn: '-1d' } });
    const stale = cert(expired.rootfs, '/var/lib/kubelet/pki/kubelet-client-current.pem').serialNumber;
    await expired.node.runChecked(['kubeadm', 'certs', 'renew', 'all']);
    await restartApiserver(expired.clock, expired.node);
    expect(cert(expired.rootfs, '/var/lib/kubelet/pki/kubelet-client-current.pem').serialNumber).toBe(stale);
  });

  it('the renewed cluster signs approved CSRs with its own CA (the nodes\' pki/ca.crt)', async () => {
    const { node, clock, rootfs } = await start();
    await node.runChecked(['kubeadm', 'certs', 'renew', 'all']);
    await restartApiserver(clock, node);
    const { generateCsr, encodeCsrForApi } = await import('../../src/pki/csr.js');
    const csr = await generateCsr({ commonName: 'system:node:cp-9', organizations: ['system:nodes'], keyType: 'ec-p256' });
    await node.writeFile('/root/csr.json', JSON.stringify({
      apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: 'cp-9-client' },
      spec: { request: encodeCsrForApi(csr.pem), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'] },
    }));
    const kc = ['--kubeconfig', '/etc/kubernetes/admin.conf'];
    await node.runChecked(['kubectl', 'create', '-f', '/root/csr.json', ...kc]);
    await node.runChecked(['kubectl', 'certificate', 'approve', 'cp-9-client', ...kc]);
    let issued = '';
    await until(async () => {
      await clock.advance(1000);
      issued = (await node.runChecked(['kubectl', 'get', 'csr', 'cp-9-client', '-o', 'jsonpath={.status.certificate}', ...kc])).stdout;
      return issued !== '';
    });
    const signed = new X509Certificate(Buffer.from(issued, 'base64'));
    expect(signed.verify(cert(rootfs, '/etc/kubernetes/pki/ca.crt').publicKey)).toBe(true);
  });

  it('maps node paths into the rootfs for file access and real file tools, never outside it', async () => {
    const { node, rootfs } = await start();
    expect((await node.readFile('/etc/kubernetes/pki/ca.crt')).toString()).toContain('BEGIN CERTIFICATE');
    expect(await node.exists('/etc/kubernetes/../../../../etc/kubernetes/pki/ca.key')).toBe(true);
    await node.writeFile('/tmp/note', 'hello', { mode: 0o600 });
    expect(readFileSync(hostPath(rootfs, '/tmp/note'), 'utf8')).toBe('hello');
    const cat = await node.run(['cat', '/tmp/note']);
    expect(cat.stdout).toBe('hello');
    expect((await node.run(['curl', 'https://example.com'])).exitCode).toBe(127);
    // A script gets the node's tools only: nothing on its PATH reaches another host.
    const script = await node.run(['sh', '-c', 'tar --version >/dev/null; echo "tar $?"; for p in ssh curl wget nc; do command -v $p; done; echo end']);
    expect(script.stdout).toBe('tar 0\nend\n');
    expect(await node.list('/var/lib/kubelet/pki')).toContain('kubelet-client-current.pem');
  });

  it('during a rehearsal only simulated nodes open: ssh to another host and this workstation are refused as not simulated', async () => {
    const { sim } = await start();
    const open = rehearsalNodeOpener(sim.controlPlane);
    expect(open(normalizeNode({ name: 'cp-1', transport: 'ssh', host: '10.200.0.3' }), execProcess).spec.name).toBe('cp-1');
    const refused = (spec: Record<string, unknown>) => {
      try {
        open(normalizeNode(spec), execProcess);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const ssh = refused({ name: 'db-7', transport: 'ssh', host: '192.0.2.10', user: 'root' });
    expect(ssh).toBeInstanceOf(StepError);
    expect((ssh as StepError).message).toBe('node db-7 (ssh root@192.0.2.10:22) is not simulated: a rehearsal never reaches a real machine; the scenario simulates cp-1');
    expect((refused({}) as Error).message).toContain('node localhost (this workstation (transport local)) is not simulated');
    expect((rehearsalNodeOpener(undefined) as (s: ReturnType<typeof normalizeNode>, e: typeof execProcess) => unknown).bind(null, normalizeNode({}), execProcess)).toThrow(/simulates no nodes/);
  });
});

describe('control-plane scenario validation', () => {
  const load = async (text: string) => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'opsbook-cp-scenario-')), 'scenario.yaml');
    writeFileSync(file, text);
    const { loadScenario } = await import('../../src/sim/index.js');
    try {
      await loadScenario(file);
    } catch (error) {
      return { file, error: error as Error & { diagnostics?: { line: number; col: number; path: string; message: string }[] } };
    }
    return { file, error: undefined };
  };

  it('reports each problem at file:line:col with its field path', async () => {
    const { error } = await load([
      'name: bad',
      'flavour: kubernetes',
      'controlPlane:',
      '  clusterName: c1',
      '  nodes:',
      '    - name: cp-1',
      '    - name: cp-1',
      '  certificates:',
      '    expiresIn: yesterday',
      '',
    ].join('\n'));
    expect(error?.diagnostics).toEqual([expect.objectContaining({ line: 9, path: 'controlPlane.certificates.expiresIn' })]);
    const dup = await load('name: bad\nflavour: kubernetes\ncontrolPlane:\n  clusterName: c1\n  nodes:\n    - name: cp-1\n    - name: cp-1\n');
    expect(dup.error?.diagnostics).toEqual([expect.objectContaining({ line: 7, col: 13, path: 'controlPlane.nodes[1].name', message: 'duplicate node "cp-1" (already controlPlane.nodes[0])' })]);
    const os = await load('name: bad\ncontrolPlane:\n  clusterName: c1\n  nodes: [{ name: cp-1 }]\n  certificates: { overrides: { apiserverr: 1d } }\n');
    expect(os.error?.diagnostics?.map((d) => d.path)).toContain('controlPlane.certificates.overrides');
  });

  it('accepts the bundled scenario, whose suggested inputs name the simulated nodes', async () => {
    const { loadScenario } = await import('../../src/sim/index.js');
    const scenario = await loadScenario('runbooks/scenarios/expired-control-plane.yaml');
    expect(scenario.controlPlane?.nodes.map((n) => n.name)).toEqual(['cp-1', 'cp-2']);
    expect((scenario.inputs.nodes as { name: string }[]).map((n) => n.name)).toEqual(['cp-1', 'cp-2']);
    expect(scenario.controlPlane?.leafExpiresIn['*']).toBe(-3 * DAY);
  });
});

describe('layering', () => {
  it('src/node never imports src/sim: the simulation plugs in through the step context, not the other way round', async () => {
    const { readdirSync } = await import('node:fs');
    const files = readdirSync('src/node').filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(readFileSync(`src/node/${f}`, 'utf8'), f).not.toMatch(/from ['"][./]*\/sim\//);
  });
});
