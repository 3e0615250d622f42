/**
 * One connection to Asterisk's manager interface (AMI): TCP connect, the banner, `Action: Login`
 * with the event classes calltrail follows, then events until the connection ends — keeping it
 * alive with `Action: Ping` and dropping it when Asterisk stops answering (a half-open TCP
 * connection would otherwise wait forever for events that never come). calltrail sends nothing
 * else: it reads. Reconnecting is the listener's business (ami-listener.ts).
 * @module
 */
import { connect, type Socket } from 'node:net';
import type { AmiAddress } from '../../settings/env';
import type { Logger } from '../../lib/log';
import { AMI_EVENT_CLASSES } from '../../pbx/asterisk/ami-forward';
import { AmiReader, amiHeader, formatAmiAction, type AmiFrame, type AmiHeader, type AmiMessage } from '../../pbx/asterisk/ami-wire';

export interface AmiSessionOptions {
  address: AmiAddress;
  log: Logger;
  /** Each event received after the login. */
  onEvent: (message: AmiMessage) => void;
  /** The login was accepted. */
  onLogin?: () => void;
  /** Connect, banner and login must be done within this. */
  loginTimeoutMs: number;
  pingIntervalMs: number;
  /** A Ping unanswered this long drops the connection. */
  pingTimeoutMs: number;
  maxMessageBytes?: number;
}

export interface SessionEnd {
  reason: string;
  /** The login was accepted: the connection was up. */
  loggedIn: boolean;
  /** Asterisk refused the user or secret. */
  authFailed: boolean;
  /** How long it was logged in. */
  upMs: number;
}

type State = 'connecting' | 'banner' | 'login' | 'up' | 'closing' | 'ended';

export class AmiSession {
  readonly done: Promise<SessionEnd>;
  private resolveDone!: (end: SessionEnd) => void;
  private readonly socket: Socket;
  private readonly reader: AmiReader;
  private state: State = 'connecting';
  private actions = 0;
  private loginId = '';
  private upSince = 0;
  private banner = '';
  private pendingPing: string | undefined;
  private readonly loginTimer: NodeJS.Timeout;
  private pingTimer: NodeJS.Timeout | undefined;
  private pingTimeout: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: AmiSessionOptions) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.reader = new AmiReader(o.maxMessageBytes ? { maxMessageBytes: o.maxMessageBytes } : {});
    this.loginTimer = setTimeout(() => this.end(`no login within ${o.loginTimeoutMs / 1000} s (${this.state})`), o.loginTimeoutMs);
    this.socket = connect({ host: o.address.host, port: o.address.port });
    this.socket.setNoDelay(true);
    this.socket.setKeepAlive(true, 30_000);
    this.socket.on('connect', () => {
      this.state = 'banner';
      o.log.info('AMI connected', { host: o.address.host, port: o.address.port });
    });
    this.socket.on('data', (chunk: Buffer) => {
      // A fault here must end this connection, not the process.
      try {
        for (const frame of this.reader.push(chunk)) this.frame(frame);
      } catch (error) {
        this.end(`reading AMI failed: ${(error as Error).message}`);
      }
    });
    this.socket.on('error', (error: NodeJS.ErrnoException) => this.end(error.code ? `${error.code}: ${error.message}` : error.message));
    this.socket.on('close', () => this.end(this.state === 'closing' ? 'logged off' : 'connection closed by Asterisk'));
  }

  /** Logs off (when logged in) and closes; resolves when the connection is gone. */
  async close(): Promise<SessionEnd> {
    if (this.state === 'up') {
      this.state = 'closing';
      this.send([['Action', 'Logoff']]);
      // Asterisk answers `Response: Goodbye` and closes; do not wait on it for long.
      this.closeTimer = setTimeout(() => this.end('logged off'), 1000);
    } else if (this.state !== 'closing') this.end('stopped');
    return this.done;
  }

  private frame(frame: AmiFrame) {
    if (frame.kind === 'banner') return this.onBanner(frame.text);
    if (frame.kind === 'oversized') {
      if (this.state === 'banner') return this.end('not an Asterisk manager interface: no banner line');
      this.o.log.warn('an AMI message larger than the limit was dropped', { bytes: frame.bytes });
      return;
    }
    const message = frame.message;
    if (this.state === 'login') return this.loginAnswer(message);
    if (this.state !== 'up' && this.state !== 'closing') return;
    const response = amiHeader(message, 'Response');
    if (response !== undefined) {
      if (amiHeader(message, 'ActionID') === this.pendingPing) this.pong();
      return;
    }
    // Events still arriving after our Logoff were received all the same: they are stored too.
    if (amiHeader(message, 'Event') !== undefined) this.o.onEvent(message);
  }

  private onBanner(text: string) {
    if (!/Call Manager\//i.test(text)) return this.end(`not an Asterisk manager interface: its first line is ${JSON.stringify(text.slice(0, 60))}`);
    this.banner = text.slice(0, 60);
    this.state = 'login';
    this.loginId = this.send([
      ['Action', 'Login'],
      ['Username', this.o.address.username],
      ['Secret', this.o.address.secret],
      ['Events', AMI_EVENT_CLASSES],
    ]);
  }

  private loginAnswer(message: AmiMessage) {
    const response = amiHeader(message, 'Response');
    const id = amiHeader(message, 'ActionID');
    if (response === undefined || (id !== undefined && id !== this.loginId)) return;
    if (response.toLowerCase() !== 'success') {
      const said = amiHeader(message, 'Message') ?? response;
      return this.end(`login refused (${said}): check the user and secret of ASTERISK_AMI_URL against manager.conf`, true);
    }
    this.state = 'up';
    this.upSince = Date.now();
    clearTimeout(this.loginTimer);
    this.pingTimer = setInterval(() => this.ping(), this.o.pingIntervalMs);
    this.o.log.info('AMI logged in; following Cdr, CEL and call events', { host: this.o.address.host, port: this.o.address.port, banner: this.banner });
    this.o.onLogin?.();
  }

  private ping() {
    if (this.pendingPing !== undefined || this.state !== 'up') return;
    this.pendingPing = this.send([['Action', 'Ping']]);
    this.pingTimeout = setTimeout(() => this.end(`no answer to Ping within ${this.o.pingTimeoutMs / 1000} s`), this.o.pingTimeoutMs);
  }

  private pong() {
    this.pendingPing = undefined;
    clearTimeout(this.pingTimeout);
  }

  /** Writes an action with a fresh ActionID; returns the id. */
  private send(headers: AmiHeader[]): string {
    const id = `calltrail-${++this.actions}`;
    this.socket.write(formatAmiAction([...headers.slice(0, 1), ['ActionID', id], ...headers.slice(1)]));
    return id;
  }

  private end(reason: string, authFailed = false) {
    if (this.state === 'ended') return;
    const loggedIn = this.upSince > 0;
    this.state = 'ended';
    clearTimeout(this.loginTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.pingTimeout);
    clearTimeout(this.closeTimer);
    this.socket.destroy();
    this.resolveDone({ reason, loggedIn, authFailed, upMs: loggedIn ? Date.now() - this.upSince : 0 });
  }
}
