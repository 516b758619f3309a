// Stand-in for kubeadm: `certs renew <name|all>` re-signs with the existing CA and key through openssl,
// `certs check-expiration` prints kubeadm's tables; both take --cert-dir=DIR and the global --rootfs=DIR.
// $FAKE_KUBEADM_FAIL_AFTER=N renews N certificates, then fails (a half-done renewal, for rollback tests).
const { execFileSync } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { randomBytes } = require('node:crypto');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { record } = require('./record.cjs');

const args = process.argv.slice(2);
record('kubeadm', args);
// Like the real kubeadm: certificates in --cert-dir (default /etc/kubernetes/pki), the *.conf kubeconfigs always in
// /etc/kubernetes; both inside --rootfs (kubeadm chroots there) when given.
const flag = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const rootfs = flag('rootfs') ?? '/';
const pki = join(rootfs, flag('cert-dir') ?? '/etc/kubernetes/pki');
const k8s = join(rootfs, '/etc/kubernetes');
const positional = args.filter((a) => !a.startsWith('--'));

const LEAVES = [
  ['admin.conf', 'conf', 'ca', 'certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself'],
  ['apiserver', 'apiserver', 'ca', 'certificate for serving the Kubernetes API'],
  ['apiserver-etcd-client', 'apiserver-etcd-client', 'etcd-ca', 'certificate the apiserver uses to access etcd'],
  ['apiserver-kubelet-client', 'apiserver-kubelet-client', 'ca', 'certificate for the API server to connect to kubelet'],
  ['controller-manager.conf', 'conf', 'ca', 'certificate embedded in the kubeconfig file for the controller manager to use'],
  ['etcd-healthcheck-client', 'etcd/healthcheck-client', 'etcd-ca', 'certificate for liveness probes to healthcheck etcd'],
  ['etcd-peer', 'etcd/peer', 'etcd-ca', 'certificate for etcd nodes to communicate with each other'],
  ['etcd-server', 'etcd/server', 'etcd-ca', 'certificate for serving etcd'],
  ['front-proxy-client', 'front-proxy-client', 'front-proxy-ca', 'certificate for the front proxy client'],
  ['scheduler.conf', 'conf', 'ca', 'certificate embedded in the kubeconfig file for the scheduler manager to use'],
  ['super-admin.conf', 'conf', 'ca', 'certificate embedded in the kubeconfig file for the super-admin'],
];
const CA_BASE = { ca: 'ca', 'etcd-ca': 'etcd/ca', 'front-proxy-ca': 'front-proxy-ca' };
const openssl = (...a) => execFileSync('openssl', a, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

function fail(message) {
  process.stderr.write(`error execution phase: ${message}\nTo see the stack trace of this error execute with --v=5 or higher\n`);
  process.exit(1);
}

function resign(crtPem, keyPem, ca) {
  const dir = mkdtempSync(join(tmpdir(), 'fake-kubeadm-'));
  try {
    writeFileSync(join(dir, 'c.crt'), crtPem);
    writeFileSync(join(dir, 'c.key'), keyPem);
    openssl('x509', '-x509toreq', '-in', join(dir, 'c.crt'), '-signkey', join(dir, 'c.key'), '-copy_extensions', 'copyall', '-out', join(dir, 'c.csr'));
    openssl('x509', '-req', '-in', join(dir, 'c.csr'), '-CA', join(pki, `${CA_BASE[ca]}.crt`), '-CAkey', join(pki, `${CA_BASE[ca]}.key`),
      '-copy_extensions', 'copyall', '-days', '365', '-set_serial', `0x${randomBytes(16).toString('hex').replace(/^./, '1')}`, '-out', join(dir, 'new.crt'));
    return readFileSync(join(dir, 'new.crt'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const embedded = (text, field) => {
  const m = text.match(new RegExp(`${field}: (\\S+)`));
  return m ? Buffer.from(m[1], 'base64').toString() : undefined;
};

function renew(entry) {
  const [name, base, ca] = entry;
  if (!existsSync(join(pki, `${CA_BASE[ca]}.key`))) fail(`[renew] ${name}: the CA key for ${ca} is missing (external CA)`);
  if (base === 'conf') {
    const path = join(k8s, name);
    const text = readFileSync(path, 'utf8');
    const crt = embedded(text, 'client-certificate-data');
    const renewed = resign(crt, embedded(text, 'client-key-data'), ca);
    writeFileSync(path, text.replace(Buffer.from(crt).toString('base64'), Buffer.from(renewed).toString('base64')));
  } else {
    const crt = join(pki, `${base}.crt`);
    writeFileSync(crt, resign(readFileSync(crt, 'utf8'), readFileSync(join(pki, `${base}.key`), 'utf8'), ca));
  }
}

function enddate(pem) {
  const dir = mkdtempSync(join(tmpdir(), 'fake-kubeadm-'));
  try {
    writeFileSync(join(dir, 'c.crt'), pem);
    return new Date(openssl('x509', '-in', join(dir, 'c.crt'), '-noout', '-enddate').trim().replace('notAfter=', ''));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n) => String(n).padStart(2, '0');
const fmt = (d) => `${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())}, ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
function residual(ms) {
  const s = Math.trunc(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 60) return `${s}s`;
  const m = Math.trunc(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.trunc(m / 60);
  if (h < 24) return `${h}h`;
  if (h < 24 * 365) return `${Math.trunc(h / 24)}d`;
  return `${Math.trunc(h / 24 / 365)}y`;
}
function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + 3))).join('').trimEnd()).join('\n') + '\n';
}

if (positional[0] !== 'certs') fail(`kubeadm stand-in: unsupported command ${args.join(' ')}`);
if (positional[1] === 'renew') {
  const which = positional[2];
  const entries = which === 'all' ? LEAVES : LEAVES.filter((l) => l[0] === which);
  if (entries.length === 0) fail(`unknown certificate ${which}`);
  process.stdout.write('[renew] Reading configuration from the cluster...\n[renew] FYI: You can look at this config file with \'kubectl -n kube-system get cm kubeadm-config -o yaml\'\n\n');
  const failAfter = process.env.FAKE_KUBEADM_FAIL_AFTER === undefined ? Infinity : Number(process.env.FAKE_KUBEADM_FAIL_AFTER);
  entries.forEach((entry, i) => {
    if (i >= failAfter) fail(`[renew] failed to renew ${entry[0]}: open ${join(pki, 'x')}: input/output error`);
    renew(entry);
    process.stdout.write(`${entry[3]} renewed\n`);
  });
  if (which === 'all') process.stdout.write('\nDone renewing certificates. You must restart the kube-apiserver, kube-controller-manager, kube-scheduler and etcd, so that they can use the new certificates.\n');
} else if (positional[1] === 'check-expiration') {
  const now = Date.now();
  const rows = [['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'EXTERNALLY MANAGED']];
  for (const [name, base, ca] of LEAVES) {
    const pem = base === 'conf' ? (existsSync(join(k8s, name)) ? embedded(readFileSync(join(k8s, name), 'utf8'), 'client-certificate-data') : undefined)
      : existsSync(join(pki, `${base}.crt`)) ? readFileSync(join(pki, `${base}.crt`), 'utf8') : undefined;
    const external = existsSync(join(pki, `${CA_BASE[ca]}.key`)) ? 'no' : 'yes';
    if (!pem) { rows.push([`!MISSING! ${name}`, '', '', '', '']); continue; }
    const end = enddate(pem);
    rows.push([name, fmt(end), residual(end - now), ca, external]);
  }
  const caRows = [['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'EXTERNALLY MANAGED']];
  for (const [ca, base] of Object.entries(CA_BASE)) {
    const path = join(pki, `${base}.crt`);
    if (!existsSync(path)) { caRows.push([`!MISSING! ${ca}`, '', '', '']); continue; }
    const end = enddate(readFileSync(path, 'utf8'));
    caRows.push([ca, fmt(end), residual(end - now), existsSync(join(pki, `${base}.key`)) ? 'no' : 'yes']);
  }
  process.stdout.write('[check-expiration] Reading configuration from the cluster...\n[check-expiration] FYI: You can look at this config file with \'kubectl -n kube-system get cm kubeadm-config -o yaml\'\n\n');
  process.stdout.write(table(rows) + '\n' + table(caRows));
} else {
  fail(`kubeadm stand-in: unsupported command ${args.join(' ')}`);
}
