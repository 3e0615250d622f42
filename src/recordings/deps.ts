/**
 * What the recordings service works with, declared here rather than borrowed from the app's
 * deps (deps.ts sits above every service): the database, the log, the clock, the runtime's
 * storage and fetch, its part of the config, and — from the PBX side, which sits above it — the
 * sources that resolve links and download files. AppDeps satisfies RecordingsDeps as it is;
 * the PBX side comes in as a RecordingSources, given by the tick (jobs.ts).
 * @module
 */
import type { Db } from '../db/client';
import type { PeopleConfig } from '../domain/people';
import type { Logger } from '../lib/log';
import type { RecordingsConfig } from './config';
import type { RecordingDownloader } from './downloads';
import type { FetchFor } from './fetch/port';
import type { RecordingLinkResolver } from './links';
import type { LocalFileReader } from './local-file';
import type { RecordingStorage } from './storage/port';

/** What archiving and serving recordings needs from the runtime. */
export interface RecordingsRuntime {
  storage: RecordingStorage;
  /** A fetch that enforces a policy where connections are made (Node: DNS answers checked). */
  fetchFor: FetchFor;
  /** Node beside the PBX: reads a recording given as a file path (null: no such file). */
  readLocal?: LocalFileReader;
}

/**
 * The PBX side of recordings: sources that name their files by id, and conversation key spaces.
 * A resolver or downloader is handed the deps recordings was given — the app's — and types only
 * the part it reads (its credentials, its `sources:` section): `RecordingDownloader<MangoDeps>`.
 */
export interface RecordingSources {
  /** Sources whose API turns a recording id into a lasting URL (links.ts). */
  linkResolvers: readonly RecordingLinkResolver[];
  /** Sources whose API hands a file out once, downloaded at archive time (downloads.ts). */
  downloaders: readonly RecordingDownloader[];
  /** Every source whose conversations live in this key space (itself first): FreePBX's under asterisk. */
  sourcesSharing(family: string): string[];
}

export interface RecordingsDeps {
  db: Db;
  log: Logger;
  now?: () => Date;
  /** Archiving and serving recordings; absent: recordings are referenced, never copied. */
  recordings?: RecordingsRuntime;
  settings: {
    /** The sources' API credentials by source name: a link resolver is asked only when its source's are set. */
    secrets: Readonly<Record<string, unknown>>;
  };
  /** `recordings:`, and who is behind an extension (per-department retention and sync rules). */
  config: PeopleConfig & { recordings: RecordingsConfig };
}
