/**
 * The webhook routes of every PBX source; each answers 404 while its secret is not configured.
 * @module
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppDeps } from '../deps';
import { asteriskRoutes } from './asterisk/route';
import { freeswitchRoutes } from './freeswitch/route';
import { genericWebhookRoutes } from './generic/route';
import { mangoRoutes } from './mango/route';
import { twilioRoutes } from './twilio/route';
import { yeastarRoutes } from './yeastar/route';
import { zadarmaRoutes } from './zadarma/route';

export function pbxRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  for (const routes of [genericWebhookRoutes, asteriskRoutes, freeswitchRoutes, zadarmaRoutes, twilioRoutes, yeastarRoutes, mangoRoutes]) {
    app.route('/', routes(deps));
  }
  return app;
}
