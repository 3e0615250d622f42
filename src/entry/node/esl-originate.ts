/**
 * Click-to-call through FreeSWITCH's event socket (mod_event_socket, inbound mode), Node only
 * (https://developer.signalwire.com/freeswitch/FreeSWITCH-Explained/Modules/mod_event_socket_1048924/,
 * the originate command: https://developer.signalwire.com/freeswitch/FreeSWITCH-Explained/Modules/mod-commands/#originate).
 * One short session per request on FREESWITCH_ESL ("host:port:password"):
 *
 *     ← Content-Type: auth/request
 *     → auth <password>                        ← command/reply, Reply-Text: +OK accepted (or -ERR invalid)
 *     → event plain BACKGROUND_JOB             ← command/reply, +OK event listener enabled plain
 *     → bgapi originate {origination_caller_id_number=…}user/101 74951234567 XML default
 *                                              ← command/reply, Reply-Text: +OK Job-UUID: <uuid>
 *     ← text/event-plain BACKGROUND_JOB for that Job-UUID, its body "+OK <call uuid>" or "-ERR <cause>"
 *     → exit
 *
 * FreeSWITCH rings the rep's registered user first and, once answered, sends the customer's number
 * through the dialplan and context given (`sources.freeswitch.click_to_call.dial_string`). The
 * background job ends when the rep answers or the ringing fails; a failure to ring the rep at all
 * (USER_NOT_REGISTERED, SUBSCRIBER_ABSENT …) comes back within `confirmMs` and is the rep's
 * refusal; with no word by then the phone is ringing and the call is requested, named by its Job-UUID.
 * @module
 */
import { connect } from 'node:net';
import type { Logger } from '../../lib/log';
import { type OriginateDeps, type OriginateRequest, type OriginateResult, type PbxOriginator, refused } from '../../pbx/core/originate';
import type { FreeswitchConfig } from '../../pbx/freeswitch/config';

export interface EslAddress {
  host: string;
  port: number;
  password: string;
}

/** FREESWITCH_ESL: "host:port:password" (the password may itself contain ':'). */
export function parseEslAddress(value: string): EslAddress {
  const match = /^([^:\s]+):(\d{1,5}):(.+)$/.exec(value.trim());
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535 || /[\r\n]/.test(match[3] ?? '')) {
    throw new Error('FREESWITCH_ESL: expected "host:port:password", such as "127.0.0.1:8021:ClueCon"');
  }
  return { host: match[1] as string, port, password: match[3] as string };
}

export interface EslOriginateOptions {
  address: EslAddress | undefined;
  log?: Logger;
  /** Connect, auth and the bgapi's reply must come within this. Default 8 s. */
  answerTimeoutMs?: number;
  /** How long to wait for the job's result once queued. Default 3 s. */
  confirmMs?: number;
}

type EslOriginateDeps = OriginateDeps<unknown, { freeswitch: FreeswitchConfig }>;
type ClickToCall = FreeswitchConfig['click_to_call'];

const TOKEN = /^[\w.+*#@-]{1,64}$/;

export function eslOriginator(options: EslOriginateOptions): PbxOriginator<EslOriginateDeps> {
  return {
    source: 'freeswitch',
    enabled: (deps) => options.address !== undefined && deps.config.sources.freeswitch.click_to_call.enabled,
    enableHint: 'set FREESWITCH_ESL ("host:port:password" of the event socket) and run calltrail on Node',
    async originate(request, deps) {
      if (!options.address) return refused('FreeSWITCH click-to-call is not set up (FREESWITCH_ESL)', false);
      if (!TOKEN.test(request.extension)) return refused(`"${request.extension}" is not a user FreeSWITCH can ring`, false);
      const args = originateArgs(request, deps.config.sources.freeswitch.click_to_call);
      if (!args) return refused("the customer's number or the caller ID cannot go into the dial string", false);
      const result = await new EslSession(options.address, args, options).run();
      if (result.status === 'refused')
        options.log?.warn('FreeSWITCH refused an originate', { id: request.id, extension: request.extension, reason: result.reason });
      return result;
    },
  };
}

/** The originate command's arguments from the template; null when a value could break out of it. */
export function originateArgs(request: OriginateRequest, settings: ClickToCall): string | null {
  const digits = request.phone.replace(/\D/g, '');
  const callerId = (request.callerId ?? settings.caller_id ?? '').replace(/[^\d+]/g, '');
  if (!digits) return null;
  let template = settings.dial_string;
  if (!callerId) {
    // Without a caller ID, its variables go: {a={caller_id},b=x} → {b=x}, and an empty {} with them.
    template = template.replaceAll('{caller_id}', '\u0000').replace(/\{([^{}]*)\}/g, (block: string, inner: string) => {
      if (!inner.includes('\u0000')) return block;
      const kept = inner.split(',').filter((pair) => !pair.includes('\u0000'));
      return kept.length ? `{${kept.join(',')}}` : '';
    });
  }
  const args = template
    .replaceAll('{extension}', request.extension)
    .replaceAll('{digits}', digits)
    .replaceAll('{phone}', `+${digits}`)
    .replaceAll('{caller_id}', callerId)
    .replaceAll('\u0000', '')
    .trim();
  return /[\r\n]/.test(args) ? null : args;
}

interface EslMessage {
  headers: Record<string, string>;
  body: string;
}

/** Reads ESL messages: headers up to an empty line, then Content-Length bytes of body. */
export class EslReader {
  private buffer = Buffer.alloc(0);

  push(chunk: Buffer): EslMessage[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const messages: EslMessage[] = [];
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end === -1) break;
      const headers = parseHeaders(this.buffer.subarray(0, end).toString('utf8'));
      const length = Number(headers['content-length'] ?? 0);
      if (this.buffer.length < end + 2 + length) break;
      messages.push({ headers, body: this.buffer.subarray(end + 2, end + 2 + length).toString('utf8') });
      this.buffer = this.buffer.subarray(end + 2 + length);
    }
    if (this.buffer.length > 1_000_000) throw new Error('an event socket message over 1 MB');
    return messages;
  }
}

/** `Key: Value` lines, keys lower-cased, values URL-decoded where they are (event-plain encodes them). */
export function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const raw = line.slice(colon + 1).trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      value = raw;
    }
    headers[line.slice(0, colon).trim().toLowerCase()] = value;
  }
  return headers;
}

type Step = 'auth' | 'subscribe' | 'bgapi' | 'confirm' | 'done';

/** One short event-socket session that runs one `bgapi originate`. */
class EslSession {
  private readonly reader = new EslReader();
  private step: Step = 'auth';
  private jobUuid = '';
  private resolve!: (result: OriginateResult) => void;
  private readonly socket;
  private timer: NodeJS.Timeout;

  constructor(
    private readonly address: EslAddress,
    private readonly args: string,
    private readonly o: EslOriginateOptions,
  ) {
    this.socket = connect({ host: address.host, port: address.port });
    this.timer = setTimeout(() => this.finish(refused('FreeSWITCH did not answer in time; try again in a minute', true)), o.answerTimeoutMs ?? 8000);
  }

  run(): Promise<OriginateResult> {
    const done = new Promise<OriginateResult>((resolve) => (this.resolve = resolve));
    this.socket.on('data', (chunk: Buffer) => {
      try {
        for (const message of this.reader.push(chunk)) this.onMessage(message);
      } catch {
        this.finish(refused('FreeSWITCH answered something calltrail cannot read; try again in a minute', true));
      }
    });
    this.socket.on('error', () => this.finish(refused('FreeSWITCH could not be reached; try again in a minute', true)));
    this.socket.on('close', () => this.finish(refused('FreeSWITCH closed the connection; try again in a minute', true)));
    return done;
  }

  private onMessage(message: EslMessage) {
    const type = message.headers['content-type'];
    const reply = message.headers['reply-text'] ?? '';
    if (type === 'auth/request' && this.step === 'auth') return this.socket.write(`auth ${this.address.password}\n\n`);
    if (type === 'text/event-plain') return this.onEvent(parseEvent(message.body));
    if (type !== 'command/reply') return;
    if (this.step === 'auth') {
      if (!reply.startsWith('+OK'))
        return this.finish(refused("FreeSWITCH refused calltrail's event socket password: ask the admin to check FREESWITCH_ESL", false));
      this.step = 'subscribe';
      return this.socket.write('event plain BACKGROUND_JOB\n\n');
    }
    if (this.step === 'subscribe') {
      this.step = 'bgapi';
      return this.socket.write(`bgapi originate ${this.args}\n\n`);
    }
    if (this.step === 'bgapi') {
      if (!reply.startsWith('+OK')) return this.finish(originateFailure(reply));
      this.jobUuid = message.headers['job-uuid'] ?? reply.replace(/^\+OK Job-UUID:\s*/, '');
      this.step = 'confirm';
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.finish({ status: 'requested', vendorRef: this.jobUuid || null }), this.o.confirmMs ?? 3000);
    }
  }

  private onEvent(event: EslMessage) {
    if (this.step !== 'confirm' || event.headers['event-name'] !== 'BACKGROUND_JOB' || event.headers['job-uuid'] !== this.jobUuid) return;
    const result = event.body.trim();
    this.finish(result.startsWith('+OK') ? { status: 'requested', vendorRef: this.jobUuid } : originateFailure(result));
  }

  private finish(result: OriginateResult) {
    if (this.step === 'done') return;
    this.step = 'done';
    clearTimeout(this.timer);
    if (this.socket.writable) this.socket.end('exit\n\n');
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.resolve(result);
  }
}

/** An event-plain body: the event's headers, then its own Content-Length of body. */
function parseEvent(text: string): EslMessage {
  const end = text.indexOf('\n\n');
  const headers = parseHeaders(end === -1 ? text : text.slice(0, end));
  return { headers, body: end === -1 ? '' : text.slice(end + 2) };
}

/** `-ERR <cause>` of originate, in words for the rep. */
export function originateFailure(text: string): OriginateResult {
  const cause =
    text
      .replace(/^-ERR\s*/, '')
      .trim()
      .split(/\s/)[0] ?? '';
  switch (cause) {
    case 'USER_NOT_REGISTERED':
    case 'SUBSCRIBER_ABSENT':
      return refused('your phone is not registered with FreeSWITCH: check that it is on and signed in', false);
    case 'USER_BUSY':
      return refused('your phone is busy; try again when it is free', true);
    case 'NO_ANSWER':
    case 'NO_USER_RESPONSE':
    case 'ORIGINATOR_CANCEL':
      return refused('your phone rang but nobody answered', true);
    case 'CALL_REJECTED':
      return refused('your phone rejected the call', true);
    case 'NO_ROUTE_DESTINATION':
    case 'UNALLOCATED_NUMBER':
    case 'INVALID_NUMBER_FORMAT':
      return refused('FreeSWITCH does not know your extension (or cannot route the number)', false);
    case 'OUTGOING_CALL_BARRED':
      return refused('FreeSWITCH may not make this call (outgoing calls barred)', false);
    case 'invalid':
    case 'command':
      return refused(`FreeSWITCH refused the originate command (${text.trim()}): ask the admin to check click_to_call.dial_string`, false);
    default:
      return refused(`FreeSWITCH could not ring your phone (${cause || text.trim() || 'no reason given'}); try again in a minute`, true);
  }
}
