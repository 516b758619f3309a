// A run's journal as chunk ConfigMaps: appends batched per event-loop turn, written with optimistic concurrency on
// resourceVersion. An event's sequence number is its position in the whole journal and each chunk records its first
// one, so after a 409 (or a lost answer) a re-read says exactly which events are stored: none is lost or written twice.

import { formatEventLine } from '../../engine/events.js';
import { parseJournal } from '../../engine/journal/read.js';
import { StepError, UsageError, classifyError } from '../../errors.js';
import { isAlreadyExists, isConflict } from '../../k8s/index.js';
import type { KubeClient, KubeObject } from '../../k8s/types.js';
import type { Clock } from '../../time/clock.js';
import type { JournalContents, JournalWriter } from '../index.js';
import { MAX_TRANSIENT, retryTransient, transientDelay } from './retry.js';
import { ANNOTATION, CONFIG_MAP, DATA, LABEL, chunkName, journalSelector, labelsFor } from './names.js';

export type ConfigMap = KubeObject & { data?: Record<string, string> };

/** Rolled well under the 1 MiB object limit, so a chunk's metadata and a large last event always fit. */
export const DEFAULT_CHUNK_BYTES = 256 * 1024;
const MAX_CONFLICTS = 100;

export interface ChunkContext {
  kube: KubeClient;
  namespace: string;
  clock: Clock;
  chunkBytes: number;
}

const ref = (ctx: ChunkContext, name: string) => ({ ...CONFIG_MAP, name, namespace: ctx.namespace });
const chunkIndex = (cm: ConfigMap): number => Number(cm.metadata.labels?.[LABEL.chunk]);
const firstSeqOf = (cm: ConfigMap): number => Number(cm.metadata.annotations?.[ANNOTATION.firstSeq] ?? 0);
const textOf = (cm: ConfigMap): string => cm.data?.[DATA.journal] ?? '';
const countLines = (text: string): number => {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
};
/** Events a chunk holds whole: those with seq below this are stored. */
const storedUpTo = (cm: ConfigMap): number => firstSeqOf(cm) + countLines(textOf(cm));

/** The run's chunks in order; a gap (a chunk deleted by hand) is a corrupt journal, not a short one. */
export async function listChunks(ctx: ChunkContext, runId: string): Promise<ConfigMap[]> {
  const { items } = await ctx.kube.list<ConfigMap>(CONFIG_MAP.apiVersion, CONFIG_MAP.kind, { namespace: ctx.namespace, labelSelector: journalSelector(runId) });
  const chunks = items.filter((cm) => Number.isInteger(chunkIndex(cm))).sort((a, b) => chunkIndex(a) - chunkIndex(b));
  chunks.forEach((cm, i) => {
    if (chunkIndex(cm) !== i) throw new UsageError(`journal of run ${runId} in namespace ${ctx.namespace} is missing chunk ${chunkName(runId, i)}`);
  });
  return chunks;
}

/**
 * Reads journals whole, in order. Only the last chunk of a run ever changes (a writer never goes back to a chunk it
 * rolled over), so the chunks before it are kept from the previous read of the same run and only the last one and
 * any newer ones are fetched again: `logs -f` polling a long run does not download its whole journal each time.
 */
export function createChunkReader(ctx: ChunkContext): (runId: string, where: string) => Promise<JournalContents> {
  const settled = new Map<string, string[]>();
  const fetchFrom = async (runId: string, from: number): Promise<string[]> => {
    const texts: string[] = [];
    for (let index = from; ; index++) {
      const cm = await ctx.kube.get<ConfigMap>(ref(ctx, chunkName(runId, index)));
      if (!cm) return texts;
      texts.push(textOf(cm));
    }
  };
  return async (runId, where) => {
    const known = settled.get(runId);
    let texts: string[];
    if (known === undefined) {
      texts = (await retryTransient(ctx.clock, () => listChunks(ctx, runId))).map(textOf);
    } else {
      const fresh = await retryTransient(ctx.clock, () => fetchFrom(runId, known.length));
      // The run's chunks were deleted (and maybe written anew) since: read it from scratch.
      texts = fresh.length === 0 ? (await retryTransient(ctx.clock, () => listChunks(ctx, runId))).map(textOf) : [...known, ...fresh];
    }
    settled.set(runId, texts.slice(0, -1));
    // Only the last chunk can end torn; an earlier one holds whole lines (the writer rolls between events).
    return parseJournal(texts.join(''), where);
  };
}

function chunkBody(ctx: ChunkContext, runId: string, index: number, firstSeq: number, text: string): ConfigMap {
  return {
    ...CONFIG_MAP,
    metadata: { name: chunkName(runId, index), namespace: ctx.namespace, labels: labelsFor(runId, 'journal', index), annotations: { [ANNOTATION.firstSeq]: String(firstSeq) } },
    data: { [DATA.journal]: text },
  };
}

interface Pending {
  seq: number;
  line: string;
}

export interface ChunkWriterOptions {
  resume: boolean;
  /** Aborted when the run's lease is lost: the writer stops appending (what is not yet stored is dropped). */
  lost?: () => AbortSignal | undefined;
}

/** Opens the journal: creates chunk 0 for a new run, or finds the last chunk (cutting a torn tail) for a resumed one. */
export async function openChunkWriter(ctx: ChunkContext, runId: string, where: string, options: ChunkWriterOptions): Promise<JournalWriter> {
  // Idempotent as a whole (chunk 0 created or found, a torn tail cut or already cut): a blip just runs it again.
  return retryTransient(ctx.clock, () => openOnce(ctx, runId, where, options));
}

async function openOnce(ctx: ChunkContext, runId: string, where: string, options: ChunkWriterOptions): Promise<JournalWriter> {
  const chunks = await listChunks(ctx, runId);
  let current = chunks.at(-1);
  if (!current) {
    current = await createOrGet(ctx, runId, 0, 0, '');
  } else if (options.resume && !textOf(current).endsWith('\n') && textOf(current).length > 0) {
    const text = textOf(current);
    current = await ctx.kube.replace<ConfigMap>({ ...current, data: { ...current.data, [DATA.journal]: text.slice(0, text.lastIndexOf('\n') + 1) } });
  }
  return new ChunkWriter(ctx, runId, where, current, options.lost);
}

async function createOrGet(ctx: ChunkContext, runId: string, index: number, firstSeq: number, text: string): Promise<ConfigMap> {
  try {
    return await ctx.kube.create<ConfigMap>(chunkBody(ctx, runId, index, firstSeq, text));
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
    const existing = await ctx.kube.get<ConfigMap>(ref(ctx, chunkName(runId, index)));
    if (!existing) throw error;
    return existing;
  }
}

class ChunkWriter implements JournalWriter {
  readonly path: string;
  private pending: Pending[] = [];
  private nextSeq: number;
  private scheduled = false;
  private flushing: Promise<void> | undefined;
  private failure: Error | undefined;
  private closed = false;

  constructor(
    private readonly ctx: ChunkContext,
    private readonly runId: string,
    where: string,
    private current: ConfigMap | undefined,
    private readonly lostSignal: (() => AbortSignal | undefined) | undefined,
  ) {
    this.path = where;
    // A new run's journal is opened before its claim is made: the claim's signal is looked up on each write.
    this.nextSeq = storedUpTo(current!);
  }

  private get lost(): boolean {
    return this.lostSignal?.()?.aborted ?? false;
  }

  append(event: Parameters<JournalWriter['append']>[0]): void {
    if (this.closed) return;
    if (this.failure) throw this.failure;
    // Another process owns the run now: nothing more is written (the CLI stops the run and says why).
    if (this.lost) return;
    this.pending.push({ seq: this.nextSeq++, line: formatEventLine(event) });
    if (!this.scheduled) {
      this.scheduled = true;
      // One write per event-loop turn, like the local store's group fsync: a step's burst of events is one request.
      setImmediate(() => {
        this.scheduled = false;
        this.kick();
      });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.kick();
    while (this.flushing) await this.flushing;
    if (this.failure) throw this.failure;
  }

  private kick(): void {
    if (this.flushing || this.failure || this.pending.length === 0) return;
    this.flushing = this.drain()
      .catch((error: unknown) => {
        this.failure ??= error as Error;
      })
      .finally(() => {
        this.flushing = undefined;
        if (this.pending.length > 0 && !this.failure) this.kick();
      });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      if (this.lost) {
        this.pending = [];
        return;
      }
      const stored = await this.write(this.pending.slice());
      this.pending = this.pending.filter((p) => p.seq >= stored);
    }
  }

  /** Stores `batch` (contiguous seqs); returns the seq up to which the journal now holds every event. */
  private async write(batch: Pending[]): Promise<number> {
    const { ctx, runId } = this;
    let conflicts = 0;
    let failures = 0;
    for (;;) {
      try {
        let chunk = this.current ?? (await this.reread());
        const stored = storedUpTo(chunk);
        const todo = batch.filter((p) => p.seq >= stored);
        if (todo.length === 0) return stored;
        if (todo[0]!.seq !== stored) {
          throw new StepError(`journal ${this.path}: chunk ${chunk.metadata.name} holds events up to ${stored} but the next to write is ${todo[0]!.seq}`, { errorClass: 'permanent' });
        }
        const text = textOf(chunk);
        const size = Buffer.byteLength(text);
        if (size > 0 && size + Buffer.byteLength(todo[0]!.line) > ctx.chunkBytes) {
          // Full: the next chunk starts at the first event not stored here.
          this.current = await createOrGet(ctx, runId, chunkIndex(chunk) + 1, stored, '');
          continue;
        }
        let add = '';
        let taken = 0;
        for (const p of todo) {
          if (taken > 0 && size + Buffer.byteLength(add) + Buffer.byteLength(p.line) > ctx.chunkBytes) break;
          add += p.line;
          taken++;
        }
        chunk = await ctx.kube.replace<ConfigMap>({ ...chunk, data: { ...chunk.data, [DATA.journal]: text + add } });
        this.current = chunk;
        return storedUpTo(chunk);
      } catch (error) {
        // Someone changed the chunk (or our last write landed but its answer was lost): re-read and write only what is missing.
        if (isConflict(error) && ++conflicts <= MAX_CONFLICTS) {
          this.current = undefined;
          continue;
        }
        if (classifyError(error) === 'transient' && ++failures <= MAX_TRANSIENT) {
          this.current = undefined;
          await ctx.clock.sleep(transientDelay(error, failures));
          continue;
        }
        throw error;
      }
    }
  }

  private async reread(): Promise<ConfigMap> {
    const chunks = await listChunks(this.ctx, this.runId);
    const last = chunks.at(-1);
    if (!last) throw new StepError(`journal ${this.path} was deleted while the run was writing it`, { errorClass: 'permanent' });
    return last;
  }
}
