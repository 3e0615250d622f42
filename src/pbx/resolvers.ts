/**
 * Sources whose recordings are named by id and linked through the vendor's API.
 * @module
 */
import type { RecordingLinkResolver } from '../recordings/links';
import { zadarmaRecordingLinks } from './zadarma/recordings';

export const recordingLinkResolvers: readonly RecordingLinkResolver[] = [zadarmaRecordingLinks];
