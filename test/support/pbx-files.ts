/**
 * A PBX's recording server for tests: serves the files it is given over HTTP on 127.0.0.1 and
 * counts the requests it gets, so a test can tell whether calltrail fetched (or refused to fetch).
 */
import { createServer, type Server } from 'node:http';
import { interleave16, tone, wavFile } from '../../src/recordings/audio/testing/signals';

export interface FileServer {
  url(path: string): string;
  /** The host calltrail must allow: 127.0.0.1. */
  host: string;
  requests: string[];
  put(path: string, bytes: Uint8Array, status?: number): void;
  close(): Promise<void>;
}

export async function fileServer(): Promise<FileServer> {
  const files = new Map<string, { bytes: Uint8Array; status: number }>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const file = files.get(req.url ?? '');
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(file.status, { 'content-type': 'audio/wav', 'content-length': String(file.bytes.length) });
    res.end(Buffer.from(file.bytes));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    host: '127.0.0.1',
    requests,
    put: (path, bytes, status = 200) => files.set(path, { bytes, status }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A PCM WAV of a tone, as Asterisk or FreeSWITCH writes one. */
export function toneWav(seconds: number, sampleRate = 8000, channels = 1, frequency = 440): Uint8Array {
  const channel = tone(seconds, sampleRate, frequency);
  const data = channels === 2 ? interleave16(channel, tone(seconds, sampleRate, frequency * 2)) : interleave16(channel);
  return wavFile({ code: 1, channels, sampleRate, bits: 16, data });
}
