/**
 * The shapes amoCRM answers in: `application/hal+json` for success, `application/problem+json`
 * (type https://httpstatus.es/<status>) for errors, a bare 204 for "nothing found", and — from the
 * gateway in front of the API rather than the API itself — nginx HTML pages for 403 blocks and
 * 502/504, and a 429 with an empty body. Clients must not assume every error is JSON.
 * @module
 */

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  500: 'Internal Server Error',
};

export function hal(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/hal+json' } });
}

export function problem(status: number, detail: string, extra: Record<string, unknown> = {}): Response {
  const body = { title: TITLES[status] ?? 'Error', type: `https://httpstatus.es/${status}`, status, detail, ...extra };
  return problemBody(status, body);
}

export function problemBody(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/problem+json' } });
}

export interface FieldError {
  code: string;
  path: string;
  detail: string;
}

export interface ItemErrors {
  request_id: string;
  errors: FieldError[];
}

export function validationProblem(items: ItemErrors[]): Response {
  return problemBody(400, {
    'validation-errors': items,
    title: 'Bad Request',
    type: 'https://httpstatus.es/400',
    status: 400,
    detail: 'Request validation failed',
  });
}

export function noContent(): Response {
  return new Response(null, { status: 204 });
}

export function tooManyRequests(): Response {
  return new Response(null, { status: 429 });
}

const NGINX_TITLES: Record<number, string> = { 403: '403 Forbidden', 502: '502 Bad Gateway', 504: '504 Gateway Time-out' };

/** What nginx says when it, not the application, answers. */
export function nginxPage(status: 403 | 502 | 504): Response {
  const title = NGINX_TITLES[status];
  const page = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  return new Response(page, { status, headers: { 'content-type': 'text/html' } });
}
