/**
 * What a recording file is, by its content — PBX file names and Content-Types are unreliable (a
 * ".mp3" that is a WAV, "application/octet-stream" for everything). WAV and MP3 are what we
 * handle; anything else gets an error that names it when we can tell, because "unknown format"
 * does not tell an admin that the PBX returned its HTML login page instead of the recording.
 * @module
 */
import { isMp3 } from './frames';
import { AudioFormatError, isWav } from './wav';

export type AudioKind = 'wav' | 'mp3';

/** 'wav' or 'mp3'; an AudioFormatError naming the format otherwise. An empty file is 'empty'. */
export function detectAudio(bytes: Uint8Array): AudioKind | 'empty' {
  if (bytes.length === 0) return 'empty';
  if (isWav(bytes)) return 'wav';
  if (isMp3(bytes)) return 'mp3';
  throw new AudioFormatError(`${describe(bytes)} is not supported (WAV and MP3 are)`);
}

const MAGIC: readonly [string, number, string][] = [
  ['RF64', 0, 'RF64 (64-bit WAV)'],
  ['OggS', 0, 'Ogg (Opus/Vorbis) audio'],
  ['fLaC', 0, 'FLAC audio'],
  ['#!AMR', 0, 'AMR audio'],
  ['FORM', 0, 'AIFF audio'],
  ['.snd', 0, 'Sun/NeXT .au audio'],
  ['ftyp', 4, 'MP4/M4A audio'],
  ['\x1aE\xdf\xa3', 0, 'Matroska/WebM'],
  ['PK\x03\x04', 0, 'a ZIP archive'],
];

function describe(bytes: Uint8Array): string {
  for (const [magic, at, name] of MAGIC) if (ascii(bytes, at, magic.length) === magic) return name;
  if (ascii(bytes, 0, 4) === 'RIFF') return `a RIFF file of type "${ascii(bytes, 8, 4)}"`;
  const text = ascii(bytes, 0, 64).trimStart().toLowerCase();
  if (text.startsWith('<')) return 'an HTML/XML document (an error or login page instead of the recording?)';
  if (text.startsWith('{') || text.startsWith('[')) return 'a JSON document (an API error instead of the recording?)';
  const layer = ((bytes[1] ?? 0) >> 1) & 3;
  if (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0 && (layer === 2 || layer === 3)) return 'MPEG audio of layer I or II';
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `an unknown format (first bytes ${head})`;
}

function ascii(bytes: Uint8Array, at: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + length));
}
