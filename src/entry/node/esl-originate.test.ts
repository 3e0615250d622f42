import { createServer, type Socket } from 'node:net';
import { pullDeps } from '#test/pull';
import { afterEach, describe, expect, it } from 'vitest';
import { eslOriginator, originateArgs, parseEslAddress } from './esl-originate';

/**
 * A fake FreeSWITCH event socket (inbound mode) as mod_event_socket speaks: `auth/request` on
 * connect, `command/reply` with `+OK accepted` or `-ERR invalid` to auth, `+OK event listener
 * enabled plain` to `event plain …`, `+OK Job-UUID: …` to bgapi, then the BACKGROUND_JOB event
 * (text/event-plain, URL-encoded header values, its own Content-Length) with the job's result.
 */
const JOB = '7f4de4bc-17d7-11e7-8d42-7b51f4f2d7e9';
interface FakeOptions {
  /** The job's result ("+OK <uuid>" or "-ERR <cause>"); undefined: none within the test (still ringing). */
  jobResult?: string;
  bgapiReply?: string;
}

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

async function fakeEsl(options: FakeOptions = {}) {
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.write('Content-Type: auth/request\n\n');
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const command = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        commands.push(command);
        answer(socket, command);
      }
    });
  });
  const reply = (socket: Socket, text: string, extra = '') => socket.write(`Content-Type: command/reply\nReply-Text: ${text}\n${extra}\n`);
  function answer(socket: Socket, command: string) {
    if (command.startsWith('auth ')) {
      if (command === 'auth ClueCon') reply(socket, '+OK accepted');
      else {
        reply(socket, '-ERR invalid');
        socket.end('Content-Type: text/disconnect-notice\nContent-Length: 0\n\n');
      }
    } else if (command.startsWith('event ')) reply(socket, '+OK event listener enabled plain');
    else if (command.startsWith('bgapi ')) {
      reply(socket, options.bgapiReply ?? `+OK Job-UUID: ${JOB}`, options.bgapiReply ? '' : `Job-UUID: ${JOB}\n`);
      if (options.jobResult !== undefined) {
        const result = `${options.jobResult}\n`;
        const event = `Event-Name: BACKGROUND_JOB\nCore-UUID: 42bdf272\nJob-UUID: ${JOB}\nJob-Command: originate\nJob-Command-Arg: user%2F101\nContent-Length: ${Buffer.byteLength(result)}\n\n${result}`;
        setTimeout(() => socket.write(`Content-Length: ${Buffer.byteLength(event)}\nContent-Type: text/event-plain\n\n${event}`), 20);
      }
    } else if (command === 'exit') {
      reply(socket, '+OK bye');
      socket.end();
    }
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
  return { commands, address: { host: '127.0.0.1', port, password: 'ClueCon' } };
}

type Deps = Parameters<ReturnType<typeof eslOriginator>['enabled']>[0];
const deps = (clickToCall: Record<string, unknown> = {}) => pullDeps({}, { freeswitch: { click_to_call: clickToCall } }).deps as unknown as Deps;
const REQUEST = { id: 'orig-5', extension: '101', phone: '+74951234567', callerId: '+74950000000' };

describe('FreeSWITCH click-to-call over the event socket', () => {
  it('authenticates, subscribes to BACKGROUND_JOB and sends bgapi originate as documented', async () => {
    const esl = await fakeEsl({ jobResult: '+OK 0c9f6b2e-1111-2222-3333-444455556666' });
    expect(await eslOriginator({ address: esl.address, confirmMs: 2000 }).originate(REQUEST, deps())).toEqual({ status: 'requested', vendorRef: JOB });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(esl.commands).toEqual([
      'auth ClueCon',
      'event plain BACKGROUND_JOB',
      'bgapi originate {origination_caller_id_number=+74950000000}user/101 74951234567 XML default',
      'exit',
    ]);
  });

  it('counts a job still running after confirmMs as requested (the phone rings)', async () => {
    const esl = await fakeEsl();
    expect(await eslOriginator({ address: esl.address, confirmMs: 50 }).originate(REQUEST, deps())).toEqual({ status: 'requested', vendorRef: JOB });
  });

  it.each([
    ['-ERR USER_NOT_REGISTERED', /not registered/, false],
    ['-ERR USER_BUSY', /busy/, true],
    ['-ERR NO_ANSWER', /nobody answered/, true],
    ['-ERR NO_ROUTE_DESTINATION', /does not know your extension/, false],
  ])('maps the job result %s to a reason for the rep', async (jobResult, reason, retryable) => {
    const esl = await fakeEsl({ jobResult });
    expect(await eslOriginator({ address: esl.address, confirmMs: 2000 }).originate(REQUEST, deps())).toEqual({
      status: 'refused',
      reason: expect.stringMatching(reason),
      retryable,
    });
  });

  it('refuses a wrong password, a refused command and an unreachable FreeSWITCH', async () => {
    const esl = await fakeEsl();
    expect(await eslOriginator({ address: { ...esl.address, password: 'wrong' } }).originate(REQUEST, deps())).toEqual({
      status: 'refused',
      reason: expect.stringMatching(/FREESWITCH_ESL/),
      retryable: false,
    });
    const broken = await fakeEsl({ bgapiReply: '-ERR invalid command' });
    expect(await eslOriginator({ address: broken.address }).originate(REQUEST, deps())).toMatchObject({ status: 'refused', retryable: false });
    const gone = await fakeEsl();
    servers.at(-1)?.close();
    expect(await eslOriginator({ address: gone.address }).originate(REQUEST, deps())).toMatchObject({ status: 'refused', retryable: true });
  });

  it('builds the dial string from the template, dropping the caller ID variable when there is none', () => {
    const settings = deps().config.sources.freeswitch.click_to_call;
    expect(originateArgs({ ...REQUEST, callerId: null }, settings)).toBe('user/101 74951234567 XML default');
    const custom = {
      ...settings,
      dial_string: '{ignore_early_media=true,origination_caller_id_number={caller_id}}sofia/internal/{extension}@pbx.example &bridge(sofia/gateway/gw/{phone})',
    };
    expect(originateArgs(REQUEST, custom)).toBe(
      '{ignore_early_media=true,origination_caller_id_number=+74950000000}sofia/internal/101@pbx.example &bridge(sofia/gateway/gw/+74951234567)',
    );
    expect(originateArgs({ ...REQUEST, callerId: null }, custom)).toBe(
      '{ignore_early_media=true}sofia/internal/101@pbx.example &bridge(sofia/gateway/gw/+74951234567)',
    );
  });

  it('reads FREESWITCH_ESL and is enabled by it and the config switch', async () => {
    expect(parseEslAddress('10.0.0.5:8021:Clue:Con')).toEqual({ host: '10.0.0.5', port: 8021, password: 'Clue:Con' });
    expect(() => parseEslAddress('10.0.0.5:ClueCon')).toThrow(/host:port:password/);
    const address = { host: '127.0.0.1', port: 8021, password: 'x' };
    expect(eslOriginator({ address }).enabled(deps())).toBe(true);
    expect(eslOriginator({ address }).enabled(deps({ enabled: false }))).toBe(false);
    expect(eslOriginator({ address: undefined }).enabled(deps())).toBe(false);
  });
});
