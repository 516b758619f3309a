// Runs previews a few at a time, each bounded by a timeout, without a timer or AbortController per preview
// (10,000 of those cost more than the previews themselves): each worker reuses one controller and one watchdog.

export type PreviewTask = (signal: AbortSignal) => Promise<void>;

const WATCHDOG_MS = 250;

/** Runs `tasks` with at most `concurrency` at once; a task running longer than `timeoutMs` sees its signal aborted. */
export async function runPreviewPool(
  tasks: readonly PreviewTask[],
  options: { concurrency: number; timeoutMs: number; signal: AbortSignal },
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    let controller = linkedController(options.signal);
    let startedAt = 0;
    let busy = false;
    const watchdog = setInterval(() => {
      if (busy && Date.now() - startedAt >= options.timeoutMs) controller.abort(new Error('preview timed out'));
    }, Math.min(WATCHDOG_MS, options.timeoutMs));
    watchdog.unref?.();
    try {
      while (next < tasks.length) {
        const task = tasks[next++]!;
        if (controller.signal.aborted && !options.signal.aborted) controller = linkedController(options.signal);
        startedAt = Date.now();
        busy = true;
        await task(controller.signal);
        busy = false;
      }
    } finally {
      clearInterval(watchdog);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, tasks.length) }, worker));
}

function linkedController(parent: AbortSignal): AbortController {
  const controller = new AbortController();
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', () => controller.abort(parent.reason), { once: true });
  return controller;
}
