/**
 * The console's player link: the call's MP3 by a signed link that expires in an hour — long
 * enough to listen and seek, short enough that a link copied out of the console soon dies.
 * @module
 */
import type { callAudio } from '../../../db/schema';
import type { AppDeps } from '../../../deps';
import { linkKeys, signedRecordingPath } from '../../../recordings/signed-link';

const PLAYER_LINK_SECONDS = 60 * 60;

export interface PlayerLink {
  src: string;
  durationMs: number;
  bytes: number;
  expiresAt: Date;
}

export async function playerLink(deps: AppDeps, audio: typeof callAudio.$inferSelect | null, now: Date): Promise<PlayerLink | null> {
  // Without a recordings runtime nothing serves /recordings: no link that could only 404.
  if (!audio || audio.purgedAt || !deps.recordings) return null;
  const [key] = await linkKeys(deps.db, deps.settings.recordingLinkKeys);
  if (!key) return null;
  const expiresAt = new Date(now.getTime() + PLAYER_LINK_SECONDS * 1000);
  return { src: await signedRecordingPath(audio.id, key, expiresAt), durationMs: audio.durationMs, bytes: audio.bytes, expiresAt };
}
