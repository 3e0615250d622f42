/**
 * What Asterisk channel names say about the parties. A CDR has no direction and no "extension"
 * field, but its channels name the endpoints: `PJSIP/205-0000000a` is the phone 205,
 * `PJSIP/trunk-00000001` a trunk, `Local/205@from-queue-00000012;1` a queue or ring group
 * ringing 205. An endpoint whose name is 2–6 digits is taken for an extension (phone numbers are
 * longer; trunks usually have names); anything else is a trunk.
 * @module
 */
import type { Direction } from '../../db/schema/conversations';

export interface ChannelParty {
  /** Channel technology, lower case: pjsip, sip, iax2, local, dahdi, … */
  tech: string;
  /** The endpoint (peer) name, or the dialled extension of a Local channel. */
  peer: string;
}

const EXTENSION = /^\d{2,6}$/;
/** Something a person dials: digits with an optional +, and * or # for feature codes. */
const DIALLED = /^\+?[\d*#]+$/;

export function channelParty(channel: string): ChannelParty | null {
  const slash = channel.indexOf('/');
  if (slash <= 0) return null;
  const tech = channel.slice(0, slash).toLowerCase();
  const rest = channel.slice(slash + 1);
  // Local/<exten>@<context>-<hex>;<1|2>
  const peer = tech === 'local' ? rest.split('@')[0] ?? '' : rest.replace(/-[0-9a-f]+(;\d+)?$/i, '');
  return peer ? { tech, peer } : null;
}

export const isExtension = (value: string | undefined): value is string => value !== undefined && EXTENSION.test(value);
export const isDialled = (value: string): boolean => DIALLED.test(value);

export interface Parties {
  direction: Direction | null;
  extension: string | null;
}

/**
 * Party A is the channel the CDR belongs to, party B the one it was bridged with. A trunk as
 * party A is a call from outside; a phone as party A calling a phone is internal, calling a long
 * number is outbound. A Local channel as party A (queues, follow-me) says nothing: the numbers
 * decide later (domain/assemble.ts).
 */
export function parties(channel: string, dstchannel: string, dst: string): Parties {
  const a = channelParty(channel);
  const b = channelParty(dstchannel);
  const aPhone = a !== null && a.tech !== 'local' && isExtension(a.peer);
  const bPhone = b !== null && isExtension(b.peer);
  let direction: Direction | null = null;
  if (a !== null && a.tech !== 'local' && !aPhone) direction = 'inbound';
  else if (aPhone && (bPhone || isExtension(dst))) direction = 'internal';
  else if (aPhone && isDialled(dst) && dst.replace(/\D/g, '').length > 6) direction = 'outbound';
  // The phone on our side: the one that answered, else the one that called.
  const extension = direction === 'outbound' ? (a?.peer ?? null) : bPhone ? (b?.peer ?? null) : aPhone ? (a?.peer ?? null) : null;
  return { direction, extension };
}
