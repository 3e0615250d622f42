/**
 * LAME compiled to WebAssembly (wasm-media-encoders), the MP3 encoder of every runtime. The
 * compiled module comes from the entry, because each runtime loads a `.wasm` its own way and
 * workerd forbids compiling one from bytes at run time: the Worker imports it as a module
 * (src/entry/worker.ts), Node compiles the package's file once (src/entry/node/lame.ts). This
 * module only keeps the loader and makes encoders from what it returns.
 * @module
 */
import { createEncoder, type WasmMediaEncoder } from 'wasm-media-encoders';

export type LameLoader = () => WebAssembly.Module | Promise<WebAssembly.Module>;
export type LameEncoder = WasmMediaEncoder<'audio/mpeg'>;

let loader: LameLoader | undefined;
let compiled: Promise<WebAssembly.Module> | undefined;

/** Sets where the LAME module comes from; it is loaded on the first encode, once per process. */
export function provideLame(load: LameLoader): void {
  if (loader === load) return;
  loader = load;
  compiled = undefined;
}

/** A fresh encoder (its own WebAssembly instance, cheap once the module is compiled). */
export async function lameEncoder(): Promise<LameEncoder> {
  if (!loader) throw new Error('no MP3 encoder: the entry did not provide the LAME WebAssembly module (provideLame)');
  const load = loader;
  compiled ??= Promise.resolve().then(load);
  const module = await compiled.catch((error: unknown) => {
    compiled = undefined;
    throw error;
  });
  return createEncoder('audio/mpeg', module);
}
