import { createServer, type Socket } from 'node:net';
import { pullDeps } from '#test/pull';
import { afterEach, describe, expect, it } from 'vitest';
import { AmiReader, amiHeader, type AmiMessage } from '../../pbx/asterisk/ami-wire';
import { amiOriginator } from './ami-originate';

/**
 * A fake Asterisk manager interface that speaks as manager.c does for Originate: the banner,
 * Login checked against one user, `Response: Success` / `Message: Originate successfully queued`
 * for an async Originate (or the Error a test asks for), then the OriginateResponse event a test
 * asks for, Logoff answered with Goodbye.
 */
interface FakeOptions {
  originate?: (action: AmiMessage) => { response: Record<string, string>; event?: Record<string, string> };
}

const crlf = (headers: Record<string, string>) =>
  `${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

async function fakeAmi(options: FakeOptions = {}) {
  const actions: AmiMessage[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.write('Asterisk Call Manager/9.0.0\r\n');
    const reader = new AmiReader({ banner: false });
    socket.on('data', (chunk) => {
      for (const frame of reader.push(chunk)) if (frame.kind === 'message') answer(socket, frame.message);
    });
  });
  function answer(socket: Socket, message: AmiMessage) {
    actions.push(message);
    const id = amiHeader(message, 'ActionID') ?? '';
    const action = amiHeader(message, 'Action')?.toLowerCase();
    if (action === 'login') {
      const ok = amiHeader(message, 'Username') === 'calltrail' && amiHeader(message, 'Secret') === 'ami-secret';
      const reply = crlf({ Response: ok ? 'Success' : 'Error', ActionID: id, Message: ok ? 'Authentication accepted' : 'Authentication failed' });
      if (ok) socket.write(reply);
      else socket.end(reply);
    } else if (action === 'originate') {
      // A busy PBX: other calls' events arrive in between.
      socket.write(crlf({ Event: 'Newchannel', Channel: 'PJSIP/205-00000001', Uniqueid: '1700000000.1' }));
      const { response, event } = options.originate?.(message) ?? { response: { Response: 'Success', Message: 'Originate successfully queued' } };
      socket.write(crlf({ ...response, ActionID: id }));
      if (event) setTimeout(() => socket.write(crlf({ Event: 'OriginateResponse', ActionID: id, ...event })), 20);
    } else if (action === 'logoff') socket.end(crlf({ Response: 'Goodbye', ActionID: id, Message: 'Thanks for all the fish.' }));
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  servers.push({
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  });
  return { port, actions, address: { host: '127.0.0.1', port, username: 'calltrail', secret: 'ami-secret' } };
}

type Deps = Parameters<ReturnType<typeof amiOriginator>['enabled']>[0];
const deps = (clickToCall: Record<string, unknown> = {}) => pullDeps({}, { asterisk: { click_to_call: clickToCall } }).deps as unknown as Deps;
const REQUEST = { id: 'orig-42', extension: '101', phone: '+74951234567' };
const headersOf = (message: AmiMessage | undefined) => Object.fromEntries(message?.headers ?? []);

describe('Asterisk click-to-call over AMI', () => {
  it('logs in, sends the Originate as documented, logs off', async () => {
    const ami = await fakeAmi();
    const originator = amiOriginator({ address: ami.address, confirmMs: 100 });
    expect(await originator.originate({ ...REQUEST, callerId: 'Sales <74950000000>' }, deps())).toEqual({ status: 'requested', vendorRef: null });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ami.actions.map((a) => amiHeader(a, 'Action'))).toEqual(['Login', 'Originate', 'Logoff']);
    expect(headersOf(ami.actions[0])).toMatchObject({ Username: 'calltrail', Secret: 'ami-secret', Events: 'call' });
    expect(headersOf(ami.actions[1])).toEqual({
      Action: 'Originate',
      ActionID: 'orig-42',
      Channel: 'PJSIP/101',
      Context: 'from-internal',
      Exten: '74951234567',
      Priority: '1',
      CallerID: 'Sales <74950000000>',
      Timeout: '30000',
      Async: 'true',
    });
  });

  it('follows the configured channel, context and exten templates', async () => {
    const ami = await fakeAmi();
    const settings = { channel: 'Local/{extension}@from-internal', context: 'outbound', exten: '9{phone}', caller_id: '74950000000', timeout_seconds: 20 };
    await amiOriginator({ address: ami.address, confirmMs: 50 }).originate(REQUEST, deps(settings));
    expect(headersOf(ami.actions[1])).toMatchObject({
      Channel: 'Local/101@from-internal',
      Context: 'outbound',
      Exten: '9+74951234567',
      CallerID: '74950000000',
      Timeout: '20000',
    });
  });

  it('takes the OriginateResponse success as the call, with its Uniqueid', async () => {
    const ami = await fakeAmi({
      originate: () => ({ response: { Response: 'Success' }, event: { Response: 'Success', Uniqueid: '1700000000.7', Reason: '4' } }),
    });
    expect(await amiOriginator({ address: ami.address, confirmMs: 2000 }).originate(REQUEST, deps())).toEqual({
      status: 'requested',
      vendorRef: '1700000000.7',
    });
  });

  it.each([
    [{ response: { Response: 'Success' }, event: { Response: 'Failure', Reason: '0' } }, /not registered or the extension is unknown/, false],
    [{ response: { Response: 'Success' }, event: { Response: 'Failure', Reason: '5' } }, /busy/, true],
    [{ response: { Response: 'Error', Message: 'Permission denied' } }, /originate right/, false],
    [{ response: { Response: 'Error', Message: 'Extension does not exist.' } }, /no route for this number/, false],
    [{ response: { Response: 'Error', Message: 'Invalid channel' } }, /cannot ring your phone/, false],
  ])('maps %j to a reason for the rep', async (answer, reason, retryable) => {
    const ami = await fakeAmi({ originate: () => answer });
    expect(await amiOriginator({ address: ami.address, confirmMs: 2000 }).originate(REQUEST, deps())).toEqual({
      status: 'refused',
      reason: expect.stringMatching(reason),
      retryable,
    });
  });

  it('refuses a wrong manager secret, an unreachable Asterisk, and an extension that is no token', async () => {
    const ami = await fakeAmi();
    const wrong = amiOriginator({ address: { ...ami.address, secret: 'nope' } });
    expect(await wrong.originate(REQUEST, deps())).toEqual({ status: 'refused', reason: expect.stringMatching(/manager login/), retryable: false });
    ami.actions.length = 0;
    const bad = await amiOriginator({ address: ami.address }).originate({ ...REQUEST, extension: '101\r\nAction: Command' }, deps());
    expect(bad).toMatchObject({ status: 'refused', retryable: false });
    expect(ami.actions).toEqual([]);
    const closed = await fakeAmi();
    servers.at(-1)?.close();
    expect(await amiOriginator({ address: closed.address }).originate(REQUEST, deps())).toEqual({
      status: 'refused',
      reason: expect.stringMatching(/could not be reached|closed/),
      retryable: true,
    });
  });

  it('is enabled by ASTERISK_AMI_URL and the config switch', async () => {
    const ami = await fakeAmi();
    expect(amiOriginator({ address: ami.address }).enabled(deps())).toBe(true);
    expect(amiOriginator({ address: ami.address }).enabled(deps({ enabled: false }))).toBe(false);
    expect(amiOriginator({ address: undefined }).enabled(deps())).toBe(false);
  });
});
