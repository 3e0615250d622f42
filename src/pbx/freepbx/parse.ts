/**
 * FreePBX CDR rows → call events. The poller stores each row it reads as its own inbox body
 * (the row as JSON, keys as the table names them), so a row read twice is a duplicate and a
 * stored row replays on its own. An array of rows is accepted too.
 * @module
 */
import type { LegEnded } from '../../domain/events';
import { cdrToLeg, type CdrOptions } from '../asterisk/cdr';
import { FREEPBX_RECORDING_PATH } from '../asterisk/recording';
import { InvalidPayloadError, type ParseContext, type PbxParser } from '../source';
import { readRow } from './row';

export function freepbxOptions(ctx: ParseContext): CdrOptions {
  const config = ctx.sources.freepbx;
  return {
    timeZone: config.time_zone ?? ctx.timeZone,
    recording: { template: config.recording_url, defaultTemplate: FREEPBX_RECORDING_PATH, emptyBytes: config.empty_recording_bytes },
  };
}

export const freepbxParser: PbxParser = {
  name: 'freepbx',
  parse(raw, _meta, ctx) {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      throw new InvalidPayloadError([`body is not valid JSON: ${(error as Error).message}`]);
    }
    const rows = Array.isArray(json) ? json : [json];
    if (rows.length === 0) throw new InvalidPayloadError(['body: expected at least one CDR row']);
    const options = freepbxOptions(ctx);
    const problems: string[] = [];
    const legs = rows.map((row, i) => {
      const cdr = readRow(row, Array.isArray(json) ? `[${i}].` : '', options.timeZone, problems);
      return cdr ? cdrToLeg(cdr, options) : null;
    });
    if (problems.length) throw new InvalidPayloadError(problems);
    return legs.filter((leg): leg is LegEnded => leg !== null);
  },
};
