/**
 * /admin/widget: installing the amoCRM click-to-call widget.
 * @module
 */
import { Hono } from 'hono';
import type { AppDeps } from '../../../deps';
import type { AdminEnv } from '../core/env';
import { widgetPage } from '../pages/widget';

export function widgetPages(deps: AppDeps) {
  return new Hono<AdminEnv>().get('/admin/widget', (c) => {
    const mappedUsers = Object.values(deps.config.extensions ?? {}).filter(
      (v) => typeof v === 'number' || (typeof v === 'object' && v !== null && 'user' in v && v.user),
    ).length;
    return widgetPage(c, { publicUrl: deps.settings.publicUrl, mappedUsers });
  });
}
