// Process groups still running, so they can be killed if our own process exits abruptly (second Ctrl-C → process.exit):
// each child leads its own group and would not get the terminal's signal.

const live = new Set<number>();
let hooked = false;

function killAll(): void {
  for (const pgid of live) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  live.clear();
}

export function trackGroup(pgid: number): () => void {
  if (!hooked) {
    hooked = true;
    process.once('exit', killAll);
  }
  live.add(pgid);
  return () => live.delete(pgid);
}
