/**
 * Which way an Asterisk CDR went, decided by the installation's configuration — never by how long
 * a name is. A CDR has no direction field; its channels, its context and its numbers say it
 * together:
 *
 *  1. party A (`channel`) is a trunk → inbound. A peer is a trunk when it is listed in `trunks`
 *     or its name is not an extension by `extension_pattern` (`SIP/211553-…`, `PJSIP/79161234567-…`,
 *     `SIP/provider-…`);
 *  2. the context (`dcontext`) is one of `inbound_contexts` (from-trunk, from-pstn, …) → inbound;
 *  3. party A is one of our phones, or the context is one of `internal_contexts` (from-internal…)
 *     → outbound when the callee is outside (party B a trunk, or dst not an extension), internal
 *     when it is an extension; a phone-looking peer whose caller is an outside number outside an
 *     internal context is a numeric trunk (`IAX2/5000-…`) → inbound;
 *  4. otherwise (Local channels, no channel) the numbers decide.
 *
 * Every answer carries the rule that gave it, so that a call skipped as internal says why. The same
 * rules serve Master.csv (push and import), the FreePBX poller and AMI.
 * @module
 */
import * as z from 'zod';
import { flag } from '../core/config';
import type { Direction } from '../../domain/call';
import { classifyNumber, maskNumber, type NumberRules } from '../../domain/phone';

const contextPattern = z.string().regex(/^[A-Za-z0-9_\-.*+]{1,80}$/, 'expected a dialplan context name; "*" matches any characters (e.g. "ext-did*")');

export const DEFAULT_INBOUND_CONTEXTS = ['from-trunk', 'from-trunk-*', 'from-pstn', 'from-pstn-*', 'from-did-direct', 'ext-did', 'ext-did-*', 'from-external*'];
export const DEFAULT_INTERNAL_CONTEXTS = ['from-internal', 'from-internal-xfer', 'from-internal-noxfer', 'from-internal-additional'];

/** The keys sources.asterisk and sources.freepbx share: how their CDRs' direction is decided. */
export const dialplanConfigShape = {
  trunks: z
    .array(z.string().min(1).max(80))
    .default([])
    .describe('Channel peer names that are trunks (e.g. "211553", "provider"); peers whose name is not an extension by extension_pattern are trunks anyway'),
  inbound_contexts: z
    .array(contextPattern)
    .default(DEFAULT_INBOUND_CONTEXTS)
    .describe('Contexts calls from trunks enter: a CDR in one of them is inbound ("*" is a wildcard)'),
  internal_contexts: z
    .array(contextPattern)
    .default(DEFAULT_INTERNAL_CONTEXTS)
    .describe('Contexts of calls placed by our phones: outbound or internal by the callee ("*" is a wildcard)'),
  answered_requires_bridge: flag(true, 'true: a CDR answered with no dstchannel (an IVR, Playback, VoiceMail, Hangup answered it) is nobody talking: missed'),
};

/** What sources.asterisk / sources.freepbx say about the dialplan, as the rules read it. */
export interface DialplanSection {
  trunks: readonly string[];
  inbound_contexts: readonly string[];
  internal_contexts: readonly string[];
  default_country?: NumberRules['defaultCountry'] | undefined;
}

export function dialplanRules(section: DialplanSection, numbers: NumberRules): DialplanRules {
  return {
    trunks: section.trunks,
    inboundContexts: section.inbound_contexts,
    internalContexts: section.internal_contexts,
    numbers: section.default_country ? { ...numbers, defaultCountry: section.default_country } : numbers,
  };
}

export interface DialplanRules {
  trunks: readonly string[];
  inboundContexts: readonly string[];
  internalContexts: readonly string[];
  numbers: NumberRules;
}

export interface ChannelParty {
  /** Channel technology, lower case: pjsip, sip, iax2, local, dahdi, … */
  tech: string;
  /** The endpoint (peer) name, or the dialled extension of a Local channel. */
  peer: string;
}

/** `PJSIP/205-0000000a` → pjsip 205; `Local/205@from-queue-00000012;1` → local 205; `DAHDI/i1/…` → dahdi i1. */
export function channelParty(channel: string): ChannelParty | null {
  const slash = channel.indexOf('/');
  if (slash <= 0) return null;
  const tech = channel.slice(0, slash).toLowerCase();
  const rest = channel.slice(slash + 1);
  const peer = tech === 'local' ? (rest.split('@')[0] ?? '') : (rest.split('/')[0] ?? '').replace(/-[0-9a-f]+(;\d+)?$/i, '');
  return peer ? { tech, peer } : null;
}

/** Something a person dials: digits with an optional +, and * or # for feature codes. */
export const isDialled = (value: string): boolean => /^\+?[\d*#]+$/.test(value);

export interface CdrParties {
  channel: string;
  dstchannel: string;
  dcontext: string;
  /** The caller's number (src, else the number in clid). */
  caller: string;
  dst: string;
  /** The last application's arguments: Dial's targets name what went to a trunk. */
  lastdata?: string;
}

export interface DirectionVerdict {
  direction: Direction | null;
  rule: string | null;
  /** Our phone on this leg: the one that answered, else the one that called. */
  extension: string | null;
  /** Who was called: the number sent to the trunk when Dial names it, else dst when it is a number. */
  callee: string | null;
}

interface Seen {
  a: ChannelParty | null;
  b: ChannelParty | null;
  aTrunk: Trunk | null;
  bTrunk: Trunk | null;
  aPhone: boolean;
  bPhone: boolean;
  /** Party A is a device of the PBX itself (its console), not a phone line or a trunk. */
  aDevice: boolean;
  callee: string;
  /** What Dial sent to party B's trunk ("200" of SIP/200@stadionpbx), when it names it. */
  trunkTarget: string | null;
}

interface Trunk {
  /** For a rule text: "SIP/211553 is a trunk (…)". */
  why: string;
  listed: boolean;
}

/** Channel technologies of devices on the PBX itself: never a trunk, always our side. */
const DEVICE_TECHS: ReadonlySet<string> = new Set(['console', 'alsa', 'oss', 'phone']);

export function cdrDirection(cdr: CdrParties, rules: DialplanRules): DirectionVerdict {
  const seen = look(cdr, rules);
  const verdict = decide(cdr, seen, rules);
  return { ...verdict, extension: ourPhone(verdict.direction, seen, cdr, rules), callee: seen.callee || null };
}

function look(cdr: CdrParties, rules: DialplanRules): Seen {
  const a = channelParty(cdr.channel);
  const b = channelParty(cdr.dstchannel);
  const aTrunk = trunkOf(a, rules);
  const bTrunk = trunkOf(b, rules);
  const trunkTarget = b && bTrunk ? dialTarget(cdr.lastdata ?? '', b.peer) : null;
  // The number the PBX sent to the trunk is the callee (dst may still carry an outside-line prefix).
  const callee = trunkTarget && isDialled(trunkTarget) ? trunkTarget : isDialled(cdr.dst) ? cdr.dst : '';
  const aDevice = a !== null && DEVICE_TECHS.has(a.tech);
  return { a, b, aTrunk, bTrunk, aPhone: isPhone(a, aTrunk), bPhone: isPhone(b, bTrunk), aDevice, callee, trunkTarget };
}

const isPhone = (p: ChannelParty | null, trunk: Trunk | null) => p !== null && p.tech !== 'local' && !DEVICE_TECHS.has(p.tech) && trunk === null;

/**
 * Dial's target on a trunk: `SIP/200@stadionpbx`, `PJSIP/08064351467@015158000` (user@peer) or
 * `SIP/sipus1/18105881377` (peer/user) in `Dial(SIP/301&SIP/200@stadionpbx,60,t)`.
 */
export function dialTarget(lastdata: string, peer: string): string | null {
  const targets = (lastdata.split(',')[0] ?? '').split('&');
  for (const target of targets) {
    const m = /^[A-Za-z0-9]+\/(.+)$/.exec(target.trim());
    if (!m?.[1]) continue;
    const [left, right] = m[1].includes('@')
      ? (m[1].split('@') as [string, string])
      : ([m[1].split('/')[1] ?? '', m[1].split('/')[0] ?? ''] as [string, string]);
    if (right === peer && left) return left;
  }
  return null;
}

/** Why a channel's peer is a trunk, or null when it is not one (Local channels and devices are neither). */
function trunkOf(p: ChannelParty | null, rules: DialplanRules): Trunk | null {
  if (!p || p.tech === 'local' || DEVICE_TECHS.has(p.tech)) return null;
  const name = `${p.tech.toUpperCase()}/${shownPeer(p.peer)}`;
  if (rules.trunks.includes(p.peer)) return { why: `${name} is a trunk (listed in trunks)`, listed: true };
  if (!isExtension(p.peer, rules))
    return { why: `${name} is a trunk (its name is no extension by extension_pattern ${rules.numbers.extensionPattern.source})`, listed: false };
  return null;
}

/**
 * Explicit settings first (listed trunks, contexts), then what the channels' names say, then the
 * numbers: a context the integrator named is stronger evidence than a peer's name.
 */
function decide(cdr: CdrParties, s: Seen, rules: DialplanRules): Omit<DirectionVerdict, 'extension' | 'callee'> {
  if (s.aTrunk?.listed) return { direction: 'inbound', rule: `channel ${s.aTrunk.why}` };
  if (matchesContext(cdr.dcontext, rules.inboundContexts)) return { direction: 'inbound', rule: `context ${cdr.dcontext} is in inbound_contexts` };
  if (matchesContext(cdr.dcontext, rules.internalContexts)) return calleeSide(`context ${cdr.dcontext} is in internal_contexts`, s, rules);
  const peer = s.a ? `${s.a.tech === 'console' ? 'Console' : s.a.tech.toUpperCase()}/${shownPeer(s.a.peer)}` : '';
  if (s.aDevice) return calleeSide(`channel ${peer} is the PBX's own device`, s, rules);
  if (s.aTrunk) return { direction: 'inbound', rule: `channel ${s.aTrunk.why}` };
  if (s.aPhone) {
    // A phone-looking peer with an outside caller is a trunk named by digits (IAX2/5000) — unless
    // it dials out through a trunk: then the caller is our own line's caller ID.
    if (!s.bTrunk && isOutsideNumber(cdr.caller, rules)) {
      return { direction: 'inbound', rule: `the caller ${maskNumber(cdr.caller)} is no extension, so channel ${peer} is a trunk` };
    }
    return calleeSide(`channel ${peer} is a phone by extension_pattern ${rules.numbers.extensionPattern.source}`, s, rules);
  }
  return numbersDecide(cdr, s, rules);
}

/** Party A is ours: the callee says outbound or internal. */
function calleeSide(ours: string, s: Seen, rules: DialplanRules): Omit<DirectionVerdict, 'extension' | 'callee'> {
  if (s.bTrunk) return { direction: 'outbound', rule: `${ours}; dstchannel ${s.bTrunk.why}` };
  if (s.callee && !isExtension(s.callee, rules)) return { direction: 'outbound', rule: `${ours}; the callee ${maskNumber(s.callee)} is no extension` };
  const callee = s.callee || (s.bPhone && s.b ? s.b.peer : '');
  if (callee)
    return { direction: 'internal', rule: `${ours}; the callee ${callee} is an extension by extension_pattern ${rules.numbers.extensionPattern.source}` };
  // Our phone reached no one outside (a feature code, voicemail, an IVR of ours).
  return { direction: 'internal', rule: `${ours}; no outside party on the leg` };
}

function numbersDecide(cdr: CdrParties, s: Seen, rules: DialplanRules): Omit<DirectionVerdict, 'extension' | 'callee'> {
  const caller = cdr.caller ? classifyNumber(cdr.caller, rules.numbers) : null;
  if (caller && (caller.kind === 'external' || caller.kind === 'unknown')) {
    return { direction: 'inbound', rule: `the caller ${maskNumber(cdr.caller)} is no extension by extension_pattern ${rules.numbers.extensionPattern.source}` };
  }
  if (caller?.kind !== 'extension') return { direction: null, rule: null };
  if (s.bTrunk) return { direction: 'outbound', rule: `the caller ${caller.extension} is an extension; dstchannel ${s.bTrunk.why}` };
  if (s.callee && !isExtension(s.callee, rules))
    return { direction: 'outbound', rule: `the caller ${caller.extension} is an extension, the callee ${maskNumber(s.callee)} is not` };
  if ((s.callee && isExtension(s.callee, rules)) || s.bPhone) {
    const callee = s.callee || s.b?.peer;
    return {
      direction: 'internal',
      rule: `caller ${caller.extension} and callee ${callee} are extensions by extension_pattern ${rules.numbers.extensionPattern.source}`,
    };
  }
  return { direction: null, rule: null };
}

/**
 * Our phone on the leg: for an outbound call the one that called; else the one that answered —
 * a phone, or an extension Dial reached on another PBX through a trunk (SIP/200@stadionpbx).
 */
function ourPhone(direction: Direction | null, s: Seen, cdr: CdrParties, rules: DialplanRules): string | null {
  if (direction === 'outbound') return s.aPhone ? (s.a?.peer ?? null) : isExtension(cdr.caller, rules) ? cdr.caller : null;
  if (s.bPhone) return s.b?.peer ?? null;
  if (s.trunkTarget && isExtension(s.trunkTarget, rules)) return s.trunkTarget;
  if (direction === 'inbound') return null;
  return s.aPhone ? (s.a?.peer ?? null) : null;
}

function isOutsideNumber(value: string, rules: DialplanRules): boolean {
  if (!value) return false;
  const kind = classifyNumber(value, rules.numbers).kind;
  return kind === 'external' || kind === 'unknown';
}

function isExtension(value: string, rules: DialplanRules): boolean {
  return value !== '' && classifyNumber(value, rules.numbers).kind === 'extension';
}

/** `ext-did*` matches `ext-did-0001`; names are compared as Asterisk does, case-sensitively. */
export function matchesContext(context: string, patterns: readonly string[]): boolean {
  if (!context) return false;
  return patterns.some((p) => (p.includes('*') ? globRegExp(p).test(context) : p === context));
}

const globs = new Map<string, RegExp>();
function globRegExp(pattern: string): RegExp {
  let re = globs.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.replace(/[.+-]/g, (c) => `\\${c}`).replace(/\*/g, '.*')}$`);
    globs.set(pattern, re);
  }
  return re;
}

/** A peer named by a phone number is shown masked, like every number in a message. */
const shownPeer = (peer: string) => (/^\+?\d{7,}$/.test(peer) ? maskNumber(peer) : peer);
