// Reads the marker lines crash fixtures write ("start|beat|end STEP PID NANOS") and checks that no step ever ran twice
// at the same time: each process of a step is an interval from its first to its last line, and they must not overlap.

import { existsSync, readFileSync } from 'node:fs';

export interface Marker {
  kind: 'start' | 'beat' | 'end';
  step: string;
  pid: number;
  ns: bigint;
}

export function readMarkers(path: string): Marker[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => /^(start|beat|end) \S+ \d+ \d+$/.test(l))
    .map((l) => {
      const [kind, step, pid, ns] = l.split(' ') as [Marker['kind'], string, string, string];
      return { kind, step, pid: Number(pid), ns: BigInt(ns) };
    });
}

/** Pairs of processes of one step whose lifetimes overlapped, described for an assertion message. */
export function findOverlaps(markers: readonly Marker[]): string[] {
  const spans = new Map<string, { step: string; pid: number; from: bigint; to: bigint }>();
  for (const m of markers) {
    const key = `${m.step}#${m.pid}`;
    const span = spans.get(key);
    if (!span) spans.set(key, { step: m.step, pid: m.pid, from: m.ns, to: m.ns });
    else {
      if (m.ns < span.from) span.from = m.ns;
      if (m.ns > span.to) span.to = m.ns;
    }
  }
  const overlaps: string[] = [];
  const all = [...spans.values()].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const [a, b] = [all[i]!, all[j]!];
      if (a.step === b.step && b.from <= a.to) overlaps.push(`${a.step}: pid ${a.pid} ran until ${a.to}, pid ${b.pid} started at ${b.from}`);
    }
  }
  return overlaps;
}

/** Pids that wrote markers and whose process still runs with the marker directory in its environment. */
export function findSurvivors(markers: readonly Marker[], dir: string): number[] {
  const pids = [...new Set(markers.map((m) => m.pid))];
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`DIR=${dir}`);
    } catch {
      return false;
    }
  });
}
