// PEM framing: kubeadm files hold one block (.crt/.key), kubelet's *-current.pem hold a certificate and its key.

export interface PemBlock {
  /** e.g. `CERTIFICATE`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`, `PRIVATE KEY`. */
  label: string;
  der: Buffer;
  /** The block's text, including its BEGIN/END lines. */
  text: string;
}

/** Every PEM block in `text`, in order. */
export function parsePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (const match of text.matchAll(re)) {
    blocks.push({ label: match[1]!, der: Buffer.from(match[2]!.replace(/\s+/g, ''), 'base64'), text: match[0] });
  }
  return blocks;
}

/** Encodes DER as a PEM block with 64-column lines. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
