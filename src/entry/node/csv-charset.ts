/**
 * Master.csv written in a legacy charset (Asterisk installs in Russia write caller names in
 * Windows-1251): the file is split into records byte for byte (read as latin1, where a character
 * is a byte), then each record is decoded by `sources.asterisk.charset` — `auto`: UTF-8 when its
 * bytes are valid UTF-8, else Windows-1251 — exactly as the push endpoint decodes a body. The
 * import and `calltrail check` store and read the same text the webhook would.
 * @module
 */
import { open } from 'node:fs/promises';
import { chooseCharset, decodeText, type CharsetSetting } from '../../lib/charset';

/** csv-parse's encoding for byte-exact records. */
export const BYTE_ENCODING = 'latin1';

const ASCII = /^[\x00-\x7f]*$/;

/** A record read as latin1 → its values and raw text in the record's own charset. */
export function decodeRecord(values: string[], raw: string, setting: CharsetSetting): { values: string[]; raw: string } {
  if (ASCII.test(raw)) return { values, raw };
  const charset = chooseCharset([Buffer.from(raw, BYTE_ENCODING)], setting);
  const decode = (text: string) => (ASCII.test(text) ? text : decodeText(Buffer.from(text, BYTE_ENCODING), charset));
  return { values: values.map(decode), raw: decode(raw) };
}

/** A UTF-8 byte order mark: the file is UTF-8 whatever the setting (csv-parse then decodes it as such). */
export async function startsWithUtf8Bom(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = new Uint8Array(3);
    const { bytesRead } = await handle.read(head, 0, 3, 0);
    return bytesRead === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
  } finally {
    await handle.close();
  }
}
