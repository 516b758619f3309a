// Where runs are kept: a small interface (journal append/read, list, claim, metadata) that the engine and the CLI use,
// with one folder per backend that only implements it (src/store/local: the state directory; a cluster-backed one
// next). The engine knows this file, never a backend; src/store/default.ts wires the local one in.

import type { EngineEvent, RunStatus } from '../engine/events.js';
import type { ProcessIdentity } from '../proc/index.js';
import type { ClusterConnection, WavePause } from '../fleet/types.js';

/** What `opsbook resume` needs to find the runbook again without replaying the journal (run.json locally). */
export interface RunMetadata {
  runId: string;
  runbook: { path: string; name: string; sha256: string };
  /** Non-secret inputs (secrets are asked again on resume). */
  inputs: Record<string, unknown>;
  /** Names of secret inputs, so resume knows what to ask for. */
  secretInputs: string[];
  startedAt: string;
}

/**
 * What `opsbook runs` shows of a run that ended, kept with its metadata (written after its journal is durable, cleared
 * before a resume appends to it) so listing replays no journal. Built from journaled, hence redacted, events only.
 */
export interface RunSummaryRecord {
  runbook: { path: string; name: string; sha256: string };
  /** The first run-start's time. */
  startedAt: string;
  /** The last event's time. */
  lastTime: string;
  /** run-starts after the first. */
  resumes: number;
  /** The last attempt's run-end. */
  status: RunStatus;
  error?: string;
}

/** What `opsbook runs` lists from: every run, and the summaries of those that ended. */
export interface RunIndex {
  /** As `RunStore.list` gives them: newest first. */
  runIds: string[];
  summaries: Map<string, RunSummaryRecord>;
}

/** A run's journal as read back: checked events (see engine/journal/read.ts) and whether its last record was torn. */
export interface JournalContents {
  events: EngineEvent[];
  /** true when the last record was cut short (power loss mid-write); it is not in `events`. */
  tornTail: boolean;
}

/** Appends one run's events. A write error is thrown by `append` (or the next one, for a deferred sync). */
export interface JournalWriter {
  /** Where the events go, for messages. */
  readonly path: string;
  append(event: EngineEvent): void;
  /** Makes every appended event durable and closes; later appends are ignored. */
  close(): void | Promise<void>;
}

/** The process that runs the run, and since when (ISO). */
export interface RunOwner extends ProcessIdentity {
  since: string;
}

export interface RunClaim {
  owner: RunOwner;
  /** What claiming did that the user should hear of: a holder taken over because its pod had ended. */
  notice?: string;
  /** Gives the run up if the claim is still ours. Idempotent. */
  release(): void | Promise<void>;
  /** Aborted once the claim is found taken over (the cluster store's leases); a local claim is never lost. */
  lost?: AbortSignal;
}

export interface ClaimOptions {
  /** Take over an owner that cannot be checked from here (another host). @default false */
  force?: boolean;
  /** @default new Date().toISOString() */
  now?: () => string;
}

/** An answer to a run's waiting manual gate (`opsbook approve|reject`), kept until the run reads it. */
export interface GateAnswer {
  stepId: string;
  approved: boolean;
  /** Who answered: the Kubernetes username the API server reported (cluster store) or the local OS user (local store). */
  by: string;
  /** The answerer's groups as the API server reported them (empty for the local store). */
  groups: string[];
  comment?: string;
  /** ISO-8601, the answerer's clock. */
  at: string;
}

/** A backend: every verb a run, a resume and `opsbook runs` need, and nothing about how it is kept. */
export interface RunStore {
  /** Where a run's journal is kept, for messages (a file path for the local store). */
  locate(runId: string): string;
  /** true when the store holds a journal for `runId`. */
  has(runId: string): Promise<boolean>;
  /** Ids of the runs it holds, newest first. */
  list(): Promise<string[]>;
  /** Opens a run's journal for appending, creating it; with `resume`, a torn last record is cut first so appends start clean. */
  openJournal(runId: string, options?: { resume?: boolean }): Promise<JournalWriter>;
  /** The run's events; throws UsageError (exit 2) for a corrupt record or a journal from a newer opsbook. */
  read(runId: string): Promise<JournalContents>;
  /** Claims the run for this process: of concurrent claimants exactly one wins; the others get a UsageError naming the owner. */
  claim(runId: string, options?: ClaimOptions): Promise<RunClaim>;
  /** The recorded claimant, if any (alive or not). */
  readOwner(runId: string): Promise<RunOwner | undefined>;
  /** true while a live process holds the run's claim (a killed one's claim does not count). */
  isActive(runId: string): Promise<boolean>;
  /** Written once, when the run starts; durable before the first step runs. */
  writeMetadata(metadata: RunMetadata): Promise<void>;
  /** undefined when the run has none (e.g. a journal copied by hand). */
  readMetadata(runId: string): Promise<RunMetadata | undefined>;
  /** Records the summary of a run that ended; undefined forgets it (a resume is about to append). Optional: a store without it lists by replay. */
  writeSummary?(runId: string, summary: RunSummaryRecord | undefined): Promise<void>;
  /**
   * The runs and their recorded summaries in one read of what is small (the cluster store lists metadata ConfigMaps,
   * not journals). Runs without a summary (written before summaries, or still open) are only in `runIds`.
   */
  readRunIndex?(): Promise<RunIndex>;
  /** Adds one answer to a run's gate (never replaces one), where the waiting run will find it. */
  addAnswer(runId: string, answer: GateAnswer): Promise<void>;
  /** The answers given to one gate of a run, oldest first. */
  readAnswers(runId: string, stepId: string): Promise<GateAnswer[]>;
}

/** One cluster of a fleet run: where it is in the rollout and which run of its own it got. */
export interface FleetClusterRecord {
  name: string;
  /** 1-based wave number. */
  wave: number;
  /** How to reach it again on resume (a kubeconfig path and context, or a Cluster API Secret). */
  connection: ClusterConnection;
  labels: Record<string, string>;
  /** Non-secret input values of its run (secrets are asked again on resume). */
  inputs: Record<string, unknown>;
  deadlineMs?: number;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'interrupted';
  /** Its own run (journal, claim, lock), once started. */
  runId?: string;
  failedStep?: string;
  error?: string;
  durationMs?: number;
}

/** A fleet run: one runbook over many clusters, each with its own run, under one fleet id. */
export interface FleetRecord {
  fleetId: string;
  fleet: { name: string; file?: string };
  runbook: { path: string; name: string };
  strategy: { maxParallel: number; maxFailures: number; pause: WavePause };
  status: 'running' | 'succeeded' | 'failed' | 'interrupted';
  /** Why the rollout stopped early (budget, a declined gate). */
  reason?: string;
  startedAt: string;
  updatedAt: string;
  /** Waves whose gate or pause was passed: a resume does not ask again. */
  passedGates: string[];
  clusters: FleetClusterRecord[];
}

/** Where fleet runs are kept (the clusters' own runs stay in the RunStore). Writes replace the whole record atomically. */
export interface FleetStore {
  writeFleet(record: FleetRecord): Promise<void>;
  /** undefined when there is no such fleet run. */
  readFleet(fleetId: string): Promise<FleetRecord | undefined>;
  /** Fleet ids, newest first. */
  listFleets(): Promise<string[]>;
  /** Claims the fleet run for this process, as RunStore.claim does a run: of two resumes of one fleet, one goes on. */
  claimFleet(fleetId: string, options?: ClaimOptions): Promise<RunClaim>;
  /** true while a live process holds the fleet run's claim (a killed one's does not count). */
  isFleetActive(fleetId: string): Promise<boolean>;
}
