import { http as rest, HttpResponse } from 'msw';
import { strictMswServer } from '#test/msw';
import { pullDeps } from '#test/pull';
import { describe, expect, it } from 'vitest';
import { twilioOriginator } from './originate';

const SID = `AC${'a1'.repeat(16)}`;
const TOKEN = 'twilio-auth-token-primary';
const ENDPOINT = `https://api.twilio.com/2010-04-01/Accounts/${SID}/Calls.json`;
const CALL_SID = `CA${'b2'.repeat(16)}`;
const REQUEST = { id: 'orig-3', extension: '101', phone: '+74951234567' };
const SETUP = { account_sid: SID, caller_id: '+14155550100', devices: { '101': 'client:alice', '102': 'sip:102@pbx.example.com' } };

const server = strictMswServer();

type Deps = Parameters<typeof twilioOriginator.enabled>[0];
const deps = (clickToCall: Record<string, unknown> = SETUP, token = TOKEN) =>
  pullDeps(token ? { TWILIO_AUTH_TOKEN: token } : {}, { twilio: { click_to_call: clickToCall } }).deps as unknown as Deps;

function twilio(answer: (auth: string | null) => Response) {
  const seen: { method: string; auth: string | null; contentType: string | null; form: Record<string, string> }[] = [];
  server.use(
    rest.all(ENDPOINT, async ({ request }) => {
      const auth = request.headers.get('authorization');
      seen.push({
        method: request.method,
        auth,
        contentType: request.headers.get('content-type'),
        form: Object.fromEntries(new URLSearchParams(await request.text())),
      });
      return answer(auth);
    }),
  );
  return seen;
}

const basic = (token: string) => `Basic ${Buffer.from(`${SID}:${token}`).toString('base64')}`;

describe('Twilio click-to-call', () => {
  it("creates a call to the rep's device whose TwiML dials the customer with our caller ID", async () => {
    const seen = twilio(() => HttpResponse.json({ sid: CALL_SID, status: 'queued' }, { status: 201 }));
    expect(await twilioOriginator.originate(REQUEST, deps())).toEqual({ status: 'requested', vendorRef: CALL_SID });
    expect(seen).toEqual([
      {
        method: 'POST',
        auth: basic(TOKEN),
        contentType: 'application/x-www-form-urlencoded',
        form: {
          To: 'client:alice',
          From: '+14155550100',
          Twiml: '<Response><Dial callerId="+14155550100">+74951234567</Dial></Response>',
        },
      },
    ]);
  });

  it("asks both legs for status callbacks when the webhook URL is configured, and uses the request's caller ID", async () => {
    const seen = twilio(() => HttpResponse.json({ sid: CALL_SID }, { status: 201 }));
    const url = 'https://calltrail.example.com/v1/pbx/twilio/status';
    await twilioOriginator.originate({ ...REQUEST, extension: '102', callerId: '+14155550199' }, deps({ ...SETUP, status_callback_url: url }));
    expect(seen[0]?.form).toEqual({
      To: 'sip:102@pbx.example.com',
      From: '+14155550199',
      Twiml: `<Response><Dial callerId="+14155550199"><Number statusCallback="${url}" statusCallbackEvent="completed">+74951234567</Number></Dial></Response>`,
      StatusCallback: url,
    });
  });

  it('tries the second token of a rotation after a 401', async () => {
    const seen = twilio((auth) =>
      auth === basic('secondary-token')
        ? HttpResponse.json({ sid: CALL_SID }, { status: 201 })
        : HttpResponse.json({ code: 20003, status: 401 }, { status: 401 }),
    );
    expect(await twilioOriginator.originate(REQUEST, deps(SETUP, `old-token,secondary-token`))).toEqual({ status: 'requested', vendorRef: CALL_SID });
    expect(seen.map((s) => s.auth)).toEqual([basic('old-token'), basic('secondary-token')]);
  });

  it.each([
    [401, { code: 20003, message: 'Authenticate', status: 401 }, /TWILIO_AUTH_TOKEN/, false],
    [400, { code: 21210, message: 'The source phone number provided, +14155550100, is not yet verified for your account.', status: 400 }, /caller ID/, false],
    [400, { code: 21219, message: 'The number is unverified. Trial accounts cannot make calls to unverified numbers.', status: 400 }, /verified/, false],
    [401, { code: 20005, message: 'Account not active', status: 401 }, /not active/, false],
    [429, { code: 20429, message: 'Too Many Requests', status: 429 }, /busy/, true],
    [400, { code: 21205, message: 'Url is not a valid URL', status: 400 }, /Url is not a valid URL \(error 21205\)/, false],
    [503, 'Service Unavailable', /not answering/, true],
  ])('maps HTTP %i %j to a reason for the rep', async (status, body, reason, retryable) => {
    twilio(() => (typeof body === 'string' ? new HttpResponse(body, { status }) : HttpResponse.json(body, { status })));
    expect(await twilioOriginator.originate(REQUEST, deps())).toEqual({ status: 'refused', reason: expect.stringMatching(reason), retryable });
  });

  it('refuses an extension without a device and a setup without caller ID before asking Twilio', async () => {
    expect(await twilioOriginator.originate({ ...REQUEST, extension: '999' }, deps())).toEqual({
      status: 'refused',
      reason: expect.stringMatching(/no phone for extension 999/),
      retryable: false,
    });
    expect(await twilioOriginator.originate(REQUEST, deps({ ...SETUP, caller_id: undefined }))).toEqual({
      status: 'refused',
      reason: expect.stringMatching(/caller ID/),
      retryable: false,
    });
  });

  it('calls Twilio unreachable retryable', async () => {
    twilio(() => HttpResponse.error());
    expect(await twilioOriginator.originate(REQUEST, deps())).toEqual({
      status: 'refused',
      reason: expect.stringMatching(/could not be reached/),
      retryable: true,
    });
  });

  it('is enabled by the token, the account and the config switch', () => {
    expect(twilioOriginator.enabled(deps())).toBe(true);
    expect(twilioOriginator.enabled(deps({ ...SETUP, enabled: false }))).toBe(false);
    expect(twilioOriginator.enabled(deps({}))).toBe(false);
    expect(twilioOriginator.enabled(deps(SETUP, ''))).toBe(false);
  });
});
