/**
 * The Asterisk Manager Interface (AMI) wire protocol, read from raw TCP bytes and written as
 * actions. Portable (no node:*): the Node AMI listener feeds it socket chunks.
 *
 * What Asterisk sends: one banner line (`Asterisk Call Manager/5.0.1`), then messages — responses
 * and events — each a run of `Key: Value` lines ended by an empty line. Lines end in `\r\n`
 * (`\n` alone is accepted too). A key may repeat (`ChanVariable`, `Output`), so a message keeps
 * its headers as an ordered list. `Response: Follows` (command output of Asterisk ≤ 13) carries
 * free text up to a `--END COMMAND--` line, empty lines included.
 *
 * TCP chunks fall anywhere: a message split across chunks, several in one, a line split inside
 * a multi-byte character — lines are cut at the LF byte and only whole lines are decoded. A
 * message larger than `maxMessageBytes` is not kept: its bytes are counted and dropped up to
 * its empty line and an `oversized` frame says so, so a peer that never sends an empty line
 * cannot make this grow without bound.
 *
 * AMI is bytes, not text: each line is decoded as UTF-8 and, when it is not valid UTF-8, as
 * Windows-1251 (Russian installs write caller names in it).
 * @module
 */

/** One `Key: Value` line, the key as Asterisk wrote it. */
export type AmiHeader = readonly [key: string, value: string];

export interface AmiMessage {
  headers: AmiHeader[];
  /** Lines that are not `Key: Value`: the text of a `Response: Follows`, or stray lines. */
  output: string[];
}

export type AmiFrame =
  | { kind: 'banner'; text: string }
  | { kind: 'message'; message: AmiMessage }
  /** A message dropped for its size: `bytes` read before its end. */
  | { kind: 'oversized'; bytes: number };

/** Far above any event Asterisk writes (a Cdr event is under 1 kB); a flood past it is dropped. */
export const AMI_MAX_MESSAGE_BYTES = 256 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const END_COMMAND = '--END COMMAND--';

const utf8 = new TextDecoder('utf-8', { fatal: true });
let legacy: TextDecoder | undefined;

/** UTF-8 when the bytes are UTF-8, else Windows-1251 (else, where that is unknown, UTF-8 with U+FFFD). */
export function decodeAmiText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    legacy ??= legacyDecoder();
    return legacy.decode(bytes);
  }
}

function legacyDecoder(): TextDecoder {
  try {
    return new TextDecoder('windows-1251');
  } catch {
    return new TextDecoder('utf-8');
  }
}

/** The first value of a header, its key matched regardless of case. */
export function amiHeader(message: AmiMessage, key: string): string | undefined {
  const wanted = key.toLowerCase();
  return message.headers.find(([k]) => k.toLowerCase() === wanted)?.[1];
}

/** Every value of a (repeated) header, in order. */
export function amiHeaders(message: AmiMessage, key: string): string[] {
  const wanted = key.toLowerCase();
  return message.headers.filter(([k]) => k.toLowerCase() === wanted).map(([, v]) => v);
}

/**
 * An action as bytes to write: `Key: Value` lines and the empty line. A CR or LF in a key or
 * value would end the line early and let the rest pose as another header (a secret with a
 * newline could inject an action), so it is refused.
 */
export function formatAmiAction(headers: readonly AmiHeader[]): string {
  let text = '';
  for (const [key, value] of headers) {
    if (!/^[A-Za-z0-9_()-]+$/.test(key)) throw new Error(`AMI header name ${JSON.stringify(key)} is not a plain token`);
    if (/[\r\n]/.test(value)) throw new Error(`AMI header ${key} must not contain a line break`);
    text += `${key}: ${value}\r\n`;
  }
  return `${text}\r\n`;
}

export interface AmiReaderOptions {
  maxMessageBytes?: number;
  /** The stream starts with the banner line (a fresh connection). Default true. */
  banner?: boolean;
}

/** Where a `Response: Follows` message is: its headers, its free text, or past `--END COMMAND--`. */
type CommandPart = 'none' | 'headers' | 'output' | 'ended';

/** Reads AMI frames from a byte stream, chunk by chunk. */
export class AmiReader {
  private readonly max: number;
  private expectBanner: boolean;
  /** The unfinished line (chunks since the last LF); not kept while skipping. */
  private partial: Uint8Array[] = [];
  /** Length and first byte of the unfinished line, kept even while skipping: is it empty? */
  private lineBytes = 0;
  private firstByte = 0;
  /** Bytes of the current message's whole lines. */
  private messageBytes = 0;
  private headers: AmiHeader[] = [];
  private output: string[] = [];
  private command: CommandPart = 'none';
  /** Dropping an oversized message up to its empty line. */
  private skipping = false;
  private frames: AmiFrame[] = [];

  constructor(options: AmiReaderOptions = {}) {
    this.max = options.maxMessageBytes ?? AMI_MAX_MESSAGE_BYTES;
    this.expectBanner = options.banner ?? true;
  }

  /** Bytes held for the message being read: never more than `maxMessageBytes`. */
  get buffered(): number {
    return this.skipping ? 0 : this.messageBytes + this.lineBytes;
  }

  /** Feeds a chunk; returns the frames it completed, in order. */
  push(chunk: Uint8Array): AmiFrame[] {
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      this.collect(chunk.subarray(start, lf === -1 ? chunk.length : lf));
      if (lf === -1) break;
      this.endLine();
      start = lf + 1;
    }
    const frames = this.frames;
    this.frames = [];
    return frames;
  }

  private collect(bytes: Uint8Array) {
    if (bytes.length === 0) return;
    if (this.lineBytes === 0) this.firstByte = bytes[0] as number;
    this.lineBytes += bytes.length;
    if (this.skipping) return;
    this.partial.push(bytes.slice());
    if (this.messageBytes + this.lineBytes > this.max) this.startSkipping();
  }

  private endLine() {
    const empty = this.lineBytes === 0 || (this.lineBytes === 1 && this.firstByte === CR);
    const length = this.lineBytes + 1;
    const bytes = this.skipping ? undefined : this.joinLine();
    this.partial = [];
    this.lineBytes = 0;
    if (this.skipping) {
      this.messageBytes += length;
      if (empty || this.expectBanner) this.endSkipping();
      return;
    }
    if (this.expectBanner) {
      this.expectBanner = false;
      this.frames.push({ kind: 'banner', text: decodeAmiText(bytes as Uint8Array).trim() });
      return;
    }
    this.messageBytes += length;
    if (empty) {
      if (this.command === 'output') this.output.push('');
      else this.endMessage();
      return;
    }
    this.text(decodeAmiText(bytes as Uint8Array));
  }

  /** The line's bytes without its CR. */
  private joinLine(): Uint8Array {
    let line: Uint8Array;
    if (this.partial.length === 1) line = this.partial[0] as Uint8Array;
    else {
      line = new Uint8Array(this.lineBytes);
      let at = 0;
      for (const part of this.partial) {
        line.set(part, at);
        at += part.length;
      }
    }
    return line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line;
  }

  private text(text: string) {
    if (this.command === 'output') {
      if (text.endsWith(END_COMMAND)) {
        const rest = text.slice(0, -END_COMMAND.length);
        if (rest) this.output.push(rest);
        this.command = 'ended';
      } else this.output.push(text);
      return;
    }
    const header = this.command === 'ended' ? undefined : splitHeader(text);
    if (header) {
      const [key, value] = header;
      if (this.headers.length === 0 && key.toLowerCase() === 'response' && value.toLowerCase() === 'follows') this.command = 'headers';
      this.headers.push(header);
      return;
    }
    // Not a header: the command output after `Response: Follows` begins, or a stray line.
    if (this.command === 'headers') {
      this.command = 'output';
      this.text(text);
    } else this.output.push(text);
  }

  private endMessage() {
    if (this.headers.length > 0 || this.output.length > 0) {
      this.frames.push({ kind: 'message', message: { headers: this.headers, output: this.output } });
    }
    this.reset();
  }

  private startSkipping() {
    this.skipping = true;
    this.partial = [];
    this.headers = [];
    this.output = [];
  }

  private endSkipping() {
    this.frames.push({ kind: 'oversized', bytes: this.messageBytes });
    this.expectBanner = false;
    this.reset();
  }

  private reset() {
    this.skipping = false;
    this.messageBytes = 0;
    this.headers = [];
    this.output = [];
    this.command = 'none';
  }
}

/** `Key: Value` → [key, value] (both trimmed); undefined when the line is not a header. */
function splitHeader(text: string): AmiHeader | undefined {
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  const key = text.slice(0, colon).trim();
  if (!key || /\s/.test(key)) return undefined;
  return [key, text.slice(colon + 1).trim()];
}
