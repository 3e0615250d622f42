/**
 * A recording's way through calltrail, one tick at a time: a vendor link asked for where the
 * PBX names the file by id, the file copied into our storage (downloaded through the vendor's API
 * where its links work once), the call's MP3 built from its segments, and once a day the
 * retention purge. Node runs it every second, Workers every minute and after a webhook.
 * @module
 */
import type { AppDeps } from '../deps';
import { recordingDownloaders, recordingLinkResolvers } from '../pbx/resolvers';
import { archiveDueRecordings } from './archive';
import { buildDueAudio } from './build-audio';
import { resolveRecordingLinks } from './links';
import { purgeIfDue } from './retention';

export interface RecordingsStep {
  linked: number;
  archived: number;
  built: number;
  purged: number;
}

export async function processRecordings(deps: AppDeps): Promise<RecordingsStep> {
  const linked = await resolveRecordingLinks(deps, recordingLinkResolvers);
  const runtime = deps.recordings;
  if (!runtime) return { linked, archived: 0, built: 0, purged: 0 };
  const archived = await archiveDueRecordings(deps, runtime, 10, recordingDownloaders);
  const built = await buildDueAudio(deps, runtime);
  const purge = await purgeIfDue(deps, runtime);
  return { linked, archived: archived.archived, built: built.built, purged: purge?.purgedCalls ?? 0 };
}
