import { describe, expect, it } from 'vitest';
import * as t from './fixtures/inbound-transfer';
import { mangoDedupeKey } from './timeline';

const body = (json: unknown) => new URLSearchParams({ vpbx_api_key: 'k', sign: 's', json: JSON.stringify(json) }).toString();

describe('Mango natural ids', () => {
  it("names each notification by Mango's own ids, whatever the JSON formatting", () => {
    expect(mangoDedupeKey('call', body(t.connected333))).toBe('call:MToxMDE2MzUyODozMDA6MjAw:2');
    expect(mangoDedupeKey('call', body({ ...t.connected333, seq: '2', extra: 1 }))).toBe('call:MToxMDE2MzUyODozMDA6MjAw:2');
    expect(mangoDedupeKey('summary', body(t.summary))).toBe(`summary:${t.ENTRY}`);
    expect(mangoDedupeKey('recording', body(t.recording333Started))).toBe('recording:MToxMDE2MzUyODozMzM6cmVj:Started:1');
    expect(mangoDedupeKey('recording', body(t.recording333Completed))).toBe('recording:MToxMDE2MzUyODozMzM6cmVj:Completed:2');
  });

  it('leaves an unreadable body to the default (a hash of the raw body)', () => {
    expect(mangoDedupeKey('call', 'json=%7B')).toBeUndefined();
    expect(mangoDedupeKey('summary', body({}))).toBeUndefined();
  });
});
