/**
 * A synthetic Master.csv (`full` layout, as cdr_csv writes it): calls of 1–4 legs sharing a
 * linkedid, ordered by sequence within a channel; about 30 % transferred (caller → first
 * extension → second, with the first extension's consultation call), the rest answered or
 * missed. Rows of up to 8 calls in progress interleave, as calls hang up in Asterisk, so the
 * importer's grouping has work to do. Deterministic for a seed. Returns what the ledger must
 * hold afterwards.
 * @module
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { masterCsvLine, type FixtureCdr } from '../../src/pbx/asterisk/testing';

export interface Generated {
  rows: number;
  calls: number;
  transferred: number;
  /** linkedid of the first transferred call, and its rep's extension (the longest talker). */
  sample: { linkedid: string; extension: string } | null;
}

function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const local = (epoch: number) => {
  const d = new Date(epoch * 1000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
};

/** The CDRs of call number `i`. */
function callCdrs(i: number, random: () => number): { cdrs: FixtureCdr[]; transferred: boolean; rep: string } {
  const start = 1_763_600_000 + i * 7;
  const linkedid = `${start}.${i}`;
  const caller = `7495${String(1_000_000 + Math.floor(random() * 8_999_999))}`;
  const ext = () => String(100 + Math.floor(random() * 200));
  const first = ext();
  const blank: FixtureCdr = {
    accountcode: '',
    src: caller,
    dst: first,
    dcontext: 'from-did-direct',
    clid: `"" <${caller}>`,
    channel: `PJSIP/trunk-${pad(i % 0xffffff, 8)}`,
    dstchannel: `PJSIP/${first}-${pad((i * 3) % 0xffffff, 8)}`,
    lastapp: 'Dial',
    lastdata: `PJSIP/${first},30`,
    start: local(start),
    answer: '',
    end: '',
    duration: 0,
    billsec: 0,
    disposition: 'ANSWERED',
    amaflags: 'DOCUMENTATION',
    uniqueid: linkedid,
    userfield: '',
    peeraccount: '',
    linkedid,
    sequence: i * 4 + 1,
    recordingfile: '',
    did: '',
  };
  const roll = random();
  if (roll < 0.3) {
    // Transfer: caller ↔ first (talk a), first's consultation to rep, caller ↔ rep (talk b).
    const rep = ext() === first ? String(Number(first) + 1) : ext();
    const a = 10 + Math.floor(random() * 50);
    const b = 60 + Math.floor(random() * 600);
    const legs: FixtureCdr[] = [
      { ...blank, answer: local(start + 5), end: local(start + 5 + a), duration: 5 + a, billsec: a, recordingfile: `in-${caller}-${first}-${linkedid}.wav` },
      {
        ...blank,
        src: first,
        dst: rep,
        dcontext: 'from-internal',
        clid: `"" <${first}>`,
        channel: `PJSIP/${first}-${pad((i * 3 + 1) % 0xffffff, 8)}`,
        dstchannel: `PJSIP/${rep}-${pad((i * 3 + 2) % 0xffffff, 8)}`,
        start: local(start + a),
        answer: local(start + a + 3),
        end: local(start + 5 + a),
        duration: 5,
        billsec: 2,
        uniqueid: `${start}.${i}c`,
        sequence: i * 4 + 2,
      },
      {
        ...blank,
        dst: rep,
        dcontext: 'from-internal-xfer',
        dstchannel: `PJSIP/${rep}-${pad((i * 3 + 2) % 0xffffff, 8)}`,
        start: local(start + 5 + a),
        answer: local(start + 5 + a),
        end: local(start + 5 + a + b),
        duration: b,
        billsec: b,
        sequence: i * 4 + 3,
        recordingfile: `in-${caller}-${rep}-${linkedid}.wav`,
      },
    ];
    // Some transfers go on to a third extension.
    if (random() < 0.3) {
      const third = String(400 + Math.floor(random() * 50));
      legs.push({
        ...blank,
        dst: third,
        dstchannel: `PJSIP/${third}-00000000`,
        start: local(start + 5 + a + b),
        answer: local(start + 8 + a + b),
        end: local(start + 18 + a + b),
        duration: 13,
        billsec: 10,
        sequence: i * 4 + 4,
      });
    }
    return { cdrs: legs, transferred: true, rep };
  }
  if (roll < 0.8) {
    const talk = 5 + Math.floor(random() * 300);
    return {
      cdrs: [
        {
          ...blank,
          answer: local(start + 4),
          end: local(start + 4 + talk),
          duration: 4 + talk,
          billsec: talk,
          recordingfile: `in-${caller}-${first}-${linkedid}.wav`,
        },
      ],
      transferred: false,
      rep: first,
    };
  }
  // Missed: the ring group rang two phones, nobody answered.
  return {
    cdrs: [
      { ...blank, end: local(start + 20), duration: 20, disposition: 'NO ANSWER' },
      { ...blank, dstchannel: `PJSIP/${ext()}-00000001`, end: local(start + 20), duration: 20, disposition: 'NO ANSWER', sequence: i * 4 + 2 },
    ],
    transferred: false,
    rep: first,
  };
}

/** Writes about `rows` rows (whole calls) to `file`. */
export function generateMasterCsv(file: string, rows: number, seed = 1): Generated {
  const random = prng(seed);
  const fd = openSync(file, 'w');
  const out: Generated = { rows: 0, calls: 0, transferred: 0, sample: null };
  const inProgress: FixtureCdr[][] = [];
  let buffer: string[] = [];
  let next = 0;
  const flush = () => {
    writeSync(fd, buffer.join(''));
    buffer = [];
  };
  try {
    while (out.rows < rows || inProgress.length > 0) {
      while (inProgress.length < 8 && out.rows + inProgress.reduce((n, c) => n + c.length, 0) < rows) {
        const call = callCdrs(next++, random);
        out.calls++;
        if (call.transferred) {
          out.transferred++;
          out.sample ??= { linkedid: call.cdrs[0]?.linkedid ?? '', extension: call.rep };
        }
        inProgress.push(call.cdrs);
      }
      if (inProgress.length === 0) break;
      const pick = Math.floor(random() * inProgress.length);
      const call = inProgress[pick] as FixtureCdr[];
      buffer.push(`${masterCsvLine(call.shift() as FixtureCdr)}\n`);
      out.rows++;
      if (call.length === 0) inProgress.splice(pick, 1);
      if (buffer.length >= 10_000) flush();
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return out;
}
