import { describe, expect, it } from 'vitest';
import { LISTEN_WINDOW_MS, ListenFolder } from './listens';

describe('ListenFolder', () => {
  it('writes the first request of a window and folds the rest, then carries their totals into the next entry', () => {
    const folder = new ListenFolder();
    expect(folder.record('link|ip|ua', 100, 0)).toEqual({ write: true, previous: null });
    expect(folder.record('link|ip|ua', 200, 1_000)).toEqual({ write: false });
    expect(folder.record('link|ip|ua', 300, LISTEN_WINDOW_MS - 1)).toEqual({ write: false });
    // Another client of the same link is another listen.
    expect(folder.record('link|ip2|ua', 50, 2_000)).toEqual({ write: true, previous: null });
    expect(folder.record('link|ip|ua', 10, LISTEN_WINDOW_MS)).toEqual({ write: true, previous: { requests: 3, bytes: 600 } });
  });

  it('stays bounded', () => {
    const folder = new ListenFolder(10);
    for (let i = 0; i < 50; i++) folder.record(`k${i}`, 1, i);
    // The oldest were dropped: k0 opens a window again.
    expect(folder.record('k0', 1, 100).write).toBe(true);
  });
});
