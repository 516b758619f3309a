import { describe, expect, it } from 'vitest';
import { parseSizeText, planWaves, resolveFailureBudget } from '../../src/fleet/index.js';

const names = (n: number) => Array.from({ length: n }, (_, i) => `c${i + 1}`);
const sizes = (...written: (number | string)[]) => written.map((w) => parseSizeText(w)!);
const shape = (n: number, ...written: (number | string)[]) => planWaves(names(n), sizes(...written)).map((w) => w.clusters.length);

describe('waves', () => {
  it('a canary, then percentages of the rest, rounded up', () => {
    expect(shape(21, 1, '10%', '100%')).toEqual([1, 2, 18]);
    expect(shape(100, 1, '10%', '100%')).toEqual([1, 10, 89]);
    expect(shape(11, 1, '50%', '50%')).toEqual([1, 5, 5]);
  });

  it('rounds up, so a small percentage of a small fleet is still one cluster, never an empty wave', () => {
    expect(shape(5, 1, '10%', '10%', '100%')).toEqual([1, 1, 1, 2]);
    expect(shape(3, '1%')).toEqual([1, 2]);
  });

  it('drops waves once no cluster is left', () => {
    expect(shape(2, 1, '10%', '100%')).toEqual([1, 1]);
    expect(shape(1, 1, '10%', '100%')).toEqual([1]);
    expect(shape(3, 5, 5)).toEqual([3]);
  });

  it('puts clusters the written waves leave over into one last wave', () => {
    expect(shape(10, 1, 2)).toEqual([1, 2, 7]);
    expect(shape(10, '20%')).toEqual([2, 8]);
  });

  it('counts after percentages take that many; percentages are of the clusters after the leading counts', () => {
    expect(shape(12, 2, '50%', 1)).toEqual([2, 5, 1, 4]);
  });

  it('numbers waves from 1 and names their gates wave-N, keeping cluster order', () => {
    const waves = planWaves(names(4), sizes(1, '100%'));
    expect(waves.map((w) => [w.number, w.id, w.clusters])).toEqual([
      [1, 'wave-1', ['c1']],
      [2, 'wave-2', ['c2', 'c3', 'c4']],
    ]);
  });

  it('a percentage failure budget rounds down; a count is taken as is', () => {
    expect(resolveFailureBudget({ percent: 10 }, 15)).toBe(1);
    expect(resolveFailureBudget({ percent: 10 }, 9)).toBe(0);
    expect(resolveFailureBudget({ count: 3 }, 2)).toBe(3);
  });

  it('reads counts and percentages as written, and nothing else', () => {
    expect(parseSizeText(3)).toEqual({ count: 3 });
    expect(parseSizeText('2.5%')).toEqual({ percent: 2.5 });
    expect(parseSizeText('7')).toEqual({ count: 7 });
    expect(parseSizeText('ten')).toBeUndefined();
    expect(parseSizeText(1.5)).toBeUndefined();
  });
});
