/**
 * Folding a play's range requests into one audit entry: a player fetches a recording in many
 * ranges (open, seek, buffer), and the trail wants one "listened" per person and play, not one per
 * range. Per link and client (address and user agent), the first request of a 10-minute window is
 * written — at once, so a listen is never lost to a crash — with the bytes served so far (that
 * response's); the requests after it in the window are counted here, and the next entry for the
 * same link and client carries the previous window's totals (`previous`). Per process: replicas
 * each write their own first entry.
 * @module
 */

export const LISTEN_WINDOW_MS = 10 * 60_000;

interface Window {
  startedAt: number;
  requests: number;
  bytes: number;
}

export type ListenDecision = { write: true; previous: { requests: number; bytes: number } | null } | { write: false };

export class ListenFolder {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly maxKeys = 20_000) {}

  /** One request serving `bytes`: whether it opens a window (write an entry) or folds into one. */
  record(key: string, bytes: number, nowMs: number): ListenDecision {
    const current = this.windows.get(key);
    if (current && nowMs >= current.startedAt && nowMs - current.startedAt < LISTEN_WINDOW_MS) {
      current.requests++;
      current.bytes += bytes;
      return { write: false };
    }
    const previous = current ? { requests: current.requests, bytes: current.bytes } : null;
    this.windows.delete(key);
    this.windows.set(key, { startedAt: nowMs, requests: 1, bytes });
    if (this.windows.size > this.maxKeys) this.sweep(nowMs);
    return { write: true, previous };
  }

  /** Forgets closed windows (oldest first: the map keeps insertion order). */
  private sweep(nowMs: number): void {
    for (const [key, window] of this.windows) {
      if (nowMs - window.startedAt < LISTEN_WINDOW_MS && this.windows.size <= this.maxKeys) break;
      this.windows.delete(key);
    }
  }
}
