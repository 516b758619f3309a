// Every form in which a secret can reach a log line: opsbook (or a tool) may split, escape, encode or lower-case it.

/**
 * Secrets (and lines of multi-line secrets) shorter than this are not masked: they would mask innocent words.
 * Secret inputs shorter than this are refused before anything runs (src/runbook/inputs.ts).
 */
export const MIN_SECRET_LENGTH = 6;

/**
 * The value and its encoded forms, each at least MIN_SECRET_LENGTH long: each line of a multi-line value (logs are
 * read line by line: a PEM key's body, a kubeconfig), its JSON-escaped form, its percent-encodings (URL component,
 * form `+`, URL path), its lower-case form (host names), and its base64 (standard and url-safe, at each of the three
 * alignments it can have inside a longer encoded text, such as `user:password` in basic auth).
 */
export function listSecretForms(value: string): string[] {
  if (value.length < MIN_SECRET_LENGTH) return [];
  const forms = new Set<string>([value]);
  for (const line of value.split(/\r?\n/)) forms.add(line.trim());
  forms.add(JSON.stringify(value).slice(1, -1));
  addUriForms(forms, value);
  forms.add(value.toLowerCase());
  for (const b64 of listBase64Forms(Buffer.from(value, 'utf8'))) {
    forms.add(b64);
    forms.add(b64.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

function addUriForms(forms: Set<string>, value: string): void {
  try {
    forms.add(encodeURIComponent(value));
    forms.add(encodeURI(value));
  } catch {
    // a lone surrogate cannot be percent-encoded: then no URL carries it either
  }
  forms.add(new URLSearchParams([['', value]]).toString().slice(1));
}

// Base64 groups 3 bytes into 4 characters: inside a longer text the value starts at one of 3 alignments. For each,
// keep only the characters made of the value's bits alone (GitHub Actions' masker does the same).
function listBase64Forms(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const shifted = Buffer.concat([Buffer.alloc(offset), bytes]);
    const encoded = shifted.toString('base64').replace(/=+$/, '');
    const start = [0, 2, 3][offset]!;
    out.push(encoded.slice(start, shifted.length % 3 === 0 ? encoded.length : encoded.length - 1));
  }
  // The whole value encoded on its own, padding included (a Secret's data, an Authorization header of it alone).
  out.push(bytes.toString('base64'));
  return out;
}
