/**
 * What retention, legal hold and erasure work with: the database, the log, the clock, the
 * recordings' storage (to delete the files), the number rules (to read numbers as the ledger
 * does) and, from the PBX side above, a reader of stored bodies: which calls a body carries.
 * @module
 */
import type { Db } from '../db/client';
import type { CallEvent } from '../domain/events';
import type { NumberRules } from '../domain/phone';
import type { Logger } from '../lib/log';
import type { RecordingStorage } from '../recordings/storage/port';
import type { RetentionConfig } from './config';

export interface PrivacyDeps {
  db: Db;
  log: Logger;
  now?: () => Date;
  /** Where archived recordings and call MP3s are; absent: nothing was archived. */
  storage?: RecordingStorage;
  rules: NumberRules;
  retention: RetentionConfig;
  /**
   * A stored body read again (the ledger's parseStored) and the key space of its source: which
   * conversations it carries. Absent or throwing: a body is judged by the legs that point at it.
   */
  bodies?: {
    parseStored(source: string, raw: string, meta: Record<string, string>): CallEvent[];
    conversationSource(source: string): string;
  };
}

export const nowOf = (deps: { now?: () => Date }): Date => (deps.now ?? (() => new Date()))();

/** The privacy deps from the app's parts and the ledger's context (jobs.ts, http). */
export function privacyDepsOf(
  deps: { db: Db; log: Logger; now?: () => Date; recordings?: { storage: RecordingStorage }; config: { retention?: RetentionConfig } },
  ctx: { rules: NumberRules } & NonNullable<PrivacyDeps['bodies']>,
): PrivacyDeps {
  return {
    db: deps.db,
    log: deps.log,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.recordings ? { storage: deps.recordings.storage } : {}),
    rules: ctx.rules,
    retention: deps.config.retention ?? NO_RETENTION,
    bodies: { parseStored: ctx.parseStored, conversationSource: ctx.conversationSource },
  };
}

const NO_RETENTION: RetentionConfig = { calls_days: null };
