/**
 * Every PBX source's parser by name, for replaying stored inbox bodies.
 * @module
 */
import { asteriskParser } from './asterisk/parse';
import { freepbxParser } from './freepbx/parse';
import { freeswitchParser } from './freeswitch/parse';
import { genericParser } from './generic/parse';
import { mangoParser } from './mango/parse';
import type { PbxParser } from './source';
import { twilioParser } from './twilio/parse';
import { yeastarParser } from './yeastar/parse';
import { zadarmaParser } from './zadarma/parse';

export { conversationSource, sourcesSharing } from './source';

export const parsers: Readonly<Record<string, PbxParser>> = Object.fromEntries(
  [genericParser, asteriskParser, freepbxParser, freeswitchParser, zadarmaParser, twilioParser, yeastarParser, mangoParser].map((p) => [p.name, p]),
);
