// Request counters per "verb resource" (and injected faults), readable while the server runs.

export class Counters {
  private readonly requests = new Map<string, number>();
  private readonly faults = new Map<string, number>();
  private total = 0;

  count(verb: string, resource: string): void {
    const key = `${verb} ${resource}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    this.total++;
  }

  /** Moves one request from one counter key to another (a DELETE found to be a dry run only once its body is read). */
  reclassify(from: string, to: string): void {
    const left = (this.requests.get(from) ?? 0) - 1;
    if (left > 0) this.requests.set(from, left);
    else this.requests.delete(from);
    this.requests.set(to, (this.requests.get(to) ?? 0) + 1);
  }

  countFault(kind: string): void {
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
  }

  get totalRequests(): number {
    return this.total;
  }

  /** Requests by "verb resource", sorted by key. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.requests.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  faultSnapshot(): Record<string, number> {
    return Object.fromEntries([...this.faults.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Sum of the counters whose key matches `predicate` (e.g. every approval). */
  sum(predicate: (key: string) => boolean): number {
    let total = 0;
    for (const [key, value] of this.requests) if (predicate(key)) total += value;
    return total;
  }

  reset(): void {
    this.requests.clear();
    this.faults.clear();
    this.total = 0;
  }
}
