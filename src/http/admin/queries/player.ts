/**
 * The console's player link: the call's MP3 by a signed link that expires in an hour — long
 * enough to listen and seek, short enough that a link copied out of the console soon dies.
 * @module
 */
import type { callAudio } from '../../../db/schema';
import type { AppDeps } from '../../../deps';
import { linkEpoch } from '../../../recordings/revocations';
import { linkKeys, signedRecordingPath } from '../../../recordings/signed-link';

const PLAYER_LINK_SECONDS = 60 * 60;

export interface PlayerLink {
  src: string;
  durationMs: number;
  bytes: number;
  expiresAt: Date;
}

/** `via`: the console actor the link is made for — its listens are audited under that name. */
export async function playerLink(deps: AppDeps, audio: typeof callAudio.$inferSelect | null, now: Date, via: string | null = null): Promise<PlayerLink | null> {
  // Without a recordings runtime nothing serves /recordings: no link that could only 404.
  if (!audio || audio.purgedAt || !deps.recordings) return null;
  const [key] = await linkKeys(deps.db, deps.settings.recordingLinkKeys);
  if (!key) return null;
  const expiresAt = new Date(now.getTime() + PLAYER_LINK_SECONDS * 1000);
  const src = await signedRecordingPath(audio.id, key, expiresAt, { epoch: await linkEpoch(deps.db, audio.id), via: via ?? 'console' });
  return { src, durationMs: audio.durationMs, bytes: audio.bytes, expiresAt };
}
