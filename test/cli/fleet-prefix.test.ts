import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { prefixLines } from '../../src/cli/fleet-run.js';

describe("a fleet cluster's stderr", () => {
  it('puts the cluster before every line, however the writes split them', async () => {
    const target = new PassThrough();
    let seen = '';
    target.on('data', (c: Buffer) => (seen += c.toString()));
    const stream = prefixLines(target, '[eu-1] ');
    for (const chunk of ['took over the lock', ' from run r1\nsecond', ' line\n', 'third\nfourth\n']) {
      await new Promise<void>((resolve) => stream.write(chunk, () => resolve()));
    }
    expect(seen).toBe('[eu-1] took over the lock from run r1\n[eu-1] second line\n[eu-1] third\n[eu-1] fourth\n');
  });
});
