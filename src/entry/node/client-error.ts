/**
 * Requests Node's HTTP parser refuses before Hono sees them — headers over --max-http-header-size
 * (431), a malformed request line or header (400), a request that took too long to arrive (408),
 * chunk extensions too large (413) — answered with the same JSON envelope as every other error,
 * instead of Node's bare status line. The rules are Node's own (lib/_http_server.js socketOnError):
 * answer only while the socket is writable and no response has begun on it; the parser reports
 * every later chunk of a broken request again, so a socket gets one answer at most.
 *
 * Workers has no equivalent hook: under workerd (wrangler dev, workerd 1.20261117) headers up to
 * about 420 KB reach the Worker, beyond that workerd answers `431 text/plain "message head is too
 * large"` and a bad request line `400 text/plain "invalid HTTP version parsed"` itself; on
 * Cloudflare the edge refuses request headers over 128 KB before the Worker runs.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { maxHeaderSize, STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../../domain/errors';
import { ERROR_STATUS, type ErrorEnvelope } from '../../http/core/errors';
import type { Logger } from '../../lib/log';

/** How long a refused client may keep the socket while it reads the answer. */
const LINGER_MS = 2_000;

interface Refusal {
  status: number;
  code: ErrorCode;
  message: string;
}

const refusal = (code: ErrorCode, message: string): Refusal => ({ status: ERROR_STATUS[code], code, message });

export function refusalFor(errorCode: string | undefined, maxHeaderBytes: number): Refusal {
  switch (errorCode) {
    case 'HPE_HEADER_OVERFLOW':
      return refusal('header_too_large', `the request's headers are larger than the ${maxHeaderBytes} bytes this server accepts`);
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return refusal('payload_too_large', 'the chunk extensions of the request body are too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return refusal('request_timeout', 'the request did not arrive in time');
    default:
      return refusal('bad_request', `the request is not valid HTTP/1.1 (${errorCode ?? 'unreadable'})`);
  }
}

/** The raw HTTP/1.1 answer: the socket has no ServerResponse to write through. */
export function rawAnswer(refusal: Refusal, requestId: string): string {
  const envelope: ErrorEnvelope = { error: { code: refusal.code, message: refusal.message, requestId } };
  const body = JSON.stringify(envelope);
  return [
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? 'Error'}`,
    'Content-Type: application/json; charset=UTF-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** Installs the handler on a server; Node's default answer no longer runs once one is installed. */
export function answerClientErrors(server: Server, log: Logger): void {
  const answered = new WeakSet<Duplex>();
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // A broken request pipelined behind a good one: the good one's answer owns the socket, and
    // bytes of ours would be spliced into it. It finishes; the broken one gets the closed connection.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (inFlight) {
      inFlight.once('close', () => socket.end());
      return;
    }
    const refusal = refusalFor(error.code, maxHeaderSize);
    const requestId = randomUUID();
    // The raw bytes are never logged: they may hold tokens, cookies or phone numbers.
    log.info('request refused by the HTTP parser', { status: refusal.status, code: error.code, requestId });
    // end(), not write()+destroy(): the answer is flushed before the FIN. Whatever the client
    // still sends is read and dropped, so the close does not turn into a reset that eats the answer.
    socket.on('data', () => undefined);
    socket.end(rawAnswer(refusal, requestId));
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  });
}
