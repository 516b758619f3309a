import { describe, expect, it } from 'vitest';
import { createNodeSelector, findMissingNodes, listExpectedNodes, normalizeIp, checkUsages } from '../../src/csr/index.js';

describe('node selector', () => {
  it('lists the inventory and the nodes still missing', () => {
    const selector = createNodeSelector({ nodes: ['a', { name: 'b', addresses: ['10.0.0.2'] }] });
    expect(listExpectedNodes(selector)).toEqual(['a', 'b']);
    expect(findMissingNodes(selector, ['b', 'other'])).toEqual({ done: false, missing: ['a'] });
    expect(findMissingNodes(selector, ['a', 'b'])).toEqual({ done: true, missing: [] });
  });

  it('with match, counts distinct matching names', () => {
    const selector = createNodeSelector({ match: 'w-\\d', count: 2 });
    expect(findMissingNodes(selector, ['w-1', 'w-1', 'xw-2'])).toEqual({ done: false, missing: ['1 more node(s) matching /w-\\d/'] });
    expect(findMissingNodes(selector, ['w-1', 'w-2'])).toEqual({ done: true, missing: [] });
  });
});

describe('shared checks', () => {
  it('compares IPv6 addresses canonically', () => {
    expect(normalizeIp('FD00:0:0::0011')).toBe(normalizeIp('fd00::11'));
  });

  it('rejects duplicated usages', () => {
    expect(checkUsages(['digital signature', 'client auth', 'client auth'], 'client auth')).toMatch(/are not/);
    expect(checkUsages(['client auth', 'digital signature'], 'client auth')).toBeUndefined();
  });
});
