/**
 * FreePBX CDR rows → call events. The poller stores each row it reads as its own inbox body
 * (the row as JSON, keys as the table names them), so a row read twice is a duplicate and a
 * stored row replays on its own. An array of rows is accepted too.
 * @module
 */
import type { LegEnded, RecordDropped } from '../../domain/events';
import { cdrEvent, type CdrOptions } from '../asterisk/cdr';
import { dialplanRules } from '../asterisk/dialplan';
import { FREEPBX_RECORDING_PATH } from '../asterisk/recording';
import { InvalidPayloadError, numbersOf, readJsonBody, type PbxParser } from '../core/parse';
import type { FreepbxConfig, FreepbxContext } from './config';
import { readRow } from './row';

export function freepbxOptions(ctx: FreepbxContext): CdrOptions {
  const config = ctx.sources.freepbx;
  return {
    timeZone: config.time_zone ?? ctx.timeZone,
    recording: { template: config.recording_url, defaultTemplate: FREEPBX_RECORDING_PATH, emptyBytes: config.empty_recording_bytes },
    dialplan: dialplanRules(config, numbersOf(ctx)),
    answeredRequiresBridge: config.answered_requires_bridge,
  };
}

/** A row MySQL wrote with its zero date ("0000-00-00 00:00:00"): no call can be placed in time. */
function isZeroDateRow(row: unknown): boolean {
  const calldate = typeof row === 'object' && row !== null ? (row as { calldate?: unknown }).calldate : undefined;
  return typeof calldate === 'string' && /^0000-00-00/.test(calldate.trim());
}

export const freepbxParser: PbxParser<{ freepbx: FreepbxConfig }> = {
  name: 'freepbx',
  parse(raw, _meta, ctx) {
    const json = readJsonBody(raw);
    const rows = Array.isArray(json) ? json : [json];
    if (rows.length === 0) throw new InvalidPayloadError(['body: expected at least one CDR row']);
    const options = freepbxOptions(ctx);
    const problems: string[] = [];
    const events = rows.map((row, i): LegEnded | RecordDropped | null => {
      const at = Array.isArray(json) ? `[${i}]` : 'row';
      if (isZeroDateRow(row)) return { kind: 'dropped', at, reason: "calldate is MySQL's zero date (an unset DATETIME): the row records no call" };
      const cdr = readRow(row, Array.isArray(json) ? `[${i}].` : '', options.timeZone, problems);
      return cdr ? cdrEvent(cdr, options, at) : null;
    });
    if (problems.length) throw new InvalidPayloadError(problems);
    return events.filter((e): e is LegEnded | RecordDropped => e !== null);
  },
};
