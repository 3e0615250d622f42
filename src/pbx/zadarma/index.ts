/**
 * The Zadarma source: its PBX's call notifications (and its URL check), its statistics API for
 * reconciliation, and recording links asked from its API by call_id_with_rec.
 * @module
 */
import { pbxSource } from '../core/source';
import { zadarmaConfigSchema } from './config';
import { zadarmaParser } from './parse';
import { zadarmaPull } from './pull';
import { zadarmaRecordingLinks } from './recordings';
import { zadarmaUrlCheck, zadarmaWebhook } from './webhook';
import { zadarmaOriginator } from './originate';

export const zadarma = pbxSource({
  name: 'zadarma',
  config: zadarmaConfigSchema,
  parser: zadarmaParser,
  webhooks: [zadarmaUrlCheck, zadarmaWebhook],
  pull: zadarmaPull(),
  recordingLinks: zadarmaRecordingLinks,
  originate: zadarmaOriginator,
});
