/**
 * The Mango Office source: its Realtime API notifications, its call statistics for
 * reconciliation, and recordings downloaded through its API (their links work once).
 * @module
 */
import { pbxSource } from '../core/source';
import { mangoConfigSchema } from './config';
import { mangoParser } from './parse';
import { mangoPull } from './pull';
import { mangoRecordingDownloads } from './recording-download';
import { mangoWebhooks } from './webhook';
import { mangoOriginator } from './originate';

export const mango = pbxSource({
  name: 'mango',
  config: mangoConfigSchema,
  parser: mangoParser,
  webhooks: mangoWebhooks,
  pull: mangoPull(),
  recordingDownloads: mangoRecordingDownloads,
  originate: mangoOriginator,
});
