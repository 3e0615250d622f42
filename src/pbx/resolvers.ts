/**
 * Sources whose recordings are named by id and fetched through the vendor's API: a lasting link
 * asked for and put on the recording (link resolvers, recordings/links.ts), or, where the vendor's
 * links work once or carry a short-lived token, the file downloaded at archive time
 * (downloaders, recordings/downloads.ts).
 * @module
 */
import type { RecordingDownloader } from '../recordings/downloads';
import type { RecordingLinkResolver } from '../recordings/links';
import { mangoRecordingDownloads } from './mango/recording-download';
import { yeastarRecordingDownloads } from './yeastar/recording-download';
import { zadarmaRecordingLinks } from './zadarma/recordings';

export const recordingLinkResolvers: readonly RecordingLinkResolver[] = [zadarmaRecordingLinks];

export const recordingDownloaders: readonly RecordingDownloader[] = [mangoRecordingDownloads, yeastarRecordingDownloads];
