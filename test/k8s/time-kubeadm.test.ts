import { describe, expect, it } from 'vitest';
import { formatKubeadmTime, formatResidual } from '../../src/k8s/time.js';

describe('kubeadm time formats', () => {
  it('prints residual time like Go ShortHumanDuration', () => {
    const s = 1000, m = 60 * s, h = 60 * m, d = 24 * h;
    expect([-2 * s, -500, 0, 59 * s, 60 * s, 59 * m, 23 * h, 25 * h, 364 * d, 365 * d, 3650 * d].map(formatResidual))
      .toEqual(['<invalid>', '0s', '0s', '59s', '1m', '59m', '23h', '1d', '364d', '1y', '10y']);
  });

  it('prints expiry as kubeadm does, in UTC', () => {
    expect(formatKubeadmTime(Date.parse('2026-01-02T03:04:59Z'))).toBe('Jan 02, 2026 03:04 UTC');
  });
});
