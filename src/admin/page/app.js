// The admin page: signs in with the admin token and drives the admin API (/admin/sessions,
// /admin/cleanup, /admin/keys, /metrics) with it as a bearer token. The token lives in this tab's
// sessionStorage only (no storage that outlives the tab, no cookie), so closing the tab forgets
// it. Every value from the API reaches the DOM through textContent, never as HTML.

const TOKEN_KEY = 'gatehouse-admin-token';
const PAGE_SIZE = 50;
const NONE = '\u2014'; // what an absent or null field shows

const $ = (id) => document.getElementById(id);

class Unauthorized extends Error {}

class ApiError extends Error {
  constructor(status, reason) {
    super(reason);
    this.status = status;
  }
}

function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled: nothing remembered, sign in again
  }
}

/** One admin call; resolves to the response text. 401 throws Unauthorized, any other failure
 *  ApiError with the API's {"error"} reason when it gave one. */
async function call(method, path, token = storedToken()) {
  if (!token) throw new Unauthorized();
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: { Authorization: `Bearer ${token}` },
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'error',
    });
  } catch {
    throw new ApiError(0, 'the gateway did not answer');
  }
  const text = await res.text();
  if (res.status === 401) throw new Unauthorized();
  if (!res.ok) {
    let reason = `HTTP ${res.status}`;
    try {
      const body = JSON.parse(text);
      if (typeof body.error === 'string') reason = body.error;
    } catch {
      // not JSON: keep the status
    }
    throw new ApiError(res.status, reason);
  }
  return text;
}

const callJson = async (method, path, token) => JSON.parse(await call(method, path, token));

// ---------------------------------------------------------------------------------------------
// Signing in and out

function clearData() {
  for (const id of ['sessions', 'keys']) $(id).tBodies[0].replaceChildren();
  for (const id of ['sessions-status', 'cleanup-status', 'keys-status', 'metrics-status', 'view-title', 'page-info']) {
    $(id).textContent = '';
  }
  for (const id of ['metric-requests', 'metric-started', 'metric-ended', 'metric-store-errors']) $(id).textContent = '';
  $('metrics').hidden = true;
  $('pager').hidden = true;
  $('revoke-user').hidden = true;
  $('sessions-empty').hidden = true;
}

function showSignIn(message = '') {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: nothing to remove
  }
  clearData();
  $('console').hidden = true;
  $('sign-out').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = message;
  $('token').value = '';
  $('token').focus();
}

function showConsole() {
  $('signin').hidden = true;
  $('signin-error').textContent = '';
  $('console').hidden = false;
  $('sign-out').hidden = false;
}

/** Runs an action; a refused token returns to the sign-in form, other failures go to `status`. */
async function guarded(status, action) {
  try {
    await action();
  } catch (err) {
    if (err instanceof Unauthorized) {
      showSignIn('The admin token was refused: sign in again.');
    } else if (err instanceof ApiError) {
      status.textContent = `Failed: ${err.message}.`;
    } else {
      status.textContent = `Failed: ${err.message}`;
    }
  }
}

async function signIn(event) {
  event.preventDefault();
  const token = $('token').value.trim();
  if (!token) {
    $('signin-error').textContent = 'Enter the admin token.';
    return;
  }
  $('signin-error').textContent = 'Checking the token…';
  try {
    await callJson('GET', '/admin/keys', token); // proves the token before it is kept
  } catch (err) {
    $('signin-error').textContent = err instanceof Unauthorized
      ? 'That token was refused.'
      : `Cannot sign in: ${err.message}.`;
    return;
  }
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    $('signin-error').textContent = 'This browser does not allow session storage: cannot keep the token.';
    return;
  }
  $('token').value = '';
  await openConsole();
}

async function openConsole() {
  showConsole();
  await Promise.all([listEvery(), loadKeys(), loadMetrics()]);
}

// ---------------------------------------------------------------------------------------------
// Sessions

// What the table shows: every session of the partition a page at a time, or one search.
const view = { mode: 'all', value: '', cursors: [null], page: 0, next: null };

function text(value) {
  return value === undefined || value === null || value === '' ? NONE : String(value);
}

function time(iso) {
  if (typeof iso !== 'string' || !iso) return NONE;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function cell(value, title) {
  const td = document.createElement('td');
  td.textContent = value;
  if (title) td.title = title;
  return td;
}

function button(label, className, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className;
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

function sessionRow(s) {
  const tr = document.createElement('tr');
  tr.dataset.id = String(s.id ?? '');
  if (s.expired) tr.classList.add('expired');
  const expires = s.expires ? `${time(s.expires)}${s.expired ? ' (expired)' : ''}` : 'never';
  tr.append(
    cell(text(s.id)),
    cell(text(s.subject)),
    cell(text(s.sid)),
    cell(text(s.device)),
    cell(text(s.address)),
    cell(time(s.created), s.created),
    cell(time(s.last_seen), s.last_seen),
    cell(expires, s.expires ?? undefined),
  );
  const actions = document.createElement('td');
  actions.className = 'actions';
  actions.append(
    button('Revoke', 'revoke-session danger', () => revokeSession(s)),
    button('Revoke all of subject', 'revoke-subject danger', () => revokeSubject(s.subject)),
  );
  tr.append(actions);
  return tr;
}

function render(sessions) {
  const rows = sessions.map(sessionRow);
  $('sessions').tBodies[0].replaceChildren(...rows);
  $('sessions-empty').hidden = rows.length > 0;
}

async function showPage() {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  const after = view.cursors[view.page];
  if (after) params.set('after', after);
  const body = await callJson('GET', `/admin/sessions?${params}`);
  view.next = body.next ?? null;
  render(body.sessions);
  $('view-title').textContent = 'Every session of the partition';
  $('page-info').textContent = `Page ${view.page + 1}`;
  $('prev-page').disabled = view.page === 0;
  $('next-page').disabled = !view.next;
  $('pager').hidden = false;
  $('revoke-user').hidden = true;
}

async function showSearch() {
  const params = new URLSearchParams({ [view.mode]: view.value });
  const body = await callJson('GET', `/admin/sessions?${params}`);
  render(body.sessions);
  const what = view.mode === 'sub' ? 'subject' : 'provider session id';
  $('view-title').textContent = `Sessions with ${what} "${view.value}"`;
  $('pager').hidden = true;
  $('revoke-user').hidden = view.mode !== 'sub' || body.sessions.length === 0;
}

/** Shows the current view again (after a revoke, a cleanup). */
async function refresh() {
  $('sessions-status').textContent = '';
  if (view.mode === 'all') await showPage();
  else await showSearch();
}

const refreshGuarded = () => guarded($('sessions-status'), refresh);

function listEvery() {
  Object.assign(view, { mode: 'all', value: '', cursors: [null], page: 0, next: null });
  return refreshGuarded();
}

function search(event) {
  event.preventDefault();
  const value = $('search-value').value.trim();
  if (!value) {
    $('sessions-status').textContent = 'Enter a subject or a provider session id.';
    return undefined;
  }
  Object.assign(view, { mode: $('search-by').value === 'sid' ? 'sid' : 'sub', value });
  return refreshGuarded();
}

function nextPage() {
  if (!view.next) return undefined;
  view.cursors[view.page + 1] = view.next;
  view.page += 1;
  return refreshGuarded();
}

function previousPage() {
  if (view.page === 0) return undefined;
  view.cursors.length = view.page;
  view.page -= 1;
  return refreshGuarded();
}

// ---------------------------------------------------------------------------------------------
// Revoking, with a confirmation step

/** Asks in the page's dialog; resolves to true when the operator confirms. */
function confirmAction(question, confirmLabel) {
  const dialog = $('confirm');
  $('confirm-text').textContent = question;
  $('confirm-yes').textContent = confirmLabel;
  return new Promise((resolve) => {
    const done = (answer) => {
      $('confirm-yes').removeEventListener('click', yes);
      $('confirm-no').removeEventListener('click', no);
      dialog.removeEventListener('cancel', no);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const yes = () => done(true);
    const no = () => done(false);
    $('confirm-yes').addEventListener('click', yes);
    $('confirm-no').addEventListener('click', no);
    dialog.addEventListener('cancel', no); // Escape
    dialog.showModal();
    $('confirm-no').focus();
  });
}

function revoked(count) {
  return count === 1 ? 'Revoked 1 session.' : `Revoked ${count} sessions.`;
}

async function revokeSession(s) {
  const question = `Revoke session ${text(s.id)} of ${text(s.subject)}? That browser is signed out at once.`;
  if (!(await confirmAction(question, 'Revoke session'))) return;
  await guarded($('sessions-status'), async () => {
    const params = new URLSearchParams({ sub: s.subject, id: s.id });
    const body = await callJson('DELETE', `/admin/sessions?${params}`);
    await refresh();
    $('sessions-status').textContent = revoked(body.revoked);
  });
}

async function revokeSubject(subject) {
  const question = `Revoke every session of ${text(subject)}? They are signed out everywhere at once.`;
  if (!(await confirmAction(question, 'Revoke all'))) return;
  await guarded($('sessions-status'), async () => {
    const body = await callJson('DELETE', `/admin/sessions?${new URLSearchParams({ sub: subject })}`);
    await refresh();
    $('sessions-status').textContent = revoked(body.revoked);
  });
}

// ---------------------------------------------------------------------------------------------
// Cleanup, keys, metrics

async function cleanup() {
  const status = $('cleanup-status');
  status.textContent = 'Removing expired sessions…';
  await guarded(status, async () => {
    const body = await callJson('POST', '/admin/cleanup');
    status.textContent = body.removed === 1 ? 'Removed 1 expired session.' : `Removed ${body.removed} expired sessions.`;
    await refresh();
  });
}

async function loadKeys() {
  const status = $('keys-status');
  await guarded(status, async () => {
    const body = await callJson('GET', '/admin/keys');
    const rows = body.keys.map((k) => {
      const tr = document.createElement('tr');
      const active = k.kid === body.active;
      if (active) tr.classList.add('active');
      tr.append(cell(text(k.kid)), cell(time(k.created), k.created), cell(active ? 'active' : 'decrypts older tickets'));
      return tr;
    });
    $('keys').tBodies[0].replaceChildren(...rows);
    status.textContent = `${rows.length} key${rows.length === 1 ? '' : 's'}; new tickets are sealed with ${text(body.active)}.`;
  });
}

/** Sums of each metric over its labels, from the Prometheus text format; a metric declared
 *  (# TYPE) without samples yet counts 0. */
function parseMetrics(exposition) {
  const sums = new Map();
  for (const line of exposition.split('\n')) {
    const declared = /^# TYPE ([A-Za-z_:][A-Za-z0-9_:]*) /.exec(line);
    if (declared && !sums.has(declared[1])) sums.set(declared[1], 0);
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    sums.set(m[1], (sums.get(m[1]) ?? 0) + value);
  }
  return sums;
}

async function loadMetrics() {
  const status = $('metrics-status');
  try {
    const sums = parseMetrics(await call('GET', '/metrics'));
    const show = (id, name) => { $(id).textContent = sums.has(name) ? String(sums.get(name)) : NONE; };
    show('metric-requests', 'gatehouse_http_requests_total');
    show('metric-started', 'gatehouse_sessions_started_total');
    show('metric-ended', 'gatehouse_sessions_ended_total');
    show('metric-store-errors', 'gatehouse_store_errors_total');
    $('metrics').hidden = false;
    status.textContent = `As of ${new Date().toLocaleTimeString()}.`;
  } catch (err) {
    if (err instanceof Unauthorized) {
      showSignIn('The admin token was refused: sign in again.');
      return;
    }
    $('metrics').hidden = true;
    status.textContent = err instanceof ApiError && err.status !== 0
      ? `Metrics unavailable (${err.message}).`
      : 'Metrics unavailable.';
  }
}

// ---------------------------------------------------------------------------------------------

function start() {
  $('signin-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', () => showSignIn('Signed out.'));
  $('search-form').addEventListener('submit', search);
  $('list-all').addEventListener('click', listEvery);
  $('next-page').addEventListener('click', nextPage);
  $('prev-page').addEventListener('click', previousPage);
  $('revoke-user').addEventListener('click', () => revokeSubject(view.value));
  $('cleanup').addEventListener('click', cleanup);
  $('refresh-metrics').addEventListener('click', loadMetrics);
  if (storedToken()) openConsole();
  else showSignIn();
}

start();
