/**
 * Every error code calltrail answers with, shows in the console or writes to its log, and what it
 * means to the person who reads it. The API's envelope `{error:{code,message,requestId}}`, the
 * access log's `code` field and the console's notices all draw from this one list; the HTTP status
 * each code goes with is the http layer's business (`http/core/errors.ts`).
 * @module
 */
export const ERROR_CODES = {
  invalid_request: "the request's path, query or JSON body breaks a rule; the message lists each problem",
  invalid_query: 'a query parameter of the calls API is not one it accepts (a date, a cursor, a filter)',
  invalid_body: 'a PBX webhook body is not what that source sends; nothing of it was stored',
  invalid_state: 'the OAuth state is missing, forged or older than 30 minutes: start the connection again',
  oauth_refused: 'the CRM refused the authorization code it had just issued',
  bad_request: 'the request is not valid HTTP/1.1',
  unauthorized: 'the admin token (a bearer token or the console session) is missing or wrong',
  invalid_signature: "a PBX webhook's signature or secret does not match the source's settings",
  forbidden: 'the token or session is valid but its scope (admin, read, lookup, originate, metrics) or role does not allow this endpoint',
  not_found: 'no such route, call, run, inbox event or recording',
  source_disabled: 'the PBX source this webhook is for is not enabled on this deployment',
  recordings_off: 'recordings are not archived by this deployment (no storage is configured)',
  oauth_disabled: 'the CRM OAuth client is not configured',
  originate_off: 'click-to-call is not set up: no PBX source that can place calls is enabled, or several and none chosen',
  sandbox_off: 'the sandbox CRM is closed on a configured deployment that has no ADMIN_TOKEN',
  request_timeout: 'the request did not arrive in time',
  already_delivered: 'the call is already on the CRM; sending it again would duplicate it',
  skipped: 'the call is not for the CRM (its delivery was skipped, with a reason)',
  already_exists: 'a user with that email, a user linked to that amoCRM user, or an account with that slug, exists already',
  no_secrets_key: 'SECRETS_KEYS is not set, and what was sent is a secret calltrail stores only sealed',
  pbx_refused: "the PBX refused to place the call (the message gives the PBX's reason); trying again will not help",
  payload_too_large: 'the body is larger than the service accepts',
  rate_limited:
    'too many requests through one recording link, or too many refused amoCRM sign-ins from one address; wait the Retry-After seconds and try again',
  header_too_large: "the request's headers are larger than the service accepts",
  internal: "a fault of calltrail's; the request id finds it in the log",
  misconfigured: 'the deployment cannot start: its settings are invalid (the message says which)',
  pbx_unavailable: 'the PBX could not be reached or was busy; nothing was dialled, try again',
  unavailable: 'the database cannot be reached; nothing was stored, retry later',
  account_unavailable: 'the account is disabled, or could not start (the message says why); its data is kept',
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

export const isErrorCode = (value: string): value is ErrorCode => Object.hasOwn(ERROR_CODES, value);
