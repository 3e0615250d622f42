/**
 * The FreePBX source: rows of its CDR table (`asteriskcdrdb.cdr`), polled by the Node service
 * (src/entry/node/freepbx-poller.ts) and read again by the Node entry's pull (freepbx-pull.ts:
 * mysql2 is Node only, so the descriptor has no pull of its own). The rows are Asterisk CDRs with
 * the same uniqueid/linkedid: they join Asterisk's conversations, and settle after quiet.
 * @module
 */
import { pbxSource } from '../core/source';
import { freepbxConfigSchema } from './config';
import { freepbxParser } from './parse';

export const freepbx = pbxSource({
  name: 'freepbx',
  config: freepbxConfigSchema,
  parser: freepbxParser,
  conversationsOf: 'asterisk',
  settlesAfterQuiet: true,
});
