/**
 * The amoCRM widget as amoCRM installs it: widget.zip with manifest.json, script.js, i18n/ and
 * the logos amoCRM requires in images/ (logo_min 84×84 and logo_medium 240×84 for cards,
 * logo.png 130×100, logo_main 400×272, logo_small 108×108). Built in memory with fflate (runs on
 * Node and workerd alike); the logos are drawn here as PNGs, so no binary file has to be bundled.
 * @module
 */
import { strToU8, zipSync, zlibSync } from 'fflate';
import { WIDGET_FILES } from './files.generated';

/** amoCRM's logo files and their sizes. */
export const WIDGET_LOGOS: Record<string, [number, number]> = {
  'images/logo_min.png': [84, 84],
  'images/logo_medium.png': [240, 84],
  'images/logo.png': [130, 100],
  'images/logo_main.png': [400, 272],
  'images/logo_small.png': [108, 108],
};

/** A source file of the widget (manifest.json, script.js, i18n/en.json…), or undefined. */
export function widgetFile(name: string): string | undefined {
  return Object.hasOwn(WIDGET_FILES, name) ? WIDGET_FILES[name] : undefined;
}

let crcTable: Uint32Array | undefined;

function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of bytes) crc = (crcTable[(crc ^ b) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(strToU8(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** An RGB PNG: calltrail's green with a white band across the middle (a plain, valid logo). */
export function logoPng(width: number, height: number): Uint8Array {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit depth, truecolour, deflate, no filter, no interlace
  const rows = new Uint8Array(height * (1 + width * 3));
  const band = [Math.floor(height * 0.42), Math.ceil(height * 0.58)];
  for (let y = 0; y < height; y++) {
    const white = y >= (band[0] ?? 0) && y < (band[1] ?? 0);
    for (let x = 0; x < width; x++) rows.set(white ? [255, 255, 255] : [29, 107, 58], y * (1 + width * 3) + 1 + x * 3);
  }
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlibSync(rows, { level: 9 })),
    chunk('IEND', new Uint8Array()),
  ];
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    png.set(p, at);
    at += p.length;
  }
  return png;
}

/** widget.zip: every source file and the logos, manifest.json at the archive's root. */
export function widgetZip(): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [name, text] of Object.entries(WIDGET_FILES)) files[name] = strToU8(text);
  for (const [name, [width, height]] of Object.entries(WIDGET_LOGOS)) files[name] = logoPng(width, height);
  return zipSync(files, { level: 6, mtime: new Date('2026-01-01T00:00:00Z') });
}
