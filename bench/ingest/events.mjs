/**
 * What the benchmark sends: distinct, signed generic `call.ended` events, and a per-phase
 * ledger of which of them the service acknowledged (checked against the database afterwards).
 * @module
 */
import { createHmac } from 'node:crypto';

export const WEBHOOK_PATH = '/v1/pbx/generic/events';
export const SECRET = 'calltrail-bench-secret-0123456789';

/**
 * An answered inbound call with its recording: nothing is awaited, so the service settles it on
 * arrival and writes the whole chain (inbox, conversation, leg, recording, delivery) per request.
 */
export function callEndedBody(callId, nowMs = Date.now()) {
  const iso = (ms) => new Date(ms).toISOString();
  const endedMs = nowMs - 5_000;
  return JSON.stringify({
    type: 'call.ended',
    call_id: callId,
    direction: 'inbound',
    from: '+7 495 123-45-67',
    to: '101',
    extension: '101',
    started_at: iso(endedMs - 185_000),
    answered_at: iso(endedMs - 180_000),
    ended_at: iso(endedMs),
    disposition: 'answered',
    recording: { id: `r-${callId}`, url: `https://pbx.example/r-${callId}.wav` },
  });
}

/**
 * Same scheme as src/pbx/generic/signature.ts (signatureHeader), but synchronous: autocannon's
 * setupRequest cannot await, and node:crypto keeps the load generator cheap.
 */
export function signatureHeader(secret, body, nowMs = Date.now()) {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** Every id handed out in one phase, and what the service answered for it. */
export class Ledger {
  constructor(phase) {
    this.phase = phase;
    this.prefix = `bench-${phase}-`;
    this.issued = 0;
    /** Ids answered 2xx with status "processed". */
    this.ok = new Set();
    /** Id → "<status> <body>" for every other answer (non-2xx, or 2xx "stored"/"duplicate"). */
    this.failed = new Map();
  }

  nextId() {
    return `${this.prefix}${this.issued++}`;
  }

  record(id, status, body) {
    // A 202 can still mean "stored for retry" (applying failed): only "processed" is a success.
    if (status >= 200 && status < 300 && body.includes('"status":"processed"')) this.ok.add(id);
    else this.failed.set(id, `${status} ${body.slice(0, 200)}`);
  }

  /** Sent (or about to be) but never answered: cut off when the load generator stopped. */
  get unanswered() {
    return this.issued - this.ok.size - this.failed.size;
  }
}
