import { describe, expect, it } from 'vitest';
import { readEmbeddedCredentials, replaceEmbeddedCredentials } from '../../../src/steps/certs/kubeconfig-certs.js';
import { parseYamlDocuments } from '../../../src/yaml/parse.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const CERT = '-----BEGIN CERTIFICATE-----\nOLD\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN RSA PRIVATE KEY-----\nOLDKEY\n-----END RSA PRIVATE KEY-----\n';
const CA = '-----BEGIN CERTIFICATE-----\nOLDCA\n-----END CERTIFICATE-----\n';

const config = `# written by kubeadm
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${b64(CA)}
    server: https://10.0.0.1:6443   # the VIP
  name: kubernetes
contexts:
- context: {cluster: kubernetes, user: other}
  name: other@kubernetes
- context: {cluster: kubernetes, user: kubernetes-admin}
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
kind: Config
users:
- name: other
  user: {token: abc}
- name: kubernetes-admin
  user:
    client-certificate-data: ${b64(CERT)}
    client-key-data: ${b64(KEY)}
`;

describe('kubeconfig embedded credentials', () => {
  it('reads the current context user\'s certificate and key', () => {
    const creds = readEmbeddedCredentials(config, 'admin.conf');
    expect(creds).toEqual({ user: 'kubernetes-admin', certificatePem: CERT, keyPem: KEY });
  });

  it('swaps certificate, key and CA data in place, keeping comments and layout', () => {
    const out = replaceEmbeddedCredentials(config, 'admin.conf', { certificatePem: 'NEWCERT', keyPem: 'NEWKEY', caPem: 'NEWCA' });
    expect(out).toBe(config.replace(b64(CERT), b64('NEWCERT')).replace(b64(KEY), b64('NEWKEY')).replace(b64(CA), b64('NEWCA')));
    expect(out).toContain('# the VIP');
  });

  it('falls back to re-serialising when a value is not written on one line', () => {
    const folded = config.replace(`client-key-data: ${b64(KEY)}`, `client-key-data: >-\n      ${b64(KEY).slice(0, 20)}\n      ${b64(KEY).slice(20)}`);
    const out = replaceEmbeddedCredentials(folded, 'admin.conf', { certificatePem: 'NEWCERT', keyPem: 'NEWKEY', caPem: 'NEWCA' });
    const doc = parseYamlDocuments(out)[0] as any;
    expect(doc.users[1].user['client-key-data']).toBe(b64('NEWKEY'));
    expect(doc.users[1].user['client-certificate-data']).toBe(b64('NEWCERT'));
    expect(doc.clusters[0].cluster['certificate-authority-data']).toBe(b64('NEWCA'));
    expect(doc.users[0].user.token).toBe('abc');
  });

  it('says why when the certificate lives in a file or the user is ambiguous', () => {
    const fileRef = 'users:\n- name: u\n  user:\n    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n';
    expect(() => readEmbeddedCredentials(fileRef, 'kubelet.conf')).toThrow('kubelet.conf: user "u" has no client-certificate-data (certificate in file /var/lib/kubelet/pki/kubelet-client-current.pem)');
    expect(() => readEmbeddedCredentials('users: [{name: a}, {name: b}]\n', 'x.conf')).toThrow(/cannot tell which user/);
  });
});
