/**
 * A fake Asterisk manager interface for tests: a TCP server that speaks AMI as manager.c does —
 * the banner, Login checked against one user (a wrong secret gets `Response: Error` /
 * `Authentication failed` and the connection closed), Ping answered with Pong (unless told not
 * to), Logoff answered with Goodbye and the connection closed — and that sends the events a test
 * gives it, in chunks of any size, to the logged-in connections. It records every action received.
 * @module
 */
import { createServer, type Server, type Socket } from 'node:net';
import { AmiReader, amiHeader, type AmiMessage } from '../../pbx/asterisk/ami-wire';

export interface ReceivedAction {
  action: string;
  message: AmiMessage;
  at: number;
}

export interface FakeAmiOptions {
  username?: string;
  secret?: string;
  banner?: string;
  /** Answer Ping actions. Default true. */
  answerPings?: boolean;
}

export interface FakeAmi {
  port: number;
  url: string;
  actions: ReceivedAction[];
  options: Required<FakeAmiOptions>;
  /** Connections accepted so far. */
  connections: number;
  /** Logged-in connections now. */
  loggedIn(): number;
  /** An event (headers, or raw bytes) to every logged-in connection, written `chunkSize` bytes at a time. */
  sendEvent(event: Record<string, string> | Uint8Array, chunkSize?: number): Promise<void>;
  /** Drops every connection (Asterisk restarting, a network cut). */
  dropAll(): void;
  waitFor(what: string, ready: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const crlf = (headers: Record<string, string>) =>
  `${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

export async function startFakeAmi(options: FakeAmiOptions = {}): Promise<FakeAmi> {
  const o: Required<FakeAmiOptions> = { username: 'calltrail', secret: 'ami-secret', banner: 'Asterisk Call Manager/5.0.1', answerPings: true, ...options };
  const sockets = new Set<Socket>();
  const authed = new Set<Socket>();
  const actions: ReceivedAction[] = [];
  const server: Server = createServer((socket) => {
    fake.connections++;
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      authed.delete(socket);
    });
    socket.on('error', () => undefined);
    socket.write(`${o.banner}\r\n`);
    const reader = new AmiReader({ banner: false });
    socket.on('data', (chunk) => {
      for (const frame of reader.push(chunk)) if (frame.kind === 'message') answer(socket, frame.message);
    });
  });

  function answer(socket: Socket, message: AmiMessage) {
    const action = (amiHeader(message, 'Action') ?? '').toLowerCase();
    actions.push({ action, message, at: Date.now() });
    const id = amiHeader(message, 'ActionID');
    const withId = (headers: Record<string, string>) => crlf({ Response: headers.Response as string, ...(id ? { ActionID: id } : {}), ...headers });
    if (action === 'login') {
      if (amiHeader(message, 'Username') === o.username && amiHeader(message, 'Secret') === o.secret) {
        authed.add(socket);
        socket.write(withId({ Response: 'Success', Message: 'Authentication accepted' }));
      } else socket.end(withId({ Response: 'Error', Message: 'Authentication failed' }));
    } else if (!authed.has(socket)) socket.write(withId({ Response: 'Error', Message: 'Permission denied' }));
    else if (action === 'ping') {
      if (o.answerPings) socket.write(withId({ Response: 'Success', Ping: 'Pong', Timestamp: (Date.now() / 1000).toFixed(6) }));
    } else if (action === 'logoff') socket.end(withId({ Response: 'Goodbye', Message: 'Thanks for all the fish.' }));
    else socket.write(withId({ Response: 'Error', Message: 'Invalid/unknown command' }));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const fake: FakeAmi = {
    port,
    url: `tcp://${o.username}:${o.secret}@127.0.0.1:${port}`,
    actions,
    options: o,
    connections: 0,
    loggedIn: () => authed.size,
    async sendEvent(event, chunkSize) {
      const bytes = event instanceof Uint8Array ? event : new TextEncoder().encode(crlf(event));
      const size = chunkSize ?? bytes.length;
      for (const socket of authed) {
        for (let i = 0; i < bytes.length; i += size) {
          socket.write(bytes.subarray(i, i + size));
          // Let each piece go out as its own TCP segment.
          if (size < bytes.length) await new Promise((resolve) => setImmediate(resolve));
        }
      }
    },
    dropAll() {
      for (const socket of sockets) socket.destroy();
      // At once, not on 'close': a wait for the next login must not count a dropped one.
      authed.clear();
    },
    async waitFor(what, ready, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!ready()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async close() {
      fake.dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
