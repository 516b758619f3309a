// The forms a secret could take in a stored object or a line of output, for the held-out-secret tests to search for.

/** The base64 characters that depend only on `secret`'s bytes when it starts `offset` bytes into a group of three. */
export function base64At(secret: string, offset: number): string {
  const bytes = Buffer.byteLength(secret);
  const text = Buffer.concat([Buffer.alloc(offset), Buffer.from(secret)]).toString('base64');
  return text.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes) * 8) / 6));
}

/** Every form a secret could take: raw, JSON-escaped, URL-encoded, and base64 at each alignment. */
export const formsOf = (secret: string) => [
  { form: 'raw', text: secret },
  { form: 'JSON-escaped', text: JSON.stringify(secret).slice(1, -1) },
  { form: 'URL-encoded', text: encodeURIComponent(secret) },
  ...[0, 1, 2].map((offset) => ({ form: `base64@${offset}`, text: base64At(secret, offset) })),
];
