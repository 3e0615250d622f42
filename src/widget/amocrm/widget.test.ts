/**
 * The amoCRM widget: its manifest has what amoCRM requires, every i18n key it names exists in every
 * locale, the generated module matches the files, widget.zip unzips to the files and valid logos,
 * and script.js (run here with a fake define/AMOCRM/fetch) posts {user, phone} with the token and
 * shows a refusal's message; on a card it shows "Open in calltrail", which asks calltrail for a
 * sign-in URL through $authorizedAjax and opens it, or says why not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it, vi } from 'vitest';
import { widgetRoutes } from '../../http/widget/routes';
import { WIDGET_LOGOS } from './archive';
import { WIDGET_FILES } from './files.generated';

const DIR = import.meta.dirname;
const manifest = JSON.parse(readFileSync(join(DIR, 'manifest.json'), 'utf8'));
const app = widgetRoutes();

function lookup(tree: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), tree);
}

describe('manifest.json', () => {
  it('has the fields amoCRM requires', () => {
    const w = manifest.widget;
    for (const key of ['name', 'description', 'short_description']) expect(typeof w[key], key).toBe('string');
    expect(w.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(w.interface_version).toBe(2);
    expect(w.installation).toBe(true);
    expect(w.locale).toEqual(expect.arrayContaining(['ru', 'en']));
    expect(manifest.locations).toEqual(expect.arrayContaining(['ccard-1', 'lcard-1', 'settings']));
    expect(manifest.settings.calltrail_url).toMatchObject({ type: 'text', required: true });
    expect(manifest.settings.token).toMatchObject({ type: 'pass', required: true });
  });

  it('names i18n keys that every locale has, with the same structure', () => {
    const keys = [
      manifest.widget.name,
      manifest.widget.description,
      manifest.widget.short_description,
      ...Object.values(manifest.settings).map((s) => (s as { name: string }).name),
    ];
    const shape = (tree: unknown): unknown =>
      tree && typeof tree === 'object' ? Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, shape(v)])) : typeof tree;
    const locales = manifest.widget.locale as string[];
    for (const locale of locales) {
      const texts = JSON.parse(readFileSync(join(DIR, 'i18n', `${locale}.json`), 'utf8'));
      for (const key of keys) expect(typeof lookup(texts, key), `${locale}: ${key}`).toBe('string');
      expect(shape(texts), locale).toEqual(shape(JSON.parse(readFileSync(join(DIR, 'i18n', `${locales[0]}.json`), 'utf8'))));
    }
  });
});

describe('the generated module', () => {
  it('holds exactly the files beside it (run node scripts/widget-bundle.mjs after editing them)', () => {
    expect(Object.keys(WIDGET_FILES).sort()).toEqual(['i18n/en.json', 'i18n/ru.json', 'manifest.json', 'script.js']);
    for (const [name, text] of Object.entries(WIDGET_FILES)) expect(text, name).toBe(readFileSync(join(DIR, name), 'utf8'));
  });
});

describe('GET /widget/amocrm/*', () => {
  it('serves the manifest and the script as they are', async () => {
    const m = await app.request('/widget/amocrm/manifest.json');
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await m.json()).toEqual(manifest);
    const s = await app.request('/widget/amocrm/script.js');
    expect(s.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await s.text()).toBe(readFileSync(join(DIR, 'script.js'), 'utf8'));
  });

  it('serves widget.zip with manifest.json at its root, the script, i18n and valid PNG logos', async () => {
    const res = await app.request('/widget/amocrm/widget.zip');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename=".+\.zip"/);
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['manifest.json', 'script.js', 'i18n/en.json', 'i18n/ru.json']));
    expect(JSON.parse(strFromU8(files['manifest.json']!))).toEqual(manifest);
    expect(strFromU8(files['script.js']!)).toBe(readFileSync(join(DIR, 'script.js'), 'utf8'));
    for (const [name, [width, height]] of Object.entries(WIDGET_LOGOS)) {
      const png = files[name];
      expect(png, name).toBeDefined();
      expect([...png!.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const view = new DataView(png!.buffer, png!.byteOffset);
      expect([view.getUint32(16), view.getUint32(20)], name).toEqual([width, height]);
      expect(png!.length).toBeLessThan(300 * 1024);
    }
  });
});

type Action = (params: { value: string }) => Promise<void>;

interface More {
  /** More of amoCRM's widget methods (system, render_template, $authorizedAjax). */
  methods?: Record<string, unknown>;
  /** More of the page's window (open). */
  window?: Record<string, unknown>;
  document?: unknown;
}

/** Runs script.js as amoCRM would: define() → constructor with the system's methods → init. */
function loadWidget(settings: Record<string, string>, answer: () => Promise<Response>, more: More = {}) {
  let factory: ((...deps: unknown[]) => new () => { callbacks: Record<string, () => unknown> }) | undefined;
  const define = (_deps: string[], make: typeof factory) => {
    factory = make;
  };
  const shown: { kind: string; text: string }[] = [];
  const window = {
    ...more.window,
    AMOCRM: {
      constant: (name: string) => (name === 'user' ? { id: 1001 } : undefined),
      notifications: {
        show_message: (m: { text: string }) => shown.push({ kind: 'message', text: m.text }),
        show_message_error: (m: { text: string }) => shown.push({ kind: 'error', text: m.text }),
      },
    },
  };
  const fetch = vi.fn((_url: string, _init: RequestInit) => answer());
  new Function('define', 'window', 'fetch', 'document', WIDGET_FILES['script.js']!)(define, window, fetch, more.document);
  const Widget = factory!({});
  const actions: Record<string, Action> = {};
  const texts = JSON.parse(WIDGET_FILES['i18n/en.json']!);
  Object.assign(Widget.prototype, {
    add_action: (type: string, action: Action) => (actions[type] = action),
    get_settings: () => settings,
    i18n: (section: string) => texts[section],
    ...more.methods,
  });
  const widget = new Widget();
  for (const name of ['render', 'init', 'bind_actions']) expect(widget.callbacks[name]!()).toBe(true);
  return { phone: actions.phone!, fetch, shown, widget };
}

const json = (status: number, body: unknown) => async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('script.js', () => {
  it('POSTs {user, phone} to calltrail with the token and says the call is on its way', async () => {
    const w = loadWidget({ calltrail_url: 'https://ct.example.com/', token: 't0k' }, json(202, { id: 'o1', status: 'requested' }));
    await w.phone({ value: '+7 495 123-45-67' });
    expect(w.fetch).toHaveBeenCalledTimes(1);
    const [url, init] = w.fetch.mock.calls[0]!;
    expect(url).toBe('https://ct.example.com/v1/originate');
    expect(init.method).toBe('POST');
    expect(init.headers).toMatchObject({ authorization: 'Bearer t0k', 'content-type': 'application/json' });
    expect(JSON.parse(String(init.body))).toEqual({ user: 1001, phone: '+7 495 123-45-67' });
    expect(w.shown).toEqual([{ kind: 'message', text: 'Calling +7 495 123-45-67: pick up your phone when it rings.' }]);
  });

  it("shows a refusal's message from the error envelope", async () => {
    const refusal = { error: { code: 'no_extension', message: 'user 1001 has no extension', requestId: 'r-9' } };
    const w = loadWidget({ calltrail_url: 'https://ct.example.com', token: 't' }, json(422, refusal));
    await w.phone({ value: '101' });
    expect(w.shown).toEqual([{ kind: 'error', text: 'The call was not placed: user 1001 has no extension (no_extension, request r-9)' }]);
  });

  it('says so when calltrail is unreachable, answers without an envelope, or the settings are missing', async () => {
    const down = loadWidget({ calltrail_url: 'https://ct.example.com', token: 't' }, () => Promise.reject(new TypeError('Failed to fetch')));
    await down.phone({ value: '101' });
    expect(down.shown[0]).toMatchObject({ kind: 'error', text: expect.stringContaining('not reachable (Failed to fetch)') });
    const html = loadWidget({ calltrail_url: 'https://ct.example.com', token: 't' }, async () => new Response('<html>bad gateway</html>', { status: 502 }));
    await html.phone({ value: '101' });
    expect(html.shown).toEqual([{ kind: 'error', text: 'The call was not placed: HTTP 502' }]);
    const bare = loadWidget({ calltrail_url: '', token: '' }, json(202, {}));
    await bare.phone({ value: '101' });
    expect(bare.fetch).not.toHaveBeenCalled();
    expect(bare.shown[0]?.kind).toBe('error');
  });
});

/** A card in amoCRM: render_template's HTML kept, its button findable and clickable, window.open recorded. */
function card(ajax: (options: Record<string, unknown>) => unknown, open: 'tab' | 'blocked') {
  const rendered: { caption: { class_name: string }; render: string }[] = [];
  const clicks: (() => void)[] = [];
  const button = {
    attributes: {} as Record<string, string>,
    setAttribute(name: string, value: string) {
      this.attributes[name] = value;
    },
    getAttribute(name: string) {
      return this.attributes[name] ?? null;
    },
    addEventListener: (_type: string, listener: (event: { preventDefault(): void }) => void) => clicks.push(() => listener({ preventDefault() {} })),
  };
  const tab = { opener: {} as unknown, location: { href: '' }, closed: false, close: vi.fn() };
  const opened: string[] = [];
  const more: More = {
    methods: {
      system: () => ({ area: 'ccard', amouser_id: 1001 }),
      render_template: (options: (typeof rendered)[number]) => rendered.push(options),
      $authorizedAjax: vi.fn(ajax),
    },
    window: {
      open: (url: string) => {
        opened.push(url);
        return open === 'tab' ? tab : null;
      },
    },
    document: { querySelector: (selector: string) => (rendered.some((r) => r.render.includes(selector.slice(1, -1))) ? button : null) },
  };
  return {
    more,
    rendered,
    tab,
    opened,
    click: () => {
      for (const c of clicks) c();
    },
  };
}

const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('script.js: Open in calltrail', () => {
  const settings = { calltrail_url: 'https://ct.example.com/', token: 't' };
  const signIn = 'https://ct.example.com/admin/login/amocrm?t=abc';

  it('shows a button on a card; a click asks calltrail through $authorizedAjax and opens the sign-in URL in the tab it opened', async () => {
    const c = card(() => Promise.resolve({ url: signIn, expires_at: '2026-01-01T00:00:00Z' }), 'tab');
    const w = loadWidget(settings, json(202, {}), c.more);
    expect(c.rendered).toHaveLength(1);
    expect(c.rendered[0]?.caption.class_name).toBe('calltrail');
    expect(c.rendered[0]?.render).toContain('>Open in calltrail</button>');
    c.click();
    await settled();
    const ajax = (w.widget as unknown as { $authorizedAjax: ReturnType<typeof vi.fn> }).$authorizedAjax;
    expect(ajax).toHaveBeenCalledWith({ url: 'https://ct.example.com/v1/auth/amocrm', method: 'POST', type: 'POST', dataType: 'json' });
    // The tab is opened at the click (a popup blocker allows that), cut from amoCRM's page, then sent on.
    expect(c.opened).toEqual(['']);
    expect(c.tab.opener).toBeNull();
    expect(c.tab.location.href).toBe(signIn);
    expect(w.shown).toEqual([]);
    expect(w.fetch).not.toHaveBeenCalled();
  });

  it("closes the tab and shows calltrail's refusal (a jqXHR with the error envelope)", async () => {
    const refusal = {
      status: 403,
      responseJSON: { error: { code: 'forbidden', message: 'no calltrail user is linked to amoCRM user 1001', requestId: 'r-1' } },
    };
    const c = card(() => Promise.reject(refusal), 'tab');
    const w = loadWidget(settings, json(202, {}), c.more);
    c.click();
    await settled();
    expect(c.tab.close).toHaveBeenCalled();
    expect(w.shown).toEqual([{ kind: 'error', text: 'calltrail did not open: no calltrail user is linked to amoCRM user 1001 (forbidden, request r-1)' }]);
  });

  it('says so, with the link, when the browser blocks the tab; and when calltrail is unreachable', async () => {
    const blocked = card(() => Promise.resolve({ url: signIn }), 'blocked');
    const w = loadWidget(settings, json(202, {}), blocked.more);
    blocked.click();
    await settled();
    expect(blocked.opened).toEqual(['', signIn]);
    expect(w.shown).toEqual([{ kind: 'error', text: `Your browser blocked the new tab. Open calltrail here: ${signIn}` }]);
    const down = card(() => Promise.reject({ status: 0, responseJSON: undefined }), 'tab');
    const d = loadWidget(settings, json(202, {}), down.more);
    down.click();
    await settled();
    expect(d.shown).toEqual([{ kind: 'error', text: 'calltrail did not open: network error' }]);
  });

  it('shows no button outside cards', () => {
    const c = card(() => Promise.resolve({}), 'tab');
    loadWidget(settings, json(202, {}), { ...c.more, methods: { ...c.more.methods, system: () => ({ area: 'clist' }) } });
    expect(c.rendered).toEqual([]);
  });
});
