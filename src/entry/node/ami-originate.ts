/**
 * Click-to-call through Asterisk's manager interface (AMI), Node only: `Action: Originate`
 * (https://docs.asterisk.org/Asterisk_22_Documentation/API_Documentation/AMI_Actions/Originate/,
 * its answer event: https://docs.asterisk.org/Asterisk_22_Documentation/API_Documentation/AMI_Events/OriginateResponse/):
 *
 *     Action: Originate / ActionID: <our request id> / Channel: PJSIP/101 / Context: from-internal /
 *     Exten: 74951234567 / Priority: 1 / CallerID: … / Timeout: 30000 / Async: true
 *
 * Asterisk rings Channel (the rep's phone, `sources.asterisk.click_to_call.channel`) and, once it
 * answers, runs Exten in Context: the customer is dialled by the dialplan's own outbound routes.
 * The listener's session (ami-session.ts) only reads, so each request opens its own short session
 * on ASTERISK_AMI_URL: banner, `Login` (event class `call`, for the OriginateResponse), the
 * Originate, then `Logoff`. The answer is `Response: Success` ("Originate successfully queued") or
 * `Response: Error` with a `Message`; after a Success the OriginateResponse with our ActionID says
 * within `confirmMs` whether the rep's phone could be rung at all (`Response: Failure`, `Reason`
 * 0/8: not registered or unknown, 5: busy, 1: rejected, 3: not answered). With no word by then
 * the phone is ringing: the call is requested. The manager.conf user needs the `originate` right.
 * @module
 */
import { connect } from 'node:net';
import type { Logger } from '../../lib/log';
import { type OriginateDeps, type OriginateRequest, type OriginateResult, type PbxOriginator, refused } from '../../pbx/core/originate';
import type { AsteriskConfig } from '../../pbx/asterisk/config';
import { AmiReader, amiHeader, formatAmiAction, type AmiHeader, type AmiMessage } from '../../pbx/asterisk/ami-wire';
import type { AmiAddress } from '../../settings/env';

export interface AmiOriginateOptions {
  address: AmiAddress | undefined;
  log?: Logger;
  /** Connect, banner, login and the Originate's answer must come within this. Default 8 s. */
  answerTimeoutMs?: number;
  /** How long to wait for Asterisk's OriginateResponse after the Originate was queued. Default 3 s. */
  confirmMs?: number;
}

type AmiOriginateDeps = OriginateDeps<unknown, { asterisk: AsteriskConfig }>;
type ClickToCall = AsteriskConfig['click_to_call'];

const TOKEN = /^[\w.+*#-]{1,40}$/;

export function amiOriginator(options: AmiOriginateOptions): PbxOriginator<AmiOriginateDeps> {
  return {
    source: 'asterisk',
    enabled: (deps) => options.address !== undefined && deps.config.sources.asterisk.click_to_call.enabled,
    enableHint: 'set ASTERISK_AMI_URL (a manager.conf user with the originate right) and run calltrail on Node',
    async originate(request, deps) {
      if (!options.address) return refused('Asterisk click-to-call is not set up (ASTERISK_AMI_URL)', false);
      const settings = deps.config.sources.asterisk.click_to_call;
      if (!TOKEN.test(request.extension)) return refused(`"${request.extension}" is not an extension Asterisk can ring`, false);
      const digits = request.phone.replace(/\D/g, '');
      if (!digits) return refused("the customer's number has no digits", false);
      let action: AmiHeader[];
      try {
        action = originateAction(request, settings);
        formatAmiAction(action);
      } catch {
        return refused('the caller ID or a click_to_call template makes an invalid Originate: ask the admin to check sources.asterisk.click_to_call', false);
      }
      const result = await new AmiOriginateSession(options.address, action, request.id, options).run();
      if (result.status === 'refused')
        options.log?.warn('Asterisk refused an originate', { id: request.id, extension: request.extension, reason: result.reason });
      return result;
    },
  };
}

/** The Originate action's headers (ActionID = our request id). */
export function originateAction(request: OriginateRequest, settings: ClickToCall): AmiHeader[] {
  const digits = request.phone.replace(/\D/g, '');
  const callerId = request.callerId ?? settings.caller_id;
  return [
    ['Action', 'Originate'],
    ['ActionID', request.id],
    ['Channel', settings.channel.replaceAll('{extension}', request.extension)],
    ['Context', settings.context],
    ['Exten', settings.exten.replaceAll('{digits}', digits).replaceAll('{phone}', request.phone.startsWith('+') ? `+${digits}` : digits)],
    ['Priority', '1'],
    ...(callerId ? [['CallerID', callerId] as AmiHeader] : []),
    ['Timeout', String(settings.timeout_seconds * 1000)],
    ['Async', 'true'],
  ];
}

type Step = 'banner' | 'login' | 'originate' | 'confirm' | 'done';

/** One short AMI session that sends one Originate and reads what Asterisk makes of it. */
class AmiOriginateSession {
  private readonly reader = new AmiReader();
  private step: Step = 'banner';
  private resolve!: (result: OriginateResult) => void;
  private readonly socket;
  private timer: NodeJS.Timeout;

  constructor(
    private readonly address: AmiAddress,
    private readonly action: AmiHeader[],
    private readonly id: string,
    private readonly o: AmiOriginateOptions,
  ) {
    this.socket = connect({ host: address.host, port: address.port });
    this.timer = setTimeout(() => this.finish(refused('Asterisk did not answer in time; try again in a minute', true)), o.answerTimeoutMs ?? 8000);
  }

  run(): Promise<OriginateResult> {
    const done = new Promise<OriginateResult>((resolve) => (this.resolve = resolve));
    this.socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of this.reader.push(chunk)) {
          if (frame.kind === 'banner') this.onBanner(frame.text);
          else if (frame.kind === 'message') this.onMessage(frame.message);
        }
      } catch {
        this.finish(refused('Asterisk answered something calltrail cannot read; try again in a minute', true));
      }
    });
    this.socket.on('error', () => this.finish(refused('Asterisk could not be reached; try again in a minute', true)));
    this.socket.on('close', () => this.finish(refused('Asterisk closed the connection; try again in a minute', true)));
    return done;
  }

  private send(headers: AmiHeader[]) {
    this.socket.write(formatAmiAction(headers));
  }

  private onBanner(text: string) {
    if (this.step !== 'banner') return;
    if (!/Call Manager\//i.test(text)) return this.finish(refused('ASTERISK_AMI_URL does not lead to an Asterisk manager interface', false));
    this.step = 'login';
    const { username, secret } = this.address;
    this.send([
      ['Action', 'Login'],
      ['ActionID', `${this.id}-login`],
      ['Username', username],
      ['Secret', secret],
      ['Events', 'call'],
    ]);
  }

  private onMessage(message: AmiMessage) {
    const id = amiHeader(message, 'ActionID');
    const response = amiHeader(message, 'Response')?.toLowerCase();
    if (this.step === 'login' && id === `${this.id}-login` && response !== undefined) {
      if (response !== 'success') return this.finish(refused("Asterisk refused calltrail's manager login: ask the admin to check ASTERISK_AMI_URL", false));
      this.step = 'originate';
      return this.send(this.action);
    }
    if (this.step === 'originate' && id === this.id && response !== undefined && amiHeader(message, 'Event') === undefined) {
      if (response !== 'success') return this.finish(originateError(amiHeader(message, 'Message') ?? ''));
      this.step = 'confirm';
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.finish({ status: 'requested', vendorRef: null }), this.o.confirmMs ?? 3000);
      return;
    }
    if ((this.step === 'confirm' || this.step === 'originate') && amiHeader(message, 'Event')?.toLowerCase() === 'originateresponse' && id === this.id) {
      this.finish(originateResponse(message));
    }
  }

  private finish(result: OriginateResult) {
    if (this.step === 'done') return;
    const loggedIn = this.step !== 'banner' && this.step !== 'login';
    this.step = 'done';
    clearTimeout(this.timer);
    if (loggedIn && this.socket.writable) this.socket.end(formatAmiAction([['Action', 'Logoff']]));
    else this.socket.destroy();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.resolve(result);
  }
}

/** `Response: Error` to the Originate, in words for the rep. */
export function originateError(message: string): OriginateResult {
  if (/permission denied/i.test(message))
    return refused('the Asterisk manager user may not originate calls: ask the admin to grant it the originate right', false);
  if (/extension does not exist|no such extension/i.test(message))
    return refused('Asterisk has no route for this number (the click_to_call context does not know it)', false);
  if (/invalid channel|channel not specified|unable to create channel/i.test(message)) {
    return refused('Asterisk cannot ring your phone: check the click_to_call channel for your extension', false);
  }
  return refused(`Asterisk refused the call: ${message || 'no reason given'}`, false);
}

/** The OriginateResponse event: whether the rep's phone could be rung. */
export function originateResponse(message: AmiMessage): OriginateResult {
  if (amiHeader(message, 'Response')?.toLowerCase() === 'success') return { status: 'requested', vendorRef: amiHeader(message, 'Uniqueid') ?? null };
  switch (amiHeader(message, 'Reason')) {
    case '5':
      return refused('your phone is busy; try again when it is free', true);
    case '3':
      return refused('your phone rang but nobody answered', true);
    case '1':
      return refused('your phone rejected the call', true);
    default:
      return refused('Asterisk could not ring your phone: it is not registered or the extension is unknown', false);
  }
}
