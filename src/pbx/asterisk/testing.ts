/**
 * Test fixtures: the CDRs Asterisk writes for a transfer chain and a missed call, and writers
 * for each form they reach calltrail in — a Master.csv line as cdr_csv writes it, an AMI Cdr
 * event, a FreePBX cdr row. Used by the unit tests, the integration tests and the benchmark.
 * @module
 */
import { AmiReader, type AmiMessage } from './ami-wire';
import { CSV_LAYOUTS, type LayoutName } from './columns';

/** One CDR as Asterisk knows it (times local, "YYYY-MM-DD HH:MM:SS"; answer '' when not answered). */
export interface FixtureCdr {
  accountcode: string;
  src: string;
  dst: string;
  dcontext: string;
  clid: string;
  channel: string;
  dstchannel: string;
  lastapp: string;
  lastdata: string;
  start: string;
  answer: string;
  end: string;
  duration: number;
  billsec: number;
  disposition: string;
  amaflags: string;
  uniqueid: string;
  userfield: string;
  peeraccount: string;
  linkedid: string;
  sequence: number;
  recordingfile: string;
  did: string;
}

const base = (over: Partial<FixtureCdr>): FixtureCdr => ({
  accountcode: '',
  src: '',
  dst: '',
  dcontext: 'from-internal',
  clid: '',
  channel: '',
  dstchannel: '',
  lastapp: 'Dial',
  lastdata: '',
  start: '',
  answer: '',
  end: '',
  duration: 0,
  billsec: 0,
  disposition: 'ANSWERED',
  amaflags: 'DOCUMENTATION',
  uniqueid: '',
  userfield: '',
  peeraccount: '',
  linkedid: '',
  sequence: 0,
  recordingfile: '',
  did: '',
  ...over,
});

/**
 * Caller → secretary (100) → sales rep (205): the caller's channel writes a CDR per bridge
 * (100 for 30 s, then 205 for 180 s), the secretary's consultation call to 205 one more; two
 * recording segments. `id` prefixes the ids so tests can keep calls apart.
 */
export function transferChain(id = '1763622000', date = '2026-11-20'): FixtureCdr[] {
  const linkedid = `${id}.1`;
  const caller = { src: '74951234567', clid: '"Ivan Petrov" <74951234567>', channel: 'PJSIP/trunk-00000001', uniqueid: linkedid, linkedid, did: '74951112233' };
  return [
    base({
      ...caller,
      dst: '100',
      dcontext: 'from-did-direct',
      dstchannel: 'PJSIP/100-00000002',
      lastdata: 'PJSIP/100,30,tTr',
      start: `${date} 10:00:00`,
      answer: `${date} 10:00:05`,
      end: `${date} 10:00:35`,
      duration: 35,
      billsec: 30,
      sequence: 1,
      recordingfile: `in-74951234567-100-${date.replaceAll('-', '')}-100000-${linkedid}.wav`,
    }),
    base({
      src: '100',
      clid: '"Secretary" <100>',
      dst: '205',
      channel: 'PJSIP/100-00000003',
      dstchannel: 'PJSIP/205-00000004',
      lastdata: 'PJSIP/205,30',
      start: `${date} 10:00:20`,
      answer: `${date} 10:00:25`,
      end: `${date} 10:00:35`,
      duration: 15,
      billsec: 10,
      uniqueid: `${id}.3`,
      linkedid,
      sequence: 2,
    }),
    base({
      ...caller,
      dst: '205',
      dcontext: 'from-internal-xfer',
      dstchannel: 'PJSIP/205-00000004',
      lastdata: 'PJSIP/205,30',
      start: `${date} 10:00:35`,
      answer: `${date} 10:00:35`,
      end: `${date} 10:03:35`,
      duration: 180,
      billsec: 180,
      sequence: 3,
      recordingfile: `in-74951234567-205-${date.replaceAll('-', '')}-100035-${linkedid}.wav`,
    }),
  ];
}

/** An inbound call to 100 nobody answered. */
export function missedCall(id = '1763622300', date = '2026-11-20'): FixtureCdr[] {
  return [
    base({
      src: '74957654321',
      clid: '"" <74957654321>',
      dst: '100',
      dcontext: 'from-did-direct',
      channel: 'PJSIP/trunk-00000005',
      dstchannel: 'PJSIP/100-00000006',
      lastdata: 'PJSIP/100,20',
      start: `${date} 10:05:00`,
      end: `${date} 10:05:20`,
      duration: 20,
      billsec: 0,
      disposition: 'NO ANSWER',
      uniqueid: `${id}.5`,
      linkedid: `${id}.5`,
      sequence: 4,
      did: '74951112233',
    }),
  ];
}

const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;

/** A Master.csv line as cdr_csv writes it (default: the `full` layout); the recording name in userfield. */
export function masterCsvLine(cdr: FixtureCdr, layout: LayoutName = 'full'): string {
  return CSV_LAYOUTS[layout]
    .map((field) => {
      if (field === 'userfield') return quote(cdr.recordingfile || cdr.userfield);
      const value = cdr[field];
      return typeof value === 'number' ? String(value) : quote(value);
    })
    .join(',');
}

/** An AMI Cdr event with the LinkedID/Sequence/RecordingFile mappings of cdr_manager.conf. */
export function amiEvent(cdr: FixtureCdr): Record<string, string> {
  return {
    Event: 'Cdr',
    Privilege: 'cdr,all',
    AccountCode: cdr.accountcode,
    Source: cdr.src,
    Destination: cdr.dst,
    DestinationContext: cdr.dcontext,
    CallerID: cdr.clid,
    Channel: cdr.channel,
    DestinationChannel: cdr.dstchannel,
    LastApplication: cdr.lastapp,
    LastData: cdr.lastdata,
    StartTime: cdr.start,
    AnswerTime: cdr.answer,
    EndTime: cdr.end,
    Duration: String(cdr.duration),
    BillableSeconds: String(cdr.billsec),
    Disposition: cdr.disposition,
    AMAFlags: cdr.amaflags,
    UniqueID: cdr.uniqueid,
    UserField: cdr.userfield,
    LinkedID: cdr.linkedid,
    Sequence: String(cdr.sequence),
    RecordingFile: cdr.recordingfile,
  };
}

/** A row of FreePBX's asteriskcdrdb.cdr. */
export function freepbxRow(cdr: FixtureCdr): Record<string, string | number> {
  return {
    calldate: cdr.start,
    clid: cdr.clid,
    src: cdr.src,
    dst: cdr.dst,
    dcontext: cdr.dcontext,
    channel: cdr.channel,
    dstchannel: cdr.dstchannel,
    lastapp: cdr.lastapp,
    lastdata: cdr.lastdata,
    duration: cdr.duration,
    billsec: cdr.billsec,
    disposition: cdr.disposition,
    amaflags: 3,
    accountcode: cdr.accountcode,
    uniqueid: cdr.uniqueid,
    userfield: cdr.userfield,
    did: cdr.did,
    recordingfile: cdr.recordingfile,
    cnum: cdr.src,
    cnam: '',
    outbound_cnum: '',
    outbound_cnam: '',
    dst_cnam: '',
    linkedid: cdr.linkedid,
    peeraccount: cdr.peeraccount,
    sequence: cdr.sequence,
  };
}

/**
 * The events of an AMI fixture file (fixtures/*.ami): `;` comment lines first, then the events as
 * Asterisk writes them — read by the wire reader, each line ended in CRLF as on the wire.
 */
export function amiFixtureMessages(text: string): AmiMessage[] {
  const body = text
    .split('\n')
    .filter((line) => !line.startsWith(';'))
    .join('\r\n')
    .replace(/^(\r\n)+/, '');
  return new AmiReader({ banner: false }).push(new TextEncoder().encode(body)).flatMap((frame) => (frame.kind === 'message' ? [frame.message] : []));
}

/** A fixture message's headers as an object (the first value of each), for a fake AMI server to send. */
export function amiFixtureHeaders(message: AmiMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of message.headers) if (!Object.hasOwn(headers, key)) headers[key] = value;
  return headers;
}

/** A CEL event of the transfer chain's call (invented values, in cel_manager.c's header order). */
export const celEvent = (name: string): Record<string, string> => ({
  Event: 'CEL',
  Privilege: 'call,all',
  EventName: name,
  AccountCode: '',
  CallerIDnum: '74951234567',
  CallerIDname: 'Ivan Petrov',
  CallerIDani: '74951234567',
  CallerIDrdnis: '',
  CallerIDdnid: '74951112233',
  Exten: '205',
  Context: 'from-internal-xfer',
  Channel: 'PJSIP/trunk-00000001',
  Application: '',
  AppData: '',
  EventTime: '2026-11-20 10:03:35',
  AMAFlags: 'DOCUMENTATION',
  UniqueID: '1763622000.1',
  LinkedID: '1763622000.1',
  Userfield: '',
  Peer: '',
  PeerAccount: '',
  Extra: '',
});
