// Seeded fault injection: error rates, throttling, latency and connection resets per verb and resource.

import type { FaultRule, Faults } from '../scenario/types.js';

/** mulberry32: small, fast, seedable, good enough to make fault tests deterministic. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type FaultDecision =
  | { kind: 'none'; delayMs: number }
  | { kind: 'error'; code: 500 | 503; delayMs: number }
  | { kind: 'throttle'; retryAfterSeconds: number; delayMs: number }
  | { kind: 'reset'; delayMs: number };

function applies(rule: FaultRule, verb: string, resource: string): boolean {
  return (!rule.verbs || rule.verbs.includes(verb)) && (!rule.resources || rule.resources.includes(resource));
}

export class FaultInjector {
  private readonly random: () => number;
  readonly enabled: boolean;

  constructor(private readonly faults: Faults) {
    this.random = createRandom(faults.seed);
    this.enabled =
      faults.errors.length + faults.throttle.length + faults.latency.length + faults.resets.length > 0 || faults.watchCutMs > 0;
  }

  get watchCutMs(): number {
    return this.faults.watchCutMs;
  }

  get watchCutAbrupt(): boolean {
    return this.faults.watchCutAbrupt;
  }

  /** What happens to one request; draws from the seeded stream in a fixed order so runs repeat. */
  decide(verb: string, resource: string): FaultDecision {
    let delayMs = 0;
    for (const rule of this.faults.latency) {
      if (applies(rule, verb, resource) && this.random() < rule.rate) delayMs += rule.ms + Math.floor(this.random() * rule.jitterMs);
    }
    for (const rule of this.faults.resets) {
      if (applies(rule, verb, resource) && this.random() < rule.rate) return { kind: 'reset', delayMs };
    }
    for (const rule of this.faults.throttle) {
      if (applies(rule, verb, resource) && this.random() < rule.rate) return { kind: 'throttle', retryAfterSeconds: rule.retryAfterSeconds, delayMs };
    }
    for (const rule of this.faults.errors) {
      if (applies(rule, verb, resource) && this.random() < rule.rate) return { kind: 'error', code: rule.code, delayMs };
    }
    return { kind: 'none', delayMs };
  }
}
