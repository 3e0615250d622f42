/** Every test process encodes MP3 as the Node service does: LAME's WebAssembly module from the package. */
import '../../src/entry/node/lame';
