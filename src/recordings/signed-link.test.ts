import { describe, expect, it } from 'vitest';
import { noteLinkExpiry, readRecordingLink, signedRecordingPath, verifyRecordingLink } from './signed-link';

const KEY = { kid: 'k1', secret: 'a-secret-of-some-length-0123456789' };
const ID = '0b9f6a52-5b8e-4a7e-9d0f-4d1c2e6b7a10';
const query = (path: string) => new URL(`http://x${path}`).searchParams;

describe('signed recording links', () => {
  it('keeps the plain link as it was: no epoch, no session, no expiry', async () => {
    const path = await signedRecordingPath(ID, KEY);
    expect(path).toMatch(new RegExp(`^/recordings/${ID}\\.mp3\\?k=k1&s=[0-9a-f]{64}$`));
    expect(await readRecordingLink(ID, query(path), [KEY], 0)).toMatchObject({ kid: 'k1', expiry: 0, epoch: 0, via: null });
  });

  it('signs the epoch and the session, so neither can be changed', async () => {
    const path = await signedRecordingPath(ID, KEY, null, { epoch: 1_700_000_000_123, via: 'session:user:7' });
    expect(await readRecordingLink(ID, query(path), [KEY], 0)).toMatchObject({ epoch: 1_700_000_000_123, via: 'session:user:7' });
    expect(await verifyRecordingLink(ID, query(path.replace('t=1700000000123', 't=1800000000000')), [KEY], 0)).toBe(false);
    expect(await verifyRecordingLink(ID, query(path.replace('c=session', 'c=sessiom')), [KEY], 0)).toBe(false);
    expect(await verifyRecordingLink(ID, query(path.replace(/&c=[^&]*/, '')), [KEY], 0)).toBe(false);
  });

  it('refuses an expired link', async () => {
    const path = await signedRecordingPath(ID, KEY, new Date(2_000_000 * 1000));
    expect(await verifyRecordingLink(ID, query(path), [KEY], 1_999_999)).toBe(true);
    expect(await verifyRecordingLink(ID, query(path), [KEY], 2_000_001)).toBe(false);
  });

  it('rounds a note link expiry up to midnight UTC, or none', () => {
    expect(noteLinkExpiry(null, new Date('2026-11-20T10:00:00Z'))).toBeNull();
    expect(noteLinkExpiry(30, new Date('2026-11-20T10:00:00Z'))?.toISOString()).toBe('2026-12-21T00:00:00.000Z');
  });
});
