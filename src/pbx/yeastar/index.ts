/**
 * The Yeastar source: end-of-call reports (S-Series, Cloud PBX, P-Series), recordings downloaded
 * through the PBX's API when no recording_url is configured. One report per call segment, none
 * saying it was the last: calls settle after quiet.
 * @module
 */
import { pbxSource } from '../core/source';
import { yeastarConfigSchema } from './config';
import { yeastarParser } from './parse';
import { yeastarRecordingDownloads } from './recording-download';
import { yeastarWebhook } from './webhook';
import { yeastarOriginator } from './originate';

export const yeastar = pbxSource({
  name: 'yeastar',
  config: yeastarConfigSchema,
  parser: yeastarParser,
  webhooks: [yeastarWebhook],
  recordingDownloads: yeastarRecordingDownloads,
  originate: yeastarOriginator,
  settlesAfterQuiet: true,
});
