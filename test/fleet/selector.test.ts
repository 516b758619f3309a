import { describe, expect, it } from 'vitest';
import { matchesSelector, parseLabelSelector, type LabelSelector } from '../../src/fleet/index.js';

const parse = (text: string): LabelSelector => {
  const result = parseLabelSelector(text);
  if ('error' in result) throw new Error(result.error);
  return result.selector;
};
const select = (text: string, clusters: Record<string, Record<string, string>>) =>
  Object.entries(clusters).filter(([, labels]) => matchesSelector(parse(text), labels)).map(([name]) => name);

const fleet = {
  a: { env: 'prod', region: 'eu' },
  b: { env: 'prod', region: 'us' },
  c: { env: 'prod', region: 'ap', canary: 'true' },
  d: { env: 'staging', region: 'eu' },
  e: {},
};

describe('label selectors (Kubernetes syntax)', () => {
  it('=, == and != (which also matches clusters without the label)', () => {
    expect(select('env=prod', fleet)).toEqual(['a', 'b', 'c']);
    expect(select('env==prod', fleet)).toEqual(['a', 'b', 'c']);
    expect(select('env!=prod', fleet)).toEqual(['d', 'e']);
  });

  it('in and notin, with spaces anywhere, ANDed with commas', () => {
    expect(select('env=prod,region in (eu,us)', fleet)).toEqual(['a', 'b']);
    expect(select(' region notin ( eu , us ) ', fleet)).toEqual(['c', 'e']);
  });

  it('exists and !key', () => {
    expect(select('canary', fleet)).toEqual(['c']);
    expect(select('!canary,env', fleet)).toEqual(['a', 'b', 'd']);
  });

  it('an empty selector selects everything', () => {
    expect(select('', fleet)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('refuses malformed selectors, naming the requirement and where it starts', () => {
    expect(parseLabelSelector('env=prod,,region=eu')).toEqual({ error: 'empty requirement', index: 9 });
    expect(parseLabelSelector('env=prod, region in ()')).toMatchObject({ error: expect.stringContaining('in needs at least one value'), index: 10 });
    expect(parseLabelSelector('env prod')).toMatchObject({ error: expect.stringContaining('expected key, !key, key=value') });
    expect(parseLabelSelector('env=a b')).toMatchObject({ error: expect.stringContaining('"a b" is not a label value') });
    expect(parseLabelSelector('-bad=x')).toMatchObject({ error: expect.stringContaining('"-bad" is not a label key') });
  });
});
