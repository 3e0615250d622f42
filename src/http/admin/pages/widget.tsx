/**
 * /admin/widget: how to install calltrail's amoCRM click-to-call widget — download widget.zip,
 * upload it in amoCRM, and the two settings to enter (this service's PUBLIC_URL and the token).
 * @module
 */
import type { Context } from 'hono';
import type { AdminEnv } from '../core/env';
import { render } from '../core/layout';

export const WIDGET_ZIP = '/widget/amocrm/widget.zip';

export function widgetPage(c: Context<AdminEnv>, d: { publicUrl: string; mappedUsers: number }) {
  const https = d.publicUrl.startsWith('https://');
  return render(
    c,
    { title: 'amoCRM widget', nav: 'widget' },
    <>
      <h1>amoCRM click-to-call widget</h1>
      <p>
        With the widget installed, a rep clicks a phone number on a contact, company or lead card in amoCRM: calltrail asks the PBX to ring the rep's own
        extension, then the customer. The call is then logged on the card like every other call. If calltrail refuses (no extension for that user, the PBX said
        no…) the rep sees why in amoCRM.
      </p>
      <section class="card" id="widget-download">
        <h2>1. Download the widget</h2>
        <p>
          <a class="button" href={WIDGET_ZIP} download="calltrail-amocrm-widget.zip">
            Download widget.zip
          </a>
        </p>
        <p class="muted">
          manifest.json, script.js, i18n/ (English, Russian) and the logos amoCRM asks for. Also readable on their own:{' '}
          <a href="/widget/amocrm/manifest.json">manifest.json</a> · <a href="/widget/amocrm/script.js">script.js</a>.
        </p>
      </section>
      <section class="card" id="widget-upload">
        <h2>2. Upload it in amoCRM</h2>
        <ol>
          <li>In amoCRM, as an account administrator, open amoMarket, then ⋯ (top right) → Create integration.</li>
          <li>Create a private (external) integration, and upload widget.zip as its widget archive; save.</li>
          <li>Open the new integration in amoMarket, enter the settings below and install it.</li>
        </ol>
      </section>
      <section class="card" id="widget-settings">
        <h2>3. The widget's settings</h2>
        <dl class="kv">
          <dt>calltrail URL</dt>
          <dd>
            <code id="widget-url">{d.publicUrl}</code> <span class="muted">(PUBLIC_URL)</span>
          </dd>
          <dt>Token</dt>
          <dd>
            the value of <code>ORIGINATE_TOKEN</code>: it allows click-to-call (<code>POST /v1/originate</code>) and nothing else. Every rep's browser holds it,
            so never enter the admin token here.
          </dd>
        </dl>
        {https ? null : (
          <p class="notice warn">
            PUBLIC_URL is not https: amoCRM pages are, and browsers block their calls to a plain-http address. Set PUBLIC_URL to this service's https address.
          </p>
        )}
        <p class="muted">
          The widget sends the amoCRM user's id; calltrail rings the extension mapped to that user in the config's <code>extensions</code> ({d.mappedUsers}{' '}
          {d.mappedUsers === 1 ? 'extension is' : 'extensions are'} mapped to a user now). It calls calltrail from the amoCRM account's own address
          (https://…amocrm.ru, .amocrm.com, .kommo.com), which calltrail allows.
        </p>
      </section>
    </>,
  );
}
