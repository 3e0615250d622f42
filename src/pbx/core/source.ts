/**
 * A PBX source described once: its name, its section of `sources:`, its parser, its webhooks,
 * its pull, its recording resolver or downloader, how its conversations are keyed and settled.
 * Every source folder exports one (`pbx/<vendor>/index.ts`); pbx/registry.ts lists them, and
 * every consumer (webhook routes, replays, reconciliation, recordings, config) reads that list.
 * @module
 */
import type * as z from 'zod';
import type { RecordingDownloader } from '../../recordings/downloads';
import type { RecordingLinkResolver } from '../../recordings/links';
import type { PbxOriginator } from './originate';
import type { PbxParser } from './parse';
import type { PbxPull } from './pull';
import type { PbxEndpoint } from './webhook';

export interface PbxSource<Name extends string = string, Section extends z.ZodType | undefined = z.ZodType | undefined> {
  /** Stable name, stored with every inbox body and conversation; also its key in `sources:` and in the secrets. */
  readonly name: Name;
  /** The schema of its section of `sources:` in the integrator config; absent: it has none (the generic webhook). */
  readonly config?: Section;
  readonly parser: PbxParser;
  /** Where the PBX posts, in the order they are routed (a catch-all last). */
  readonly webhooks?: readonly PbxEndpoint[];
  /**
   * Asks the PBX which calls it made (reconciliation). Absent when it cannot be asked on every
   * runtime: FreePBX's CDR table is read by the Node entry, which adds its pull itself.
   */
  readonly pull?: PbxPull;
  /** Asks the PBX to ring a rep and then a customer (click-to-call), where its API can. */
  readonly originate?: PbxOriginator;
  /** Turns the vendor's recording id into a lasting URL (recordings/links.ts). */
  readonly recordingLinks?: RecordingLinkResolver;
  /** Downloads a recording through the vendor's API, whose links work once (recordings/downloads.ts). */
  readonly recordingDownloads?: RecordingDownloader;
  /**
   * The source whose conversation key space it shares; default its own. FreePBX's cdr rows are
   * Asterisk CDRs with the same uniqueid/linkedid, so they join Asterisk's conversations.
   */
  readonly conversationsOf?: string;
  /**
   * Its records cannot say "this was the last": one record per bridge segment (CDR-based PBXs)
   * or per-leg callbacks in any order. Its calls settle after SETTLE_SECONDS of quiet, so a
   * transfer reaches the CRM whole the first time instead of as a note updated later.
   */
  readonly settlesAfterQuiet?: boolean;
}

/** A descriptor, its name and config schema kept exactly (the registry derives `sources:` from them). */
export const pbxSource = <const Name extends string, Section extends z.ZodType | undefined = undefined>(
  source: PbxSource<Name, Section>,
): PbxSource<Name, Section> => source;
