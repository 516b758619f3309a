// `--output tty`: listr2's live tree, fed by engine events. The only importer of listr2; the engine never sees it.

import { Listr, ListrDefaultRendererLogLevels, ListrLogger, ProcessOutput, figures, type ListrTask, type ListrTaskWrapper } from 'listr2';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { EngineEvent } from '../engine/events.js';
import type { Clock } from '../time/clock.js';
import { escapeControl, escapeStrings } from './escape.js';
import { formatDurationHuman } from '../time/duration.js';
import { formatEvent } from './format-event.js';
import { formatTable } from './table.js';
import type { Renderer } from './renderer.js';

type StepEnd = Extract<EngineEvent, { type: 'step-end' }>;
type RunStart = Extract<EngineEvent, { type: 'run-start' }>;
type RunEnd = Extract<EngineEvent, { type: 'run-end' }>;
// listr2's wrapper is generic over context and renderers we never use.
type Wrapper = ListrTaskWrapper<any, any, any>;

interface StepView {
  id: string;
  name: string;
  needs: string[];
  attempt: number;
  maxAttempts: number;
  startedAt?: number;
  detail?: string;
  /** Why a step that ended well in the resumed run runs again (shown until it logs or reports progress). */
  rerun?: string;
  /** The step's last output line: listr2 starts a task a little later, so a line logged before that is shown then. */
  lastLine?: string;
  end?: StepEnd;
  wrapper?: Wrapper;
  settle?: (end: StepEnd) => void;
}

export interface TtyRendererOptions {
  stdout: Writable;
  stderr: Writable;
  clock: Clock;
  color: boolean;
  /** listr2 renderer; tests pass 'test' for deterministic output. @default 'default' */
  renderer?: 'default' | 'simple' | 'test';
  /** Real-time refresh period of elapsed times and the deadline countdown. @default 1000 */
  refreshMs?: number;
}

export interface TtyRenderer extends Renderer {
  ask(stepId: string, question: string, input: Readable): Promise<string>;
}

/**
 * Markers in the live tree, one meaning each: ✔ succeeded, ✖ failed (a step, or the run: failed or interrupted),
 * ↓ skipped or cancelled, ⚠ only a warning: a run that succeeded although a continueOnError step failed (listr2's
 * "completed with failed subtasks"), or a retry. listr2's defaults drew a failed run as ⚠ or ❯ and a skip as ⚠.
 */
const RUN_ICONS = {
  [ListrDefaultRendererLogLevels.FAILED_WITH_FAILED_SUBTASKS]: figures.cross,
  [ListrDefaultRendererLogLevels.SKIPPED_WITHOUT_COLLAPSE]: figures.arrowDown,
};

export function createTtyRenderer(options: TtyRendererOptions): TtyRenderer {
  const { clock } = options;
  const views = new Map<string, StepView>();
  const reports: string[] = [];
  let start: RunStart | undefined;
  let end: RunEnd | undefined;
  let runWrapper: Wrapper | undefined;
  let settleRun: ((e: RunEnd) => void) | undefined;
  let running: Promise<unknown> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let notice: string | undefined;

  const doneIds = () => new Set([...views.values()].filter((v) => v.end).map((v) => v.id));

  // Title carries the live state: waiting for which needs, attempt n/m and elapsed time, or the final duration.
  const titleOf = (v: StepView): string => {
    if (v.end) {
      if (v.end.reused && v.end.reusedFrom !== undefined) {
        const from = `run ${v.end.reusedFrom}`;
        return v.end.status === 'skipped' ? `${v.name} (skipped in ${from})` : `${v.name} (reused from ${from})`;
      }
      if (v.end.reused) return v.end.status === 'skipped' ? `${v.name} (skipped earlier)` : `${v.name} (reused from earlier run)`;
      return v.end.durationMs !== undefined ? `${v.name} (${formatDurationHuman(v.end.durationMs)})` : v.name;
    }
    if (v.startedAt === undefined) {
      const done = doneIds();
      const waiting = v.needs.filter((n) => !done.has(n));
      return waiting.length > 0 ? `${v.name} (waiting for ${waiting.join(', ')})` : `${v.name} (queued)`;
    }
    const attempt = v.maxAttempts > 1 ? `attempt ${v.attempt}/${v.maxAttempts} · ` : '';
    return `${v.name} [${attempt}${formatDurationHuman(Math.max(0, clock.now() - v.startedAt))}]`;
  };

  const runTitle = (): string => {
    if (!start) return 'run';
    const parts = [`${start.runbook.name} · run ${start.runId}`];
    // Once ended, the run's own duration: the summary line prints the same number, so both read the same.
    const elapsed = end ? end.durationMs : Math.max(0, clock.now() - Date.parse(start.time));
    parts.push(`${formatDurationHuman(elapsed)} elapsed`);
    if (notice && !end) parts.push(notice);
    if (start.deadline && !end) {
      const left = Date.parse(start.deadline) - clock.now();
      parts.push(left > 0 ? `deadline in ${formatDurationHuman(left)}` : 'deadline passed');
    }
    return parts.join(' · ');
  };

  const refresh = () => {
    if (runWrapper) runWrapper.title = runTitle();
    for (const v of views.values()) if (v.wrapper && !v.end) v.wrapper.title = titleOf(v);
  };

  const settleStep = (v: StepView, wrapper: Wrapper, e: StepEnd, resolve: () => void, reject: (err: Error) => void) => {
    wrapper.title = titleOf(v);
    if (e.status === 'succeeded') return resolve();
    if (e.status === 'skipped') {
      const skipped = e.reused ? (e.reusedFrom !== undefined ? `skipped in run ${e.reusedFrom}` : 'skipped earlier') : 'skipped';
      wrapper.skip(e.reason ? `${v.name}: ${skipped} (${e.reason})` : `${v.name}: ${skipped}`);
      return resolve();
    }
    if (e.status === 'cancelled') {
      wrapper.skip(`${v.name}: cancelled${e.reason ? ` (${e.reason})` : ''}`);
      return resolve();
    }
    reject(new Error(`${v.name}: ${e.reason ?? 'failed'}`));
  };

  const stepTask = (v: StepView): ListrTask => ({
    title: titleOf(v),
    // A failed step never stops the tree: the engine decides what runs next (only the hidden run-end task may).
    exitOnError: false,
    task: (_ctx, wrapper: Wrapper) =>
      new Promise<void>((resolve, reject) => {
        v.wrapper = wrapper;
        v.settle = (e) => settleStep(v, wrapper, e, resolve, reject);
        wrapper.title = titleOf(v);
        if (v.detail) wrapper.output = v.detail;
        else if (v.lastLine) wrapper.output = v.lastLine;
        else if (v.rerun) wrapper.output = `runs again: ${v.rerun}`;
        if (v.end) v.settle(v.end);
      }),
  });

  const begin = (e: RunStart) => {
    start = e;
    for (const s of e.steps) views.set(s.id, { id: s.id, name: s.name || s.id, needs: s.needs, attempt: 0, maxAttempts: 1 });
    for (const r of e.rerun ?? []) {
      const v = views.get(r.stepId);
      if (v) v.rerun = r.reason;
    }
    // A terminal that reports no width (e.g. under `script`) would make log-update truncate every line to nothing.
    const columns = (options.stdout as NodeJS.WriteStream).columns ?? 0;
    const renderer = options.renderer ?? (columns > 0 ? 'default' : 'simple');
    const processOutput = new ProcessOutput(options.stdout as NodeJS.WriteStream, options.stderr as NodeJS.WriteStream);
    const root = new Listr(
      [
        {
          title: runTitle(),
          task: (_ctx, wrapper: Wrapper) => {
            runWrapper = wrapper;
            // An untitled (hidden) subtask keeps the tree alive until run-end (the journal is written after the
            // last step) and fails when the run did; it alone may fail the list (exitOnError), so a failed run's
            // title fails too (✖, see RUN_ICONS) instead of completing with a failed subtask (⚠). The full
            // outcome is printed once, under the tree, by close().
            const runEndTask: ListrTask = {
              task: () =>
                new Promise<void>((resolve, reject) => {
                  settleRun = (r) => (r.status === 'succeeded' ? resolve() : reject(new Error(`run ${r.status}`)));
                  if (end) settleRun(end);
                }),
            };
            return wrapper.newListr([...[...views.values()].map(stepTask), runEndTask], {
              concurrent: true,
              exitOnError: true,
              rendererOptions: { collapseSubtasks: false, collapseSkips: false, collapseErrors: false },
            });
          },
        },
      ],
      {
        concurrent: false,
        // The run task fails with the run (see runEndTask), and says so: simple renderer "✖ <run title>".
        exitOnError: true,
        registerSignalListeners: false,
        renderer,
        fallbackRenderer: 'simple',
        fallbackRendererCondition: false,
        forceTTY: renderer === 'default',
        rendererOptions: {
          logger: new ListrLogger({ processOutput, useIcons: true }),
          icon: RUN_ICONS,
          collapseSubtasks: false,
          collapseSkips: false,
          showSkipMessage: true,
          suffixSkips: false,
          collapseErrors: false,
          showErrorMessage: true,
          removeEmptyLines: true,
          formatOutput: 'truncate',
        } as never,
      },
    );
    running = root.run().catch(() => undefined);
    timer = setInterval(refresh, options.refreshMs ?? 1000);
    timer.unref();
  };

  const handlers: { [T in EngineEvent['type']]?: (e: Extract<EngineEvent, { type: T }>) => void } = {
    'run-start': begin,
    'step-start': (e) => {
      const v = views.get(e.stepId);
      if (!v) return;
      v.startedAt = Date.parse(e.time);
      if (v.wrapper) v.wrapper.title = titleOf(v);
    },
    'attempt-start': (e) => {
      const v = views.get(e.stepId);
      if (!v) return;
      v.attempt = e.attempt;
      v.maxAttempts = e.maxAttempts;
      if (v.wrapper) v.wrapper.title = titleOf(v);
    },
    'attempt-end': (e) => {
      const v = views.get(e.stepId);
      if (v?.wrapper && !e.ok) v.wrapper.output = formatEvent(e)[0]!.slice(e.stepId.length + 2);
    },
    'step-progress': (e) => {
      const v = views.get(e.stepId);
      if (!v) return;
      v.detail = e.detail;
      if (v.wrapper) v.wrapper.output = e.detail;
    },
    'step-log': (e) => {
      const v = views.get(e.stepId);
      if (!v) return;
      v.lastLine = e.line;
      if (v.wrapper && !v.detail) v.wrapper.output = e.line;
    },
    'step-report': (e) => void reports.push(...formatTable(e.table).map((l) => `${e.stepId}: ${l}`)),
    'step-approval': (e) => {
      const v = views.get(e.stepId);
      if (v?.wrapper) v.wrapper.output = `${e.approved ? 'approved' : 'declined'} by ${e.by}`;
    },
    'step-end': (e) => {
      const v = views.get(e.stepId);
      if (!v) return;
      v.end = e;
      v.settle?.(e);
      refresh();
    },
    'run-end': (e) => {
      end = e;
      // Steps that never started (cancelled run) still need settling so the tree can finish.
      for (const v of views.values()) {
        if (!v.end) {
          v.end = { type: 'step-end', time: e.time, runId: e.runId, stepId: v.id, status: 'cancelled', reason: `run ${e.status}` };
          v.settle?.(v.end);
        }
      }
      if (runWrapper) runWrapper.title = runTitle();
      settleRun?.(e);
    },
  };

  return {
    handle(event) {
      // Escaped once on the way in: titles, outputs and the closing lines all quote runbook text and step output.
      (handlers[event.type] as ((e: EngineEvent) => void) | undefined)?.(escapeStrings(event));
    },
    async close() {
      await running;
      if (timer) clearInterval(timer);
      const lines = [...reports];
      if (end) lines.push(formatEvent(end)[0]!);
      if (lines.length > 0) options.stdout.write(`${lines.join('\n')}\n`);
    },
    notice(text) {
      // listr2 holds back other terminal output until the tree is done, so the notice goes into the run title.
      if (!start) return void options.stderr.write(`${escapeControl(text)}\n`);
      notice = escapeControl(text);
      refresh();
    },
    ask(stepId, rawQuestion, input) {
      const question = escapeControl(rawQuestion, { newlines: true });
      const v = views.get(stepId);
      if (v?.wrapper) v.wrapper.output = `${question} [y/N] `;
      else options.stderr.write(`${question} [y/N] `);
      const rl = createInterface({ input, terminal: false });
      return new Promise((resolve) => {
        rl.once('line', (answer) => {
          resolve(answer); // before close(): the close handler below would otherwise answer '' first
          rl.close();
        });
        rl.once('close', () => resolve(''));
      });
    },
  };
}
