/**
 * Every PBX source, and what each consumer reads of them. Adding a source is its folder
 * (`pbx/<vendor>/index.ts`, a PbxSource) and one line in `pbxSources`: its webhooks are routed
 * (src/http/webhooks), its stored bodies replayed (the ledger), its pull asked (reconciliation),
 * its recordings resolved or downloaded (recordings), its `sources:` section read
 * (sources-config.ts) from this list alone.
 * @module
 */
import type { CallEvent } from '../domain/events';
import type { RecordingSources } from '../recordings/deps';
import { asterisk } from './asterisk';
import type { PbxOriginator } from './core/originate';
import type { ParseContext, PbxParser } from './core/parse';
import type { PbxPull } from './core/pull';
import type { PbxSource } from './core/source';
import { freepbx } from './freepbx';
import { freeswitch } from './freeswitch';
import { generic } from './generic';
import { mango } from './mango';
import type { SourcesConfig } from './sources-config';
import { twilio } from './twilio';
import { yeastar } from './yeastar';
import { zadarma } from './zadarma';

/** In this order their webhooks are routed and documented, their sections listed, their pulls run. */
export const pbxSources = [generic, asterisk, freepbx, freeswitch, zadarma, twilio, yeastar, mango] as const;

const sources: readonly PbxSource[] = pbxSources;
const byName = new Map(sources.map((source) => [source.name, source]));

/** Every source's parser by name, for replaying stored inbox bodies. */
export const parsers: Readonly<Record<string, PbxParser<SourcesConfig>>> = Object.fromEntries(sources.map((s) => [s.name, s.parser]));

/** A stored body's events, read again by its source's parser. Throws for a source no longer known. */
export function parseStored(source: string, raw: string, meta: Record<string, string>, ctx: ParseContext<SourcesConfig>): CallEvent[] {
  const parser = parsers[source];
  if (!parser) throw new Error(`no parser for source "${source}"`);
  return parser.parse(raw, meta, ctx);
}

/** The key space a source's conversations live in (FreePBX's rows are Asterisk CDRs). */
export const conversationSource = (source: string): string => byName.get(source)?.conversationsOf ?? source;

/** Every source whose conversations live in this key space (itself first). */
export const sourcesSharing = (family: string): string[] => [family, ...sources.filter((s) => s.conversationsOf === family).map((s) => s.name)];

/** Sources whose records cannot mark the end of a call: their calls settle after SETTLE_SECONDS of quiet. */
export const tentativeFinalSources: ReadonlySet<string> = new Set(sources.filter((s) => s.settlesAfterQuiet).map((s) => s.name));

/** The click-to-call originators every runtime has (HTTP APIs); the Node entry adds AMI's and FreeSWITCH's (deps.originators). */
export const portableOriginators: readonly PbxOriginator[] = sources.flatMap((s) => (s.originate ? [s.originate] : []));

/** The pulls every runtime has (they only speak HTTP); the Node entry adds FreePBX's (deps.pbxPulls). */
export const portablePulls: readonly PbxPull[] = sources.flatMap((s) => (s.pull ? [s.pull] : []));

/**
 * What recordings need of the sources: the sources whose recordings are named by id — a lasting
 * link asked for (recordings/links.ts), or, where the vendor's links work once, the file
 * downloaded at archive time (recordings/downloads.ts) — and the conversation key spaces.
 */
export const recordingSources: RecordingSources = {
  linkResolvers: sources.flatMap((s) => (s.recordingLinks ? [s.recordingLinks] : [])),
  downloaders: sources.flatMap((s) => (s.recordingDownloads ? [s.recordingDownloads] : [])),
  sourcesSharing,
};
