/**
 * What the live half needs. AppDeps satisfies it as it is.
 * @module
 */
import type { CountryCode } from 'libphonenumber-js/max';
import type { Db } from '../db/client';
import type { DeliveryDeps } from '../delivery/deps';
import type { PeopleConfig } from '../domain/people';
import type { Logger } from '../lib/log';
import type { OriginateDeps, PbxOriginator } from '../pbx/core/originate';
import type { LiveConfig } from './config';

/** A line's own rules (integrator config `lines:`). */
export interface LineRules {
  default_country?: CountryCode | undefined;
  pop_users?: number[] | undefined;
}

/** The part of the integrator config the live half reads. */
export interface LiveReadConfig extends PeopleConfig {
  live: LiveConfig;
  default_country: CountryCode;
  extension_pattern: string;
  lines: Readonly<Record<string, LineRules>>;
}

export interface LiveDeps extends DeliveryDeps {
  db: Db;
  log: Logger;
  now?: () => Date;
  config: DeliveryDeps['config'] & LiveReadConfig & OriginateDeps['config'];
  settings: DeliveryDeps['settings'] & OriginateDeps['settings'];
  /** Keeps work running after the response is sent (Workers: ctx.waitUntil). */
  defer?: (work: Promise<unknown>) => void;
  /** Originators the runtime adds to the portable ones (Node: Asterisk AMI, FreeSWITCH's event socket). */
  originators?: PbxOriginator[];
  /** Replaces the global fetch for calls to the PBX's APIs (tests). */
  pbxFetch?: typeof fetch;
}
