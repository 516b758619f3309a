// The journal's format version, written in every run-start, so a journal from another opsbook is refused, not misread.

import { UsageError } from '../../errors.js';

/** The format this opsbook writes and reads. Bump it (and add a migration to `migrateRunStart`) when a field changes meaning. */
export const JOURNAL_VERSION = 1;

/**
 * The version a run-start declares. Journals written before the field existed (call them version 0) have exactly the
 * format of version 1, so they are read as 1: the migration from 0 to 1 changes nothing.
 */
export function readJournalVersion(runStart: { journalVersion?: number }): number {
  return runStart.journalVersion === undefined || runStart.journalVersion === 0 ? 1 : runStart.journalVersion;
}

/** Throws UsageError (exit 2) for a journal written by a newer opsbook: its events may mean something else. */
export function checkJournalVersion(runStart: { journalVersion?: number }, where: string): void {
  const version = readJournalVersion(runStart);
  if (version > JOURNAL_VERSION) {
    throw new UsageError(`journal ${where} was written by a newer opsbook (format ${version}; this one reads ${JOURNAL_VERSION})`);
  }
}
