import { describe, expect, it } from 'vitest';
import { MIN_SECRET_LENGTH, createMasker, listSecretForms } from '../../src/secrets/index.js';

const PEM = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
  '-----END PRIVATE KEY-----',
].join('\n');

describe('secret forms', () => {
  it('masks every line of a multi-line secret, so logs read line by line show none of it', () => {
    const masker = createMasker([PEM]);
    for (const line of PEM.split('\n')) expect(masker.text(`> ${line}`)).toBe('> ***');
    expect(masker.text(`key:\n${PEM}\nend`)).toBe('key:\n***\nend');
    expect(masker.text('  }  ')).toBe('  }  '); // a short line (a brace of a JSON secret) is not a form
  });

  it('masks the JSON-escaped, percent-encoded, form-encoded, lower-case and base64 forms', () => {
    const secret = 'Pa ss/wörd+"x"';
    const masker = createMasker([secret]);
    const url = new URL('https://api.example/p/x');
    url.searchParams.append('token', secret);
    expect(masker.text(url.toString())).toBe('https://api.example/p/x?token=***');
    expect(masker.text(`q=${encodeURIComponent(secret)}`)).toBe('q=***');
    expect(masker.text(JSON.stringify({ v: `a\n${secret}` }))).toBe('{"v":"a\\n***"}');
    expect(masker.text(`host ${secret.toLowerCase()}`)).toBe('host ***');
    expect(masker.text(Buffer.from(secret).toString('base64'))).toBe('***');
    expect(masker.text(Buffer.from(secret).toString('base64url'))).toBe('***');
  });

  it('masks a secret base64-encoded inside a longer text at any alignment (basic auth)', () => {
    const password = 'hunter2-correct-horse';
    const masker = createMasker([password]);
    for (const user of ['u', 'us', 'usr']) {
      const header = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      // Left around the mask: the user name, the colon, and a character each side that mixes their bits with the password's.
      expect(masker.text(header)).toMatch(/^Basic [A-Za-z0-9+/]{2,6}\*\*\*[A-Za-z0-9+/]?=*$/);
    }
  });

  it(`ignores values shorter than ${MIN_SECRET_LENGTH} characters and masks longest first`, () => {
    expect(listSecretForms('abc')).toEqual([]);
    const masker = createMasker(['abcdef', 'abcdefgh', 'abc', '']);
    expect(masker.secrets).toEqual(['abcdef', 'abcdefgh']);
    expect(masker.text('x abcdefgh y abcdef z abc')).toBe('x *** y *** z abc');
  });

  it('masks user data deeply (keys too) and returns the same object when nothing matched', () => {
    const masker = createMasker(['s3cr3t-value']);
    const data = { a: ['s3cr3t-value'], 's3cr3t-value': 1, n: 2 };
    expect(masker.data(data)).toEqual({ a: ['***'], '***': 1, n: 2 });
    expect(masker.strings(data)).toEqual({ a: ['***'], 's3cr3t-value': 1, n: 2 });
    const clean = { a: ['x'], b: { c: 'y' } };
    expect(masker.data(clean)).toBe(clean);
    expect(createMasker().text('s3cr3t-value')).toBe('s3cr3t-value');
  });

  it('masks a secret learned at run time from then on', () => {
    const masker = createMasker();
    expect(masker.text('token abcdef123')).toBe('token abcdef123');
    masker.add('abcdef123');
    expect(masker.text('token abcdef123')).toBe('token ***');
  });
});
