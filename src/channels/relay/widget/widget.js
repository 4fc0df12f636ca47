/* comptoir chat widget. Hand-written, no framework, no build step. A shop embeds it with
     <script src="https://relay.example/widget.js" data-comptoir-inbox="site" defer></script>
   It adds one global, window.Comptoir, and one element, #comptoir-chat. Everything the
   relay or a visitor wrote goes into the page through textContent, never as markup. */
(function () {
  'use strict';
  if (window.Comptoir) return;
  var script = document.currentScript || document.querySelector('script[data-comptoir-inbox]');
  if (!script || !script.src) return;

  var inbox = script.getAttribute('data-comptoir-inbox') || 'site';
  // The relay may sit under a path prefix behind a proxy: resolve against the script's
  // own directory, not its origin.
  var base = new URL('./', script.src);
  var chatBase = new URL('chat/' + encodeURIComponent(inbox) + '/', base);
  var storeKey = 'comptoir:' + base.href + ':' + inbox;
  var MAX_TRIES = 6;

  function url(path) {
    return new URL(path, chatBase).href;
  }

  /* Persistence: the visitor id and token let a reload or a returning visitor find the
     conversation again. Storage can be refused (privacy modes); the chat then lasts as
     long as the page. */
  var saved = {};
  try {
    var raw = JSON.parse(localStorage.getItem(storeKey) || '{}');
    if (raw && typeof raw === 'object') saved = raw;
  } catch (e) { /* unreadable: start afresh */ }
  if (typeof saved.visitor_id !== 'string' || typeof saved.token !== 'string') {
    delete saved.visitor_id;
    delete saved.token;
  }
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(saved)); } catch (e) { /* see above */ }
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }

  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      var value = props[key];
      if (key === 'text') node.textContent = value;
      else if (key === 'class') node.className = value;
      else if (value === true) node.setAttribute(key, '');
      else if (value !== false && value != null) node.setAttribute(key, value);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function field(label, input) {
    return el('label', {}, [document.createTextNode(label), input]);
  }

  /* The DOM, built once. */
  var unread = el('span', { class: 'comptoir-unread', hidden: true });
  var launcher = el('button', {
    type: 'button', id: 'comptoir-launcher', class: 'comptoir-launcher',
    'aria-expanded': 'false', 'aria-controls': 'comptoir-panel', 'aria-haspopup': 'dialog'
  }, [el('span', { text: 'Chat with us' }), unread]);

  var presence = el('span', { id: 'comptoir-presence', class: 'comptoir-presence' });
  var closeButton = el('button', { type: 'button', class: 'comptoir-close', 'aria-label': 'Close chat', text: '\u00d7' });
  var log = el('ol', {
    id: 'comptoir-log', class: 'comptoir-log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages'
  });
  var notice = el('p', { id: 'comptoir-notice', class: 'comptoir-notice', role: 'status', hidden: true });

  // Names get 64 characters: the relay takes 256 bytes, which fits them in any script.
  var preName = el('input', { id: 'comptoir-prechat-name', name: 'name', autocomplete: 'name', maxlength: '64' });
  var preEmail = el('input', { id: 'comptoir-prechat-email', name: 'email', type: 'email', autocomplete: 'email', maxlength: '320' });
  var skipButton = el('button', { type: 'button', id: 'comptoir-prechat-skip', class: 'comptoir-btn comptoir-btn-quiet', text: 'Skip' });
  var prechat = el('form', { id: 'comptoir-prechat', class: 'comptoir-form', hidden: true, novalidate: true }, [
    el('p', { text: 'Tell us who you are so we can follow up by email. Both are optional.' }),
    field('Name', preName),
    field('Email', preEmail),
    el('div', { class: 'comptoir-actions' }, [
      skipButton,
      el('button', { type: 'submit', class: 'comptoir-btn', text: 'Start chat' })
    ])
  ]);

  var input = el('textarea', { id: 'comptoir-input', rows: '2', maxlength: '8000', placeholder: 'Write a message\u2026' });
  var composer = el('form', { id: 'comptoir-composer', class: 'comptoir-form', hidden: true }, [
    el('div', { class: 'comptoir-row' }, [
      el('label', { class: 'comptoir-sr', for: 'comptoir-input', text: 'Message' }),
      input,
      el('button', { type: 'submit', id: 'comptoir-send', class: 'comptoir-btn', text: 'Send' })
    ])
  ]);

  var back = el('p', { id: 'comptoir-back', hidden: true });
  var offName = el('input', { id: 'comptoir-offline-name', name: 'name', autocomplete: 'name', required: true, maxlength: '64' });
  var offEmail = el('input', { id: 'comptoir-offline-email', name: 'email', type: 'email', autocomplete: 'email', required: true, maxlength: '320' });
  var offText = el('textarea', { id: 'comptoir-offline-text', name: 'text', rows: '4', required: true, maxlength: '8000' });
  var offSend = el('button', { type: 'submit', id: 'comptoir-offline-send', class: 'comptoir-btn', text: 'Send message' });
  var offline = el('form', { id: 'comptoir-offline', class: 'comptoir-form', hidden: true }, [
    el('p', { text: 'Nobody can chat right now. Leave a message and we will answer by email.' }),
    back,
    field('Name', offName),
    field('Email', offEmail),
    field('Message', offText),
    el('div', { class: 'comptoir-actions' }, [offSend])
  ]);
  var offlineDone = el('p', { id: 'comptoir-offline-done', class: 'comptoir-notice', role: 'status', tabindex: '-1', hidden: true });

  var panel = el('div', {
    id: 'comptoir-panel', class: 'comptoir-panel', role: 'dialog', 'aria-labelledby': 'comptoir-title', hidden: true
  }, [
    el('div', { class: 'comptoir-header' }, [
      el('div', { class: 'comptoir-title' }, [
        el('h2', { id: 'comptoir-title', class: 'comptoir-title', text: 'Chat with us' }),
        presence
      ]),
      closeButton
    ]),
    el('div', { class: 'comptoir-body' }, [log, notice, prechat, composer, offline, offlineDone])
  ]);
  var root = el('div', { id: 'comptoir-chat', hidden: true }, [launcher, panel]);

  /* State. */
  var available = null;   // null until the relay has said
  var nextAvailable = null;
  var offlineSent = false;
  var shown = {};         // message id -> its <li>, so a replay never shows one twice
  var pending = [];       // visitor messages sent but not yet seen on the stream
  var source = null;
  var retryTimer = null;
  var retryDelay = 1000;
  var statusTimer = null;

  function isOpen() { return !panel.hidden; }

  function setNotice(text) {
    notice.textContent = text || '';
    notice.hidden = !text;
  }

  var timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
  var dayTimeFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
  var backFormat = new Intl.DateTimeFormat(undefined, {
    weekday: 'long', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short'
  });

  function formatTime(rfc3339) {
    var date = new Date(rfc3339);
    if (isNaN(date)) return '';
    var today = new Date().toDateString() === date.toDateString();
    return (today ? timeFormat : dayTimeFormat).format(date);
  }

  /* Which form the panel shows: the offline form while nobody is available, else the
     pre-chat form until it was filled or skipped, else the composer. */
  function render() {
    var hadFocus = panel.contains(document.activeElement) &&
      document.activeElement !== closeButton && document.activeElement !== log;
    var away = available === false;
    prechat.hidden = away || !!saved.visitor_id || !!saved.prechat;
    composer.hidden = away || !prechat.hidden;
    offline.hidden = !away || offlineSent;
    offlineDone.hidden = !away || !offlineSent;
    presence.textContent = available === true ? 'We are online' : away ? 'We are away: leave a message' : '';
    if (away && nextAvailable) {
      var when = new Date(nextAvailable);
      back.textContent = isNaN(when) ? '' : 'Someone will be back ' + backFormat.format(when) + ' (your time).';
      back.hidden = isNaN(when);
    } else {
      back.hidden = true;
    }
    if (!offName.value && saved.name) offName.value = saved.name;
    if (!offEmail.value && saved.email) offEmail.value = saved.email;
    if (hadFocus && (!panel.contains(document.activeElement) || document.activeElement.closest('[hidden]'))) focusFirst();
  }

  function focusFirst() {
    var target = !prechat.hidden ? preName : !composer.hidden ? input : !offline.hidden ? offName :
      !offlineDone.hidden ? offlineDone : closeButton;
    target.focus();
  }

  function setAvailability(data) {
    if (!data || typeof data.available !== 'boolean') return;
    available = data.available;
    if ('next_available' in data) nextAvailable = typeof data.next_available === 'string' ? data.next_available : null;
    if (available) offlineSent = false;
    render();
  }

  function fetchStatus() {
    return fetch(url('status'), { credentials: 'omit' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(setAvailability)
      .catch(function () { /* unknown: the composer stays, messages still reach the queue */ });
  }

  /* The message log. */
  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  }

  function messageItem(from, author, text) {
    var meta = el('time', { class: 'comptoir-meta' });
    var li = el('li', { class: 'comptoir-msg comptoir-msg-' + from }, [
      el('span', { class: 'comptoir-author', text: author }),
      el('p', { class: 'comptoir-text', text: text }),
      meta
    ]);
    li.meta = meta;
    return li;
  }

  function stamp(li, sentAt) {
    li.meta.textContent = formatTime(sentAt);
    li.meta.setAttribute('datetime', sentAt);
  }

  function place(li, id) {
    li.setAttribute('data-id', String(id));
    shown[id] = li;
    // In id order among stored messages; ones still being sent stay last.
    var before = null;
    for (var node = log.firstChild; node; node = node.nextSibling) {
      if (node === li) continue;
      var other = node.getAttribute('data-id');
      if (other === null || Number(other) > id) { before = node; break; }
    }
    if (li.parentNode !== log || li.nextSibling !== before) log.insertBefore(li, before);
  }

  function visitorLabel() {
    return saved.name ? saved.name : 'You';
  }

  function showMessage(m) {
    if (!m || typeof m.id !== 'number' || typeof m.text !== 'string' || shown[m.id]) return;
    var stick = nearBottom();
    var li = null;
    if (m.from === 'visitor') {
      // The stream may report our own message before its POST answers.
      for (var i = 0; i < pending.length; i++) {
        if (pending[i].id === m.id || (pending[i].id == null && pending[i].text === m.text)) {
          li = pending[i].li;
          pending.splice(i, 1);
          break;
        }
      }
    }
    if (!li) {
      li = m.from === 'visitor' ? messageItem('visitor', visitorLabel(), m.text)
        : messageItem('agent', typeof m.author === 'string' && m.author ? m.author : 'Support', m.text);
    }
    li.classList.remove('comptoir-msg-pending', 'comptoir-msg-failed');
    if (typeof m.sent_at === 'string') stamp(li, m.sent_at);
    place(li, m.id);
    if (m.from === 'agent' && m.id > (saved.seen || 0)) {
      if (isOpen()) markSeen(m.id); else unread.hidden = false;
    }
    if (stick || m.from === 'visitor') log.scrollTop = log.scrollHeight;
  }

  function markSeen(id) {
    if (id > (saved.seen || 0)) { saved.seen = id; save(); }
    unread.hidden = true;
  }

  /* Live replies: EventSource reconnects by itself and sends Last-Event-ID; when it gives
     up (the relay answered an error), start a new one after a growing pause. The replay
     then starts from the beginning, and ids already shown are skipped. */
  function connect() {
    if (source || !saved.visitor_id || !window.EventSource) return;
    var target = new URL(url('visitors/' + encodeURIComponent(saved.visitor_id) + '/events'));
    target.searchParams.set('token', saved.token);
    var es = new EventSource(target.href);
    source = es;
    es.addEventListener('open', function () {
      retryDelay = 1000;
      setNotice(null);
    });
    es.addEventListener('message', function (event) {
      try { showMessage(JSON.parse(event.data)); } catch (e) { /* not ours: skip it */ }
    });
    es.addEventListener('status', function (event) {
      try { setAvailability(JSON.parse(event.data)); } catch (e) { /* idem */ }
    });
    es.addEventListener('error', function () {
      setNotice('Reconnecting\u2026');
      if (es.readyState !== EventSource.CLOSED) return;
      es.close();
      if (source === es) source = null;
      clearTimeout(retryTimer);
      retryTimer = setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  function disconnect() {
    if (source) source.close();
    source = null;
    clearTimeout(retryTimer);
  }

  /* Posting. A POST is retried with the same client_id after a network error, a 5xx or a
     429, so the relay stores it once however many tries it takes. */
  function wait(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function errorOf(response) {
    return response.json().then(function (body) {
      return body && typeof body.error === 'string' ? body.error : 'error ' + response.status;
    }, function () { return 'error ' + response.status; });
  }

  function post(path, body, token) {
    var headers = { 'Content-Type': 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    return fetch(url(path), { method: 'POST', headers: headers, body: JSON.stringify(body), credentials: 'omit' });
  }

  /* token: 'required' makes a visitor first if there is none and sends its token. */
  async function postWithRetries(path, makeBody, token) {
    var renewed = false;
    for (var attempt = 1; ; attempt++) {
      var response = null;
      try {
        if (token === 'required') await ensureVisitor();
        response = await post(typeof path === 'function' ? path() : path, makeBody(), token ? saved.token : null);
      } catch (e) {
        if (attempt >= MAX_TRIES) throw new Error('The chat service cannot be reached.');
      }
      if (response) {
        if (response.ok) return response;
        if (response.status === 401 && saved.token && token && !renewed) {
          // The token is no longer honoured (the relay's key changed): start afresh.
          renewed = true;
          forgetVisitor();
          continue;
        }
        if ((response.status !== 429 && response.status < 500) || attempt >= MAX_TRIES) {
          throw new Error(await errorOf(response));
        }
      }
      var after = response && Number(response.headers.get('Retry-After'));
      await wait(after > 0 ? Math.min(after, 60) * 1000 : Math.min(1000 * Math.pow(2, attempt - 1), 30000));
    }
  }

  function forgetVisitor() {
    disconnect();
    delete saved.visitor_id;
    delete saved.token;
    save();
  }

  var creating = null;
  function ensureVisitor() {
    if (saved.visitor_id) return Promise.resolve();
    if (!creating) {
      var body = {};
      if (saved.name) body.name = saved.name;
      if (saved.email) body.email = saved.email;
      creating = post('visitors', body, null).then(async function (response) {
        if (response.status !== 201) throw new Error(await errorOf(response));
        var data = await response.json();
        if (!data || typeof data.visitor_id !== 'string' || typeof data.token !== 'string') {
          throw new Error('The chat service answered oddly.');
        }
        saved.visitor_id = data.visitor_id;
        saved.token = data.token;
        save();
        connect();
      }).finally(function () { creating = null; });
    }
    return creating;
  }

  function identity(body) {
    if (saved.name) body.name = saved.name;
    if (saved.email) body.email = saved.email;
    return body;
  }

  function send(entry) {
    entry.li.classList.add('comptoir-msg-pending');
    entry.li.classList.remove('comptoir-msg-failed');
    entry.li.meta.textContent = 'Sending\u2026';
    return postWithRetries(function () {
      return 'visitors/' + encodeURIComponent(saved.visitor_id) + '/messages';
    }, function () {
      return identity({ text: entry.text, client_id: entry.clientId });
    }, 'required').then(async function (response) {
      var data = await response.json().catch(function () { return null; });
      var id = data && typeof data.message_id === 'number' ? data.message_id : null;
      if (id == null || shown[id]) return;
      entry.id = id;
      entry.li.classList.remove('comptoir-msg-pending');
      entry.li.meta.textContent = formatTime(new Date().toISOString());
      var index = pending.indexOf(entry);
      if (index >= 0) pending.splice(index, 1);
      place(entry.li, id);
      connect();
    }, function (error) {
      entry.li.classList.remove('comptoir-msg-pending');
      entry.li.classList.add('comptoir-msg-failed');
      entry.li.meta.textContent = 'Not sent: ' + error.message + ' ';
      var retry = el('button', { type: 'button', class: 'comptoir-btn comptoir-btn-quiet', text: 'Retry' });
      retry.addEventListener('click', function () { send(entry); });
      entry.li.meta.appendChild(retry);
    });
  }

  composer.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = '';
    var entry = { clientId: newId(), text: text, id: null, li: messageItem('visitor', visitorLabel(), text) };
    pending.push(entry);
    log.appendChild(entry.li);
    log.scrollTop = log.scrollHeight;
    send(entry);
  });

  input.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit ? composer.requestSubmit() : composer.dispatchEvent(new Event('submit', { cancelable: true }));
    }
  });

  prechat.addEventListener('submit', function (event) {
    event.preventDefault();
    var name = preName.value.trim();
    var email = preEmail.value.trim();
    if (email && !preEmail.checkValidity()) {
      setNotice('That email address does not look right.');
      preEmail.focus();
      return;
    }
    setNotice(null);
    if (name) saved.name = name;
    if (email) saved.email = email;
    saved.prechat = true;
    save();
    render();
    input.focus();
  });

  skipButton.addEventListener('click', function () {
    saved.prechat = true;
    save();
    setNotice(null);
    render();
    input.focus();
  });

  offline.addEventListener('submit', function (event) {
    event.preventDefault();
    var name = offName.value.trim();
    var email = offEmail.value.trim();
    var text = offText.value.trim();
    if (!name || !email || !text || !offEmail.checkValidity()) {
      setNotice('Please give your name, a valid email address and a message.');
      (!name ? offName : !email || !offEmail.checkValidity() ? offEmail : offText).focus();
      return;
    }
    setNotice(null);
    saved.name = name;
    saved.email = email;
    save();
    offSend.disabled = true;
    var clientId = newId();
    // As a known visitor (made now if need be), so that a retry is stored once and the
    // answer can reach this browser too, not only the inbox.
    postWithRetries('offline', function () {
      return { name: name, email: email, text: text, client_id: clientId, visitor_id: saved.visitor_id };
    }, 'required').then(function () {
      offText.value = '';
      offlineSent = true;
      offlineDone.textContent = 'Thank you, ' + name + '. We will answer at ' + email + '.';
      render();
      offlineDone.focus();
    }, function (error) {
      setNotice('Your message was not sent: ' + error.message);
    }).finally(function () { offSend.disabled = false; });
  });

  /* Opening and closing, by keyboard as well as by pointer. */
  function open() {
    if (isOpen()) return;
    panel.hidden = false;
    root.classList.add('comptoir-open');
    launcher.setAttribute('aria-expanded', 'true');
    render();
    focusFirst();
    fetchStatus();
    connect();
    var last = log.lastElementChild;
    if (last && last.getAttribute('data-id')) markSeen(Number(last.getAttribute('data-id')));
    log.scrollTop = log.scrollHeight;
    // The stream may carry availability changes, but a visitor who has not written yet
    // has no stream, and a relay may not send them: ask now and then while open.
    clearInterval(statusTimer);
    statusTimer = setInterval(fetchStatus, 60000);
  }

  function close() {
    if (!isOpen()) return;
    panel.hidden = true;
    root.classList.remove('comptoir-open');
    launcher.setAttribute('aria-expanded', 'false');
    clearInterval(statusTimer);
    launcher.focus();
  }

  launcher.addEventListener('click', open);
  closeButton.addEventListener('click', close);
  panel.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') {
      event.stopPropagation();
      close();
    }
  });

  function start() {
    var css = el('link', { rel: 'stylesheet', href: new URL('widget.css', base).href });
    // Shown once styled, so the page never flashes an unstyled panel; shown anyway if
    // the style sheet fails.
    css.addEventListener('load', function () { root.hidden = false; });
    css.addEventListener('error', function () { root.hidden = false; });
    document.head.appendChild(css);
    document.body.appendChild(root);
    render();
    fetchStatus();
    // A returning visitor: the history and any reply that came while away.
    connect();
  }

  window.Comptoir = { open: open, close: close, inbox: inbox };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
