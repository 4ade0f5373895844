// The Sluice console: chat, history, keys, status and administration, on the gateway's own APIs.
import { ApiError, call, download, session, streamChat } from './api.js';
import { render } from './markdown.js';

const $ = (id) => document.getElementById(id);
const PAGES = ['login', 'chat', 'keys', 'usage', 'status', 'admin'];
const PAGE_SIZE = 20;
// The picked model and agent, remembered in this browser: a choice, not a secret.
const MODEL = 'sluice.model';
const AGENT = 'sluice.agent';

const state = {
  anonymousAllowed: false,
  conversationId: null,
  conversationsCursor: null,
  olderCursor: null,
  loadingOlder: null, // {page}: the page of older messages being loaded for the chat shown
  streaming: null, // the AbortController of the reply being streamed
  usageCursor: null,
};

// ---- navigation -------------------------------------------------------------------------------------------------

function isAdmin() {
  return session.claims?.role === 'ADMIN';
}

function signedIn() {
  return Boolean(session.token);
}

async function route() {
  let page = location.hash.replace(/^#\//, '') || 'chat';
  if (!PAGES.includes(page)) page = 'chat';
  const mayChat = signedIn() || state.anonymousAllowed;
  if (!mayChat && page !== 'login' && page !== 'status') page = 'login';
  if ((page === 'keys' && !signedIn()) || (page === 'admin' && !isAdmin())) page = 'login';
  for (const name of PAGES) $(name).hidden = name !== page;
  for (const link of document.querySelectorAll('#nav a')) {
    link.toggleAttribute('aria-current', link.getAttribute('href') === `#/${page}`);
    if (link.hasAttribute('aria-current')) link.setAttribute('aria-current', 'page');
  }
  $('nav').hidden = !mayChat;
  $('admin-link').hidden = !isAdmin();
  $('logout').hidden = !signedIn();
  $('sign-in').hidden = signedIn() || page === 'login';
  $('who').textContent = signedIn() ? (session.claims?.email ?? '') : (state.anonymousAllowed ? 'anonymous' : '');
  $('anonymous-note').hidden = !state.anonymousAllowed;
  if (page === 'chat') await showChat();
  else if (page === 'keys') await showKeys();
  else if (page === 'usage') await showUsage(false);
  else if (page === 'status') await showStatus();
  else if (page === 'admin') await showAdmin();
}

function go(page) {
  if (location.hash === `#/${page}`) route();
  else location.hash = `#/${page}`;
}

// ---- sign-up, login, log out ------------------------------------------------------------------------------------

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const credentials = { email: form.email.value.trim(), password: form.password.value };
  $('login-error').textContent = '';
  try {
    if (event.submitter?.value === 'register') await call('POST', '/api/v1/auth/register', credentials);
    const login = await call('POST', '/api/v1/auth/login', credentials);
    session.token = login.access_token;
    form.reset();
    resetChat();
    go('chat');
  } catch (error) {
    $('login-error').textContent = error.message;
  }
});

$('logout').addEventListener('click', () => {
  session.token = null;
  resetChat();
  go(state.anonymousAllowed ? 'chat' : 'login');
});

/** Whether this gateway lets a caller without a credential chat (the embedded default's anonymous mode). */
async function probeAnonymous() {
  try {
    const response = await fetch('/api/v1/quota');
    state.anonymousAllowed = response.ok;
  } catch {
    state.anonymousAllowed = false;
  }
}

/** An expired token: drop it and send the user to log in again. */
function handleUnauthorized(error) {
  if (error instanceof ApiError && error.status === 401 && signedIn()) {
    session.token = null;
    go('login');
    return true;
  }
  return false;
}

// ---- quota ------------------------------------------------------------------------------------------------------

async function refreshQuota() {
  try {
    const quota = await call('GET', '/api/v1/quota');
    if (!quota.enabled) {
      $('quota').textContent = '';
      return quota;
    }
    $('quota').textContent = `Today: ${quota.requests.used}/${quota.requests.limit} requests, `
      + `${quota.tokens.used}/${quota.tokens.limit} tokens`;
    return quota;
  } catch (error) {
    handleUnauthorized(error);
    $('quota').textContent = '';
    return null;
  }
}

function localTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** The message for a refused chat: a 429 says when the caller may try again. */
async function refusal(error) {
  if (!(error instanceof ApiError) || error.status !== 429) return error.message;
  const quota = await refreshQuota();
  const spent = quota?.enabled && (quota.requests.remaining === 0 || quota.tokens.remaining === 0);
  if (spent) return `${error.message}\nYour daily quota is spent; it resets at ${localTime(quota.requests.resets_at)}.`;
  const retry = Number(error.headers.get('Retry-After'));
  return retry ? `${error.message}\nTry again in ${retry} s.` : error.message;
}

// ---- chat -------------------------------------------------------------------------------------------------------

function resetChat() {
  state.conversationId = null;
  state.olderCursor = null;
  state.loadingOlder = null;
  $('messages').replaceChildren();
  $('chat-error').textContent = '';
  $('delete-conversation').hidden = true;
}

async function showChat() {
  await Promise.all([loadPickers(), loadConversations(false), refreshQuota()]);
  $('message').focus();
}

async function loadPickers() {
  try {
    const [models, agents] = await Promise.all([call('GET', '/api/v1/models'), call('GET', '/api/v1/agents')]);
    const model = $('model');
    const chosen = model.value;
    model.replaceChildren(...models.items.map((entry) => option(entry.id,
      entry.simulated ? `${entry.id} (simulated)` : entry.id)));
    const wanted = chosen || localStorage.getItem(MODEL);
    if (wanted && models.items.some((entry) => entry.id === wanted)) model.value = wanted;
    const agent = $('agent');
    const wantedAgent = agent.value || localStorage.getItem(AGENT) || '';
    agent.replaceChildren(option('', 'None'), ...agents.items.map((entry) => option(entry.name, entry.name)));
    if (agents.items.some((entry) => entry.name === wantedAgent)) agent.value = wantedAgent;
  } catch (error) {
    if (!handleUnauthorized(error)) $('chat-error').textContent = error.message;
  }
}

function option(value, label) {
  const node = document.createElement('option');
  node.value = value;
  node.textContent = label;
  return node;
}

async function loadConversations(more) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (more && state.conversationsCursor) query.set('before', state.conversationsCursor);
  try {
    const page = await call('GET', `/api/v1/conversations?${query}`);
    const items = page.items.map((conversation) => {
      const link = document.createElement('a');
      link.href = '#/chat';
      link.textContent = conversation.title || 'Untitled';
      link.title = conversation.title || '';
      link.dataset.id = conversation.id;
      if (conversation.id === state.conversationId) link.setAttribute('aria-current', 'true');
      link.addEventListener('click', (event) => {
        event.preventDefault();
        openConversation(conversation.id);
      });
      const item = document.createElement('li');
      item.append(link);
      return item;
    });
    if (more) $('conversations').append(...items);
    else $('conversations').replaceChildren(...items);
    state.conversationsCursor = page.next_cursor;
    $('more-conversations').hidden = !page.next_cursor;
  } catch (error) {
    handleUnauthorized(error);
  }
}

$('model').addEventListener('change', () => localStorage.setItem(MODEL, $('model').value));
$('agent').addEventListener('change', () => localStorage.setItem(AGENT, $('agent').value));
$('more-conversations').addEventListener('click', () => loadConversations(true));
$('new-chat').addEventListener('click', () => {
  stopStreaming();
  resetChat();
  markCurrent();
  $('message').focus();
});

function markCurrent() {
  for (const link of $('conversations').querySelectorAll('a')) {
    if (link.dataset.id === state.conversationId) link.setAttribute('aria-current', 'true');
    else link.removeAttribute('aria-current');
  }
}

async function openConversation(id) {
  stopStreaming();
  resetChat();
  state.conversationId = id;
  $('delete-conversation').hidden = false;
  markCurrent();
  await loadOlder();
  const messages = $('messages');
  messages.scrollTop = messages.scrollHeight;
  // A page too short to scroll gives no scroll event to ask for the next: load until the pane can scroll.
  while (state.olderCursor && id === state.conversationId && messages.scrollHeight <= messages.clientHeight) {
    if (!await loadOlder()) break;
  }
}

/**
 * The page of messages before the oldest shown, newest first from the API, put above what is shown, keeping in view
 * what the reader was looking at. One page at a time: a call while one loads waits for that one.
 */
function loadOlder() {
  const id = state.conversationId;
  if (!id) return Promise.resolve(false);
  if (!state.loadingOlder) {
    // resetChat drops it: a page that comes after that is for a chat no longer shown.
    const loading = {};
    const current = () => state.loadingOlder === loading;
    loading.page = loadOlderPage(id, current).finally(() => { if (current()) state.loadingOlder = null; });
    state.loadingOlder = loading;
  }
  return state.loadingOlder.page;
}

/** Whether the page came and is shown. */
async function loadOlderPage(id, current) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (state.olderCursor) query.set('before', state.olderCursor);
  try {
    const page = await call('GET', `/api/v1/conversations/${encodeURIComponent(id)}/messages?${query}`);
    if (!current()) return false;
    const messages = $('messages');
    const fromBottom = messages.scrollHeight - messages.scrollTop;
    const nodes = page.items.slice().reverse().map((message) => message.role === 'user'
      ? userMessage(message.content) : storedReply(message));
    messages.prepend(...nodes);
    messages.scrollTop = messages.scrollHeight - fromBottom;
    state.olderCursor = page.next_cursor;
    return true;
  } catch (error) {
    if (!handleUnauthorized(error)) $('chat-error').textContent = error.message;
    return false;
  }
}

$('messages').addEventListener('scroll', () => {
  if ($('messages').scrollTop < 40 && state.olderCursor) loadOlder();
});

$('delete-conversation').addEventListener('click', async () => {
  if (!state.conversationId) return;
  try {
    await call('DELETE', `/api/v1/conversations/${encodeURIComponent(state.conversationId)}`);
    resetChat();
    await loadConversations(false);
  } catch (error) {
    $('chat-error').textContent = error.message;
  }
});

function userMessage(text) {
  const node = document.createElement('div');
  node.className = 'message user';
  node.textContent = text;
  return node;
}

/** A reply: its text rendered as Markdown (DOM nodes, never HTML), feedback buttons once it has an id. */
function reply() {
  const node = document.createElement('article');
  node.className = 'message assistant';
  const body = document.createElement('div');
  body.className = 'body';
  const meta = document.createElement('div');
  meta.className = 'meta';
  node.append(body, meta);
  return { node, body, meta };
}

/** A reply from the history: one that was stopped or failed says so, and only a complete one can be rated. */
function storedReply(message) {
  const view = reply();
  render(message.content ?? '', view.body);
  if (message.status === 'cancelled') {
    failed(view, 'Stopped.');
    finish(view, null, message.provider);
  } else if (message.status === 'failed') {
    failed(view, `The reply failed${message.error ? `: ${message.error}` : '.'}`);
    finish(view, null, message.provider);
  } else {
    finish(view, message.id, message.provider);
  }
  return view.node;
}

function finish(view, messageId, provider) {
  if (provider) {
    const label = document.createElement('span');
    label.textContent = provider;
    view.meta.append(label);
  }
  if (messageId) view.meta.append(...feedbackButtons(messageId));
}

function feedbackButtons(messageId) {
  const buttons = [['Good reply', '👍', 1], ['Bad reply', '👎', -1]].map(([name, face, rating]) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = face;
    button.setAttribute('aria-label', name);
    button.setAttribute('aria-pressed', 'false');
    button.addEventListener('click', async () => {
      try {
        await call('POST', '/api/v1/feedback', { message_id: messageId, rating });
        for (const other of buttons) other.setAttribute('aria-pressed', String(other === button));
      } catch (error) {
        $('chat-error').textContent = error.message;
      }
    });
    return button;
  });
  return buttons;
}

function failed(view, message) {
  view.node.classList.add('failed');
  const note = document.createElement('p');
  note.className = 'failure';
  note.setAttribute('role', 'alert');
  note.textContent = message;
  view.node.append(note);
}

function stopStreaming() {
  state.streaming?.abort();
}

$('stop').addEventListener('click', stopStreaming);

$('message').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $('composer').requestSubmit();
  }
});

$('composer').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('message').value;
  if (!text.trim() || state.streaming) return;
  $('message').value = '';
  $('chat-error').textContent = '';
  const messages = $('messages');
  messages.append(userMessage(text));
  const view = reply();
  view.node.setAttribute('aria-busy', 'true');
  messages.append(view.node);
  messages.scrollTop = messages.scrollHeight;

  const controller = new AbortController();
  state.streaming = controller;
  $('send').hidden = true;
  $('stop').hidden = false;
  const request = { prompt: text };
  if ($('agent').value) request.agent = $('agent').value;
  else request.model = $('model').value;
  if (state.conversationId) request.conversation_id = state.conversationId;

  let written = '';
  let frame = 0;
  let ended = false;
  const paint = () => {
    frame = 0;
    render(written, view.body);
    messages.scrollTop = messages.scrollHeight;
  };
  try {
    await streamChat(request, controller.signal, (name, data) => {
      if (name === 'token') {
        written += data.text ?? '';
        if (!frame) frame = requestAnimationFrame(paint);
      } else if (name === 'done') {
        ended = true;
        const isNew = !state.conversationId;
        state.conversationId = data.conversation_id;
        $('delete-conversation').hidden = false;
        finish(view, data.message_id, null);
        if (isNew) loadConversations(false);
      } else if (name === 'error') {
        ended = true;
        failed(view, `The reply failed: ${data.message ?? data.code}`);
      }
    });
    if (!ended) failed(view, 'The reply ended before it was complete.');
  } catch (error) {
    if (error.name === 'AbortError') {
      failed(view, 'Stopped.');
    } else if (!handleUnauthorized(error)) {
      const message = await refusal(error);
      failed(view, message);
      $('chat-error').textContent = message;
    }
  } finally {
    if (frame) cancelAnimationFrame(frame);
    render(written, view.body);
    view.node.setAttribute('aria-busy', 'false');
    state.streaming = null;
    $('send').hidden = false;
    $('stop').hidden = true;
    refreshQuota();
  }
});

// ---- API keys ---------------------------------------------------------------------------------------------------

async function showKeys() {
  $('new-key').hidden = true;
  $('keys-error').textContent = '';
  try {
    const page = await call('GET', '/api/v1/keys');
    const items = page.items ?? page;
    $('key-list').replaceChildren(...items.map((key) => {
      const revoke = document.createElement('button');
      revoke.type = 'button';
      revoke.className = 'danger';
      revoke.textContent = 'Revoke';
      revoke.addEventListener('click', async () => {
        try {
          await call('DELETE', `/api/v1/keys/${encodeURIComponent(key.id)}`);
          await showKeys();
        } catch (error) {
          $('keys-error').textContent = error.message;
        }
      });
      return tableRow([key.name, `${key.prefix}…`, localTime(key.created_at), key.last_used_at
        ? localTime(key.last_used_at) : 'never', `$${Number(key.spent_usd ?? 0).toFixed(4)}`], revoke);
    }));
  } catch (error) {
    if (!handleUnauthorized(error)) $('keys-error').textContent = error.message;
  }
}

$('key-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const created = await call('POST', '/api/v1/keys', { name: event.target.name.value.trim() || null });
    event.target.reset();
    await showKeys();
    $('new-key-value').textContent = created.key;
    $('new-key').hidden = false;
  } catch (error) {
    $('keys-error').textContent = error.message;
  }
});

$('copy-key').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText($('new-key-value').textContent);
    $('copy-key').textContent = 'Copied';
  } catch {
    // no clipboard access (an insecure origin): select the key so that it can be copied by hand
    getSelection().selectAllChildren($('new-key-value'));
  }
});

function tableRow(cells, action) {
  const row = document.createElement('tr');
  for (const cell of cells) {
    const td = document.createElement('td');
    td.textContent = cell == null ? '' : String(cell);
    row.append(td);
  }
  if (action) {
    const td = document.createElement('td');
    td.append(action);
    row.append(td);
  }
  return row;
}

// ---- usage and spend --------------------------------------------------------------------------------------------

const GROUP_NAMES = { day: 'Day', model: 'Model', key: 'Key' };

/** A report's cost: unknown when every call was unpriced, the sum of the priced ones (≈ when estimated) else. */
function cost(line) {
  if (line.cost_usd == null) return line.requests ? 'unpriced' : '';
  const sum = `${line.estimated ? '≈ ' : ''}$${Number(line.cost_usd).toFixed(4)}`;
  return line.unpriced ? `${sum} + ${line.unpriced} unpriced` : sum;
}

function usageQuery() {
  const form = $('usage-form');
  return new URLSearchParams({ from: form.from.value, to: form.to.value, group_by: form.group_by.value });
}

async function showUsage(submitted) {
  const form = $('usage-form');
  if (!submitted && !form.to.value) {
    const today = new Date();
    form.to.value = today.toISOString().slice(0, 10);
    form.from.value = new Date(today.getTime() - 29 * 86_400_000).toISOString().slice(0, 10);
  }
  $('usage-error').textContent = '';
  try {
    const report = await call('GET', `/api/v1/usage?${usageQuery()}`);
    const groupBy = form.group_by.value;
    $('usage-what').textContent = GROUP_NAMES[groupBy];
    $('usage-rows').replaceChildren(...report.items.map((item) => tableRow([
      groupBy === 'key' ? (item.key == null ? 'no key (signed in)' : item.key_name ?? item.key) : item[groupBy],
      item.requests, item.input_tokens, item.output_tokens, cost(item)])));
    $('usage-total').replaceChildren(...tableRow(['Total', report.total.requests, report.total.input_tokens,
      report.total.output_tokens, cost(report.total)]).children);
    chart(groupBy === 'day' ? report.items : []);
  } catch (error) {
    if (!handleUnauthorized(error)) $('usage-error').textContent = error.message;
  }
}

/** One bar a day, as tall as its cost against the dearest day's; the exact figure in its tooltip. */
function chart(days) {
  const priced = days.filter((day) => day.cost_usd != null);
  const most = Math.max(0, ...priced.map((day) => Number(day.cost_usd)));
  $('usage-chart').hidden = priced.length === 0;
  $('usage-chart').replaceChildren(...days.map((day) => {
    const bar = document.createElement('div');
    bar.className = 'bar';
    // Through the CSSOM, which the Content-Security-Policy allows (a style attribute it would not).
    bar.style.height = `${most > 0 ? Math.max(1, (100 * Number(day.cost_usd ?? 0)) / most) : 1}%`;
    bar.title = `${day.day}: ${cost(day)}, ${day.requests} requests`;
    return bar;
  }));
}

$('usage-form').addEventListener('submit', (event) => {
  event.preventDefault();
  showUsage(true);
});

$('usage-csv').addEventListener('click', async () => {
  try {
    const query = usageQuery();
    await download(`/api/v1/usage?${query}`, `sluice-usage-${query.get('from')}-${query.get('to')}.csv`);
  } catch (error) {
    if (!handleUnauthorized(error)) $('usage-error').textContent = error.message;
  }
});

// ---- status -----------------------------------------------------------------------------------------------------

async function showStatus() {
  $('status-error').textContent = '';
  try {
    const status = await call('GET', '/api/v1/status');
    $('status-list').replaceChildren(...status.providers.map((provider) => tableRow([provider.name,
      provider.status, provider.circuit,
      provider.uptime_pct == null ? '' : `${Number(provider.uptime_pct).toFixed(1)} %`,
      provider.latency_p50_ms == null ? '' : `${provider.latency_p50_ms} ms`,
      provider.last_checked ? localTime(provider.last_checked) : ''])));
  } catch (error) {
    if (!handleUnauthorized(error)) $('status-error').textContent = error.message;
  }
}

// ---- administration ---------------------------------------------------------------------------------------------

async function showAdmin() {
  $('admin-error').textContent = '';
  $('cache-result').textContent = '';
  await loadUsage(false);
  await loadSpend();
}

async function loadSpend() {
  try {
    const report = await call('GET', '/api/v1/admin/usage?group_by=user');
    $('spend-list').replaceChildren(...report.items.map((item) => tableRow([item.email ?? item.user, item.requests,
      item.input_tokens, item.output_tokens, cost(item)])));
    $('spend-table').hidden = false;
  } catch (error) {
    if (!handleUnauthorized(error)) $('admin-error').textContent = error.message;
  }
}

async function loadUsage(more) {
  const query = new URLSearchParams();
  if (more && state.usageCursor) query.set('before', state.usageCursor);
  try {
    const page = await call('GET', `/api/v1/admin/usage?${query}`);
    const rows = page.items.map((usage) => tableRow([usage.email ?? usage.user_id, usage.requests, usage.tokens],
      quotaForm(usage.user_id)));
    if (more) $('usage-list').append(...rows);
    else $('usage-list').replaceChildren(...rows);
    state.usageCursor = page.next_cursor;
    $('more-usage').hidden = !page.next_cursor;
  } catch (error) {
    if (!handleUnauthorized(error)) $('admin-error').textContent = error.message;
  }
}

$('more-usage').addEventListener('click', () => loadUsage(true));

function quotaForm(userId) {
  const form = document.createElement('form');
  form.className = 'row';
  const requests = numberField('Daily requests');
  const tokens = numberField('Daily tokens');
  const save = document.createElement('button');
  save.type = 'submit';
  save.textContent = 'Save quota';
  form.append(requests.label, tokens.label, save);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await call('PUT', `/api/v1/admin/users/${encodeURIComponent(userId)}/quota`, {
        daily_requests: requests.input.value === '' ? null : Number(requests.input.value),
        daily_tokens: tokens.input.value === '' ? null : Number(tokens.input.value),
      });
      save.textContent = 'Saved';
    } catch (error) {
      $('admin-error').textContent = error.message;
    }
  });
  return form;
}

function numberField(name) {
  const label = document.createElement('label');
  const input = document.createElement('input');
  input.type = 'number';
  input.min = '0';
  label.append(name, input);
  return { label, input };
}

$('clear-cache').addEventListener('click', async () => {
  try {
    const result = await call('POST', '/api/v1/admin/cache/clear');
    $('cache-result').textContent = `Cleared ${result.cleared} entries.`;
  } catch (error) {
    $('admin-error').textContent = error.message;
  }
});

// ---- start ------------------------------------------------------------------------------------------------------

window.addEventListener('hashchange', route);
await probeAnonymous();
await route();
