// Rate-limits a step's detail line: every update becomes a journaled (fsynced) event, and a thousand-node
// approval changes the count a thousand times. Real time on purpose: this bounds output volume, not the procedure.

const MIN_INTERVAL_MS = 250;

export interface ProgressLine {
  /** Shows `text` if it changed and the last update is old enough (or `force`); else keeps it for flush(). */
  update(text: string, force?: boolean): void;
  /** Shows the latest text if it was held back (call when the step ends, so the last state is on screen). */
  flush(): void;
}

export function createProgressLine(emit: (text: string) => void, minIntervalMs = MIN_INTERVAL_MS): ProgressLine {
  let shown: string | undefined;
  let latest: string | undefined;
  let shownAt = -Infinity;
  const show = (text: string) => {
    shown = text;
    shownAt = performance.now();
    emit(text);
  };
  return {
    update(text, force = false) {
      latest = text;
      if (text === shown) return;
      if (force || shown === undefined || performance.now() - shownAt >= minIntervalMs) show(text);
    },
    flush() {
      if (latest !== undefined && latest !== shown) show(latest);
    },
  };
}
