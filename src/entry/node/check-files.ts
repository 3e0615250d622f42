/**
 * PBX export files → the bodies the PBX would have sent, each with the meta its route would keep,
 * for `calltrail check` and the field corpus. What a file is comes from its content:
 *
 *  - asterisk: Master.csv (or a cdr_custom CSV) — each line a body, as the push forwarder and
 *    the import send them; or AMI events as JSON;
 *  - freepbx: a JSON array of cdr rows, or a CSV dump of the cdr table with a header line — each
 *    row a body, as the poller stores them;
 *  - every source: a JSON array of requests `[{"body", "content_type", "query", "path"}]` (the
 *    field corpus's bodies.json), or one body as the PBX posted it.
 * @module
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { chooseCharset, decodeText, type CharsetSetting } from '../../lib/charset';
import { CSV_OPTIONS } from '../../pbx/asterisk/csv';
import { BYTE_ENCODING, decodeRecord } from './csv-charset';
import type { DryRunBody } from '../../ledger/dry-run';

interface Request {
  body: string;
  content_type?: string;
  query?: string;
  path?: string;
}

export function bodiesFromFile(source: string, file: string, charset: CharsetSetting = 'auto'): DryRunBody[] {
  const bytes = readFileSync(file);
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const text = decodeText(bytes, bom ? 'utf-8' : chooseCharset([bytes], charset)).replace(/^\ufeff/, '');
  const name = basename(file);
  const requests = requestList(text);
  if (requests) return withMangoTimelines(requests.map((r, i) => requestBody(source, r, `${name} [${i}]`)));
  if (source === 'asterisk' && !/^\s*[[{]/.test(text)) return csvLines(bom ? text : bytes.toString(BYTE_ENCODING), name, bom ? null : charset);
  if (source === 'freepbx') return freepbxRows(text, name);
  const contentType = /^\s*[[{]/.test(text) ? 'application/json' : 'application/x-www-form-urlencoded';
  return [requestBody(source, { body: text.replace(/\r?\n$/, ''), content_type: contentType }, name)];
}

/** `[{"body": "…", …}]`: requests as captured; anything else is no request list. */
function requestList(text: string): Request[] | null {
  if (!/^\s*\[/.test(text)) return null;
  try {
    const json: unknown = JSON.parse(text);
    const isRequest = (r: unknown): r is Request => typeof r === 'object' && r !== null && typeof (r as Request).body === 'string';
    return Array.isArray(json) && json.length > 0 && json.every(isRequest) ? json : null;
  } catch {
    return null;
  }
}

/** Each Master.csv line as its own body, as the forwarder and the import send them (decoded as they do). */
function csvLines(text: string, name: string, charset: CharsetSetting | null): DryRunBody[] {
  const records = parseCsv(text, { ...CSV_OPTIONS, info: true, raw: true }) as unknown as { record: string[]; raw: string; info: { lines: number } }[];
  return records.map(({ record, raw: bytes, info }) => {
    // null: the text is decoded already (a UTF-8 byte order mark); else it holds the bytes as latin1.
    const raw = (charset === null ? bytes : decodeRecord(record, bytes, charset).raw).replace(/\r?\n$/, '');
    const line = info.lines - (raw.split('\n').length - 1);
    return { source: 'asterisk', raw, meta: { content_type: 'text/csv', first_line: String(line) }, at: `${name}` };
  });
}

/** A JSON array of cdr rows, or a CSV dump with a header: each row a body, as the poller stores it. */
function freepbxRows(text: string, name: string): DryRunBody[] {
  let rows: unknown[];
  if (/^\s*[[{]/.test(text)) {
    const json: unknown = JSON.parse(text);
    rows = Array.isArray(json) ? json : [json];
  } else {
    rows = parseCsv(text, { ...CSV_OPTIONS, columns: true }) as Record<string, string>[];
  }
  return rows.map((row, i) => ({ source: 'freepbx', raw: JSON.stringify(row), meta: {}, at: `${name} [${i}]` }));
}

/**
 * A Mango call notification is stored with the call's other notifications already received
 * (`meta.timeline`, see pbx/mango/timeline.ts): here, the ones earlier in the file.
 */
function withMangoTimelines(bodies: DryRunBody[]): DryRunBody[] {
  const seen = new Map<string, string[]>();
  return bodies.map((b) => {
    if (b.source !== 'mango' || b.meta.event !== 'call') return b;
    const json = new URLSearchParams(b.raw).get('json');
    const callId = json ? callIdOf(json) : undefined;
    if (!json || !callId) return b;
    const earlier = seen.get(callId) ?? [];
    seen.set(callId, [...earlier, json]);
    return earlier.length ? { ...b, meta: { ...b.meta, timeline: JSON.stringify([...earlier].sort()) } } : b;
  });
}

function callIdOf(json: string): string | undefined {
  try {
    const id = (JSON.parse(json) as { call_id?: unknown }).call_id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** A captured request → its body and the meta its route keeps (each source's webhook descriptor, pbx/<vendor>/webhook.ts). */
function requestBody(source: string, r: Request, at: string): DryRunBody {
  const meta: Record<string, string> = {};
  if (r.content_type) meta.content_type = r.content_type;
  const query = new URLSearchParams(r.query ?? '');
  if (source === 'freeswitch' && query.get('uuid')) meta.uuid = query.get('uuid') as string;
  if (source === 'twilio') meta.callback = r.path?.endsWith('/recording') ? 'recording' : 'status';
  if (source === 'mango') meta.event = /\/events\/(summary|recording|call)$/.exec(r.path ?? '')?.[1] ?? 'summary';
  return { source, raw: r.body, meta, at };
}
