/**
 * Node's way to the LAME WebAssembly module: the package's file, read and compiled once, on the
 * first encode. Imported for its effect by every Node entry that may build call audio.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { provideLame } from '../../recordings/audio/lame';

const wasmPath = createRequire(import.meta.url).resolve('wasm-media-encoders/wasm/mp3');

export async function loadLameFromPackage(): Promise<WebAssembly.Module> {
  return WebAssembly.compile(await readFile(wasmPath));
}

provideLame(loadLameFromPackage);
