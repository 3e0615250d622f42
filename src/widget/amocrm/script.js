/**
 * calltrail's amoCRM widget: click-to-call. amoCRM's telephony hook (add_action('phone', …))
 * turns every phone number on a card into a call action; clicking one POSTs
 * {user, phone} to `${calltrail_url}/v1/originate` with the widget's token, and says what
 * happened — the call is on its way, or why calltrail refused it — in amoCRM's notifications, or
 * in a small toast of its own when those are not there. It never fails silently.
 *
 * And sign-in: on cards, an "Open in calltrail" button (render_template) calls
 * `${calltrail_url}/v1/auth/amocrm` with amoCRM's `$authorizedAjax`, which adds a one-time token
 * naming the amoCRM user (https://developers.kommo.com/docs/one-time-tokens); calltrail answers a
 * one-time sign-in URL for the calltrail user linked to that amoCRM user, opened in a new tab.
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

  const toast = (kind, text, link) => {
    const box = document.createElement('div');
    box.className = `calltrail-toast calltrail-toast-${kind}`;
    box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    box.style.cssText = `position:fixed;right:16px;bottom:16px;z-index:100000;max-width:360px;padding:10px 14px;border-radius:6px;font:14px/1.4 sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.25);color:#fff;background:${kind === 'error' ? '#b3261e' : '#1d6b3a'}`;
    box.textContent = text;
    if (link) {
      const anchor = document.createElement('a');
      anchor.href = link;
      anchor.target = '_blank';
      anchor.rel = 'noopener';
      anchor.style.color = '#fff';
      anchor.textContent = ` ${link}`;
      box.appendChild(anchor);
    }
    box.addEventListener('click', (event) => {
      if (event.target === box) box.remove();
    });
    document.body.appendChild(box);
    setTimeout(() => box.remove(), TOAST_MS);
  };

  /**
   * amoCRM's own notification when it has one, else the toast; any failure there falls back too.
   * A link (a URL to open by hand) is appended to amoCRM's text, and clickable in the toast.
   */
  const notify = (widget, kind, text, link) => {
    const notifications = amo().notifications;
    const header = say(widget, 'title');
    const full = link ? `${text} ${link}` : text;
    try {
      if (kind === 'error' && notifications && typeof notifications.show_message_error === 'function') {
        notifications.show_message_error({ header, text: full });
        return;
      }
      if (notifications && typeof notifications.show_message === 'function') {
        notifications.show_message({ header, text: full });
        return;
      }
    } catch (_error) {
      // amoCRM's notifications failed: the toast below still tells the user.
    }
    toast(kind, text, link);
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

  /** What a failed $authorizedAjax says: calltrail's error envelope (jqXHR.responseJSON), else the status or the error. */
  const ajaxRefusal = (failure) => {
    const body = failure && typeof failure === 'object' ? failure.responseJSON : null;
    const error = body && typeof body === 'object' ? body.error : null;
    if (error && typeof error.message === 'string' && error.message) {
      return error.requestId ? `${error.message} (${error.code || failure.status}, request ${error.requestId})` : error.message;
    }
    if (body && typeof body === 'object' && typeof body.detail === 'string' && body.detail) return body.detail;
    if (failure && typeof failure.status === 'number' && failure.status > 0) return `HTTP ${failure.status}`;
    return failure?.message || 'network error';
  };

  const CARD_AREAS = ['ccard', 'lcard', 'comcard', 'cucard'];
  const inCard = (widget) => {
    try {
      const system = typeof widget.system === 'function' ? widget.system() : null;
      return !!system && CARD_AREAS.includes(system.area);
    } catch (_error) {
      return false;
    }
  };

  const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  let instances = 0;

  /** The card's block: an "Open in calltrail" button, shown with amoCRM's render_template. */
  const renderBlock = (widget) => {
    if (!inCard(widget) || typeof widget.render_template !== 'function') return;
    const html = `<div class="calltrail-open-block"><button type="button" class="button-input calltrail-open" data-calltrail-open="${widget.calltrailId}">${escapeHtml(say(widget, 'open_button'))}</button></div>`;
    widget.render_template({ caption: { class_name: 'calltrail' }, body: '', render: html });
  };

  const bindBlock = (widget) => {
    if (typeof document === 'undefined') return;
    const button = document.querySelector(`[data-calltrail-open="${widget.calltrailId}"]`);
    if (!button || button.getAttribute('data-bound')) return;
    button.setAttribute('data-bound', '1');
    button.addEventListener('click', (event) => {
      event.preventDefault();
      widget.calltrailOpen();
    });
  };

  /**
   * "Open in calltrail": a blank tab is opened at once, while the click still counts as the
   * user's (a popup blocker would refuse a window opened after the request), then pointed at the
   * sign-in URL calltrail answers; a refusal closes it and says why. Without the tab, the URL is
   * opened then, or handed to the user as a link.
   */
  const openCalltrail = async (widget) => {
    const { url } = settingsOf(widget);
    if (!url) return notify(widget, 'error', say(widget, 'no_url'));
    if (typeof widget.$authorizedAjax !== 'function') return notify(widget, 'error', say(widget, 'no_authorized_ajax'));
    const open = typeof window.open === 'function' ? (target) => window.open(target, '_blank') : () => null;
    const tab = open('');
    if (tab) {
      try {
        tab.opener = null;
      } catch (_error) {
        // Not ours to change: the tab still opens calltrail.
      }
    }
    let answer = null;
    try {
      answer = await Promise.resolve(widget.$authorizedAjax({ url: `${url}/v1/auth/amocrm`, method: 'POST', type: 'POST', dataType: 'json' }));
    } catch (failure) {
      if (tab) tab.close();
      return notify(widget, 'error', say(widget, 'sign_in_refused', { message: ajaxRefusal(failure) }));
    }
    const target = answer && typeof answer === 'object' && typeof answer.url === 'string' ? answer.url : '';
    if (!/^https?:\/\//.test(target)) {
      if (tab) tab.close();
      return notify(widget, 'error', say(widget, 'sign_in_refused', { message: say(widget, 'no_sign_in_url') }));
    }
    if (tab) {
      tab.location.href = target;
      return;
    }
    if (!open(target)) notify(widget, 'error', say(widget, 'popup_blocked'), target);
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
      this.calltrailOpen = () => openCalltrail(this);
      instances += 1;
      this.calltrailId = `ct${instances}`;
      this.callbacks = {
        render: () => {
          renderBlock(this);
          bindBlock(this);
          return true;
        },
        init: () => {
          this.add_action('phone', (params) => this.calltrailOriginate(params?.value));
          return true;
        },
        bind_actions: () => {
          bindBlock(this);
          return true;
        },
        settings: () => true,
        onSave: () => true,
        destroy: () => {},
      };
      return this;
    };
  });
}
