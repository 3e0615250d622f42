/**
 * Parsers by source name, for replaying stored inbox bodies.
 * @module
 */
import { genericParser } from './generic/parse';
import type { PbxParser } from './source';

export const parsers: Readonly<Record<string, PbxParser>> = {
  [genericParser.name]: genericParser,
};
