/**
 * The PBX pulls every runtime has (they only speak HTTP): Zadarma's statistics, Twilio's Calls
 * list, Mango's call statistics. Each is enabled by its source's credentials. The Node entry
 * adds the FreePBX CDR table's pull (src/entry/node/freepbx-pull.ts) through `deps.pbxPulls`.
 * Twilio's account is the one its stored callbacks name (twilioPull({ accountSid }) to fix it).
 * @module
 */
import type { PbxPull } from '../reconcile/pull';
import { mangoPull } from './mango/pull';
import { twilioPull } from './twilio/pull';
import { zadarmaPull } from './zadarma/pull';

export const portablePulls: PbxPull[] = [zadarmaPull(), twilioPull(), mangoPull()];
