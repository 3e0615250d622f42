/**
 * Text from the bytes a PBX sent, in the charset it wrote them in. Most PBXs write UTF-8; Asterisk
 * installs in Russia write caller names (clid) in Windows-1251, and some older gear KOI8-R. A
 * source's `charset` setting says which: `auto` reads UTF-8 and falls back to Windows-1251 when the
 * bytes are not valid UTF-8. A Windows-1251 name is valid UTF-8 by accident only in rare spots (a
 * capital followed by Ё/ё or by typographic punctuation, and nothing else non-ASCII in the whole
 * body); an installation that writes only cp1251 can say so and never rely on the guess.
 *
 * Form bodies (application/x-www-form-urlencoded) are ASCII on the wire: their text is in the
 * percent-decoded values, so the charset is chosen and applied there, and a form that needs another
 * charset than UTF-8 is written again as a UTF-8 form, the spelling every parser reads.
 *
 * Uses the platform TextDecoder, which Node (full ICU) and workerd both provide for these labels.
 * @module
 */
import * as z from 'zod';
import { hasHighBytes, parseFormBytes } from './form-bytes';

export const CHARSETS = ['auto', 'utf-8', 'windows-1251', 'koi8-r'] as const;
export type CharsetSetting = (typeof CHARSETS)[number];
export type Charset = Exclude<CharsetSetting, 'auto'>;

/** What `auto` reads bytes that are not UTF-8 as. */
export const FALLBACK_CHARSET: Charset = 'windows-1251';

export const charsetSchema = z
  .enum(CHARSETS)
  .default('auto')
  .describe(
    'How the PBX encodes text. auto: UTF-8, or Windows-1251 when the bytes are not valid UTF-8 (Asterisk installs ' +
      'that write caller names in cp1251); or always utf-8, windows-1251 or koi8-r. For form bodies it applies to ' +
      'the percent-decoded values. Signatures are always checked over the bytes as sent.',
  );

const decoders = new Map<string, TextDecoder>();

function decoder(charset: Charset, fatal: boolean): TextDecoder {
  const id = `${charset}:${fatal}`;
  let found = decoders.get(id);
  if (!found) decoders.set(id, (found = new TextDecoder(charset, { fatal })));
  return found;
}

export function isUtf8(bytes: Uint8Array): boolean {
  try {
    decoder('utf-8', true).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The charset these byte strings are read in under a setting (auto: UTF-8 only if every one is). */
export function chooseCharset(parts: readonly Uint8Array[], setting: CharsetSetting): Charset {
  if (setting !== 'auto') return setting;
  return parts.every(isUtf8) ? 'utf-8' : FALLBACK_CHARSET;
}

/** Never throws: bytes a charset has no character for become U+FFFD. */
export function decodeText(bytes: Uint8Array, charset: Charset): string {
  return decoder(charset, false).decode(bytes);
}

export interface DecodedBody {
  text: string;
  /** The charset the text was read in. */
  charset: Charset;
}

/**
 * A request body as text. `form`: the body is an HTML form, whose values carry the text; it is
 * kept as sent unless a value needs a charset other than UTF-8, and then written again in UTF-8.
 */
export function decodeBody(body: Uint8Array, setting: CharsetSetting, form: boolean): DecodedBody {
  if (!form) {
    const charset = chooseCharset([body], setting);
    return { text: decodeText(body, charset), charset };
  }
  const pairs = parseFormBytes(body);
  if (!hasHighBytes(pairs)) return { text: decodeText(body, 'utf-8'), charset: 'utf-8' };
  const charset = chooseCharset(pairs.flat(), setting);
  if (charset === 'utf-8') return { text: decodeText(body, 'utf-8'), charset };
  const params = new URLSearchParams();
  for (const [name, value] of pairs) params.append(decodeText(name, charset), decodeText(value, charset));
  return { text: params.toString(), charset };
}
