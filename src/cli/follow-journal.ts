// Replays a run's journal into a renderer and, when asked, follows it until the run ends: `logs -f` and `submit --wait`.

import type { EngineEvent } from '../engine/events.js';
import type { RunStore } from '../store/index.js';
import type { Clock } from '../time/clock.js';
import type { OutputMode } from '../ui/renderer.js';
import type { CliIo } from './io.js';
import { resolveColor, resolveOutputMode } from './options.js';

export interface FollowJournalOptions {
  store: Pick<RunStore, 'read'>;
  runId: string;
  handle: (event: EngineEvent) => void;
  clock: Clock;
  pollMs: number;
  /** true once following may stop; `status` is the last run-end's, undefined while the latest run-start has none. */
  done: (status: string | undefined) => boolean;
  /** Asked after a poll that brought nothing new: 'stop' ends the follow (the caller says why first). */
  quiet: () => Promise<'stop' | 'wait'>;
}

/** The status the journal ended with, or undefined when following stopped before a run-end. */
export async function followJournal(options: FollowJournalOptions): Promise<string | undefined> {
  let shown = 0;
  let status: string | undefined;
  for (;;) {
    const { events } = await options.store.read(options.runId);
    for (const event of events.slice(shown)) {
      options.handle(event);
      // A resumed run appends a new run-start after an earlier run-end: only the last one ends the run.
      status = event.type === 'run-end' ? event.status : event.type === 'run-start' ? undefined : status;
    }
    const grew = events.length > shown;
    shown = events.length;
    if (options.done(status)) return status;
    if (!grew && (await options.quiet()) === 'stop') return status;
    await options.clock.sleep(options.pollMs);
  }
}

/** followJournal() into the live view `run` would draw (tty/plain/json, colour as flagged), closed whatever happens. */
export async function renderJournal(
  options: Omit<FollowJournalOptions, 'handle'> & { io: CliIo; output: OutputMode | undefined; color: boolean },
): Promise<string | undefined> {
  const { io, clock } = options;
  const { createRenderer } = await import('../ui/renderer.js');
  const color = resolveColor(options.color, io.env, io.stdout.isTTY);
  if (!color) io.env.NO_COLOR = '1'; // listr2's colour library reads it when first loaded
  const renderer = await createRenderer({ mode: resolveOutputMode(options.output, io.stdout.isTTY), stdout: io.stdout, stderr: io.stderr, color, clock });
  try {
    return await followJournal({ ...options, handle: (event) => renderer.handle(event) });
  } finally {
    await renderer.close();
  }
}
