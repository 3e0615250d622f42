/**
 * calltrail's amoCRM widget: click-to-call. amoCRM's telephony hook (add_action('phone', …))
 * turns every phone number on a card into a call action; clicking one POSTs
 * {user, phone} to `${calltrail_url}/v1/originate` with the widget's token, and says what
 * happened — the call is on its way, or why calltrail refused it — in amoCRM's notifications, or
 * in a small toast of its own when those are not there. It never fails silently.
 *
 * Served as is by calltrail (GET /widget/amocrm/script.js) and zipped with manifest.json and
 * i18n/ into widget.zip. Plain browser JavaScript, no build step: amoCRM loads it as an AMD module.
 */
// A block, not a function: its helpers stay out of the page's global scope.
{
  const TIMEOUT_MS = 15000;
  const TOAST_MS = 8000;

  const amo = () => window.AMOCRM || window.APP || {};

  /** A message of the i18n file's "calltrail" section with {placeholders} filled in. */
  const say = (widget, key, values) => {
    let section = null;
    try {
      section = typeof widget.i18n === 'function' ? widget.i18n('calltrail') : widget.langs?.calltrail;
    } catch (_error) {
      section = null;
    }
    const template = section?.[key] || key;
    return template.replace(/\{(\w+)\}/g, (_match, name) => (values && values[name] !== undefined ? String(values[name]) : ''));
  };

  const toast = (kind, text) => {
    const box = document.createElement('div');
    box.className = `calltrail-toast calltrail-toast-${kind}`;
    box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    box.style.cssText = `position:fixed;right:16px;bottom:16px;z-index:100000;max-width:360px;padding:10px 14px;border-radius:6px;font:14px/1.4 sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.25);color:#fff;background:${kind === 'error' ? '#b3261e' : '#1d6b3a'}`;
    box.textContent = text;
    box.addEventListener('click', () => box.remove());
    document.body.appendChild(box);
    setTimeout(() => box.remove(), TOAST_MS);
  };

  /** amoCRM's own notification when it has one, else the toast; any failure there falls back too. */
  const notify = (widget, kind, text) => {
    const notifications = amo().notifications;
    const header = say(widget, 'title');
    try {
      if (kind === 'error' && notifications && typeof notifications.show_message_error === 'function') {
        notifications.show_message_error({ header, text });
        return;
      }
      if (notifications && typeof notifications.show_message === 'function') {
        notifications.show_message({ header, text });
        return;
      }
    } catch (_error) {
      // amoCRM's notifications failed: the toast below still tells the user.
    }
    toast(kind, text);
  };

  const settingsOf = (widget) => {
    const s = (typeof widget.get_settings === 'function' && widget.get_settings()) || {};
    return {
      url: String(s.calltrail_url || '')
        .trim()
        .replace(/\/+$/, ''),
      token: String(s.token || '').trim(),
    };
  };

  const currentUser = () => {
    try {
      const user = amo().constant('user');
      return user && user.id !== undefined && user.id !== null ? user.id : null;
    } catch (_error) {
      return null;
    }
  };

  /** The error envelope's message ({error:{code,message,requestId}}), else the HTTP status. */
  const refusal = async (response) => {
    let body = null;
    try {
      body = await response.json();
    } catch (_error) {
      body = null;
    }
    const error = body && typeof body === 'object' ? body.error : null;
    if (error && typeof error.message === 'string' && error.message) {
      return error.requestId ? `${error.message} (${error.code || response.status}, request ${error.requestId})` : error.message;
    }
    return `HTTP ${response.status}`;
  };

  /** POST /v1/originate {user, phone}; says the outcome either way. */
  const originate = async (widget, phone) => {
    const number = String(phone || '').trim();
    if (!number) return notify(widget, 'error', say(widget, 'no_number'));
    const { url, token } = settingsOf(widget);
    if (!url || !token) return notify(widget, 'error', say(widget, 'not_configured'));
    const user = currentUser();
    if (user === null) return notify(widget, 'error', say(widget, 'no_user'));
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    try {
      const response = await fetch(`${url}/v1/originate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ user, phone: number }),
        signal: abort.signal,
      });
      if (response.ok) notify(widget, 'success', say(widget, 'calling', { phone: number }));
      else notify(widget, 'error', say(widget, 'refused', { message: await refusal(response) }));
    } catch (error) {
      const reason = error?.name === 'AbortError' ? 'timeout' : error?.message || 'network error';
      notify(widget, 'error', say(widget, 'unreachable', { reason }));
    } finally {
      clearTimeout(timer);
    }
  };

  define(['jquery'], (_$) => {
    return function CalltrailWidget() {
      this.calltrailOriginate = (phone) => originate(this, phone);
      this.callbacks = {
        render: () => true,
        init: () => {
          this.add_action('phone', (params) => this.calltrailOriginate(params?.value));
          return true;
        },
        bind_actions: () => true,
        settings: () => true,
        onSave: () => true,
        destroy: () => {},
      };
      return this;
    };
  });
}
