/**
 * A recording's way through calltrail, one tick at a time: a vendor link asked for where the
 * PBX names the file by id, the file copied into our storage (downloaded through the vendor's API
 * where its links work once), the call's MP3 built from its segments, and once a day the
 * retention purge. Node runs it every second, Workers every minute and after a webhook.
 * @module
 */
import { archiveDueRecordings } from './archive';
import { buildDueAudio } from './build-audio';
import type { RecordingSources, RecordingsDeps } from './deps';
import { resolveRecordingLinks } from './links';
import { purgeIfDue } from './retention';

export interface RecordingsStep {
  linked: number;
  archived: number;
  built: number;
  purged: number;
}

/** `sources`: the PBX side (link resolvers, downloaders), given by the tick (jobs.ts). */
export async function processRecordings(deps: RecordingsDeps, sources: RecordingSources): Promise<RecordingsStep> {
  const linked = await resolveRecordingLinks(deps, sources.linkResolvers);
  const runtime = deps.recordings;
  if (!runtime) return { linked, archived: 0, built: 0, purged: 0 };
  const archived = await archiveDueRecordings(deps, runtime, sources, 10);
  const built = await buildDueAudio(deps, runtime);
  const purge = await purgeIfDue(deps, runtime);
  return { linked, archived: archived.archived, built: built.built, purged: purge?.purgedCalls ?? 0 };
}
