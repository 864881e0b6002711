// Asks the gateway who is signed in and renders it. The page never sees a token: /bff/user
// answers from the server-side session found through the HttpOnly cookie.

const $ = (id) => document.getElementById(id);

function setStatus(text) {
  $('status').textContent = text;
}

function showSignedOut() {
  $('signed-in').hidden = true;
  $('signed-out').hidden = false;
  setStatus('Not signed in.');
}

// Only same-origin logout targets: a claim value must never send the user elsewhere.
function sameOriginPath(value) {
  try {
    const url = new URL(value, window.location.origin);
    return url.origin === window.location.origin ? url.pathname + url.search : null;
  } catch {
    return null;
  }
}

function showSignedIn(claims) {
  const first = (type) => claims.find((c) => c.type === type)?.value;
  $('user-name').textContent = first('name') ?? first('preferred_username') ?? first('sub') ?? 'unknown user';

  const logoutUrl = sameOriginPath(first('bff:logout_url') ?? '');
  if (logoutUrl) $('logout').href = logoutUrl;

  const rows = claims.map(({ type, value }) => {
    const tr = document.createElement('tr');
    for (const text of [type, typeof value === 'string' ? value : JSON.stringify(value)]) {
      const td = document.createElement('td');
      td.textContent = text; // textContent, never innerHTML: claim values are untrusted
      tr.append(td);
    }
    return tr;
  });
  $('claims').tBodies[0].replaceChildren(...rows);

  $('signed-out').hidden = true;
  $('signed-in').hidden = false;
  const expiresIn = Number(first('bff:session_expires_in'));
  setStatus(Number.isFinite(expiresIn) && expiresIn > 0
    ? `Signed in. The session expires in ${Math.round(expiresIn / 60)} min unless used.`
    : 'Signed in.');
}

// The gateway's "my sessions" endpoints: list, end one, end all others.
async function bff(method, path) {
  const res = await fetch(path, { method, headers: { 'X-CSRF': '1' }, credentials: 'same-origin' });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}`);
  return res.json();
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : 'never';
}

async function loadSessions() {
  try {
    const sessions = await bff('GET', '/bff/sessions');
    const rows = sessions.map((s) => {
      const tr = document.createElement('tr');
      // device and address are null for sessions started before the gateway recorded them.
      const cells = [s.device ?? 'Unknown device', s.address ?? '—', when(s.created),
        when(s.last_seen ?? s.renewed), when(s.expires)];
      for (const text of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      tr.cells[0].className = 'device';
      tr.cells[1].className = 'address';
      const action = document.createElement('td');
      if (s.current) {
        action.textContent = 'this browser';
      } else {
        const end = document.createElement('button');
        end.type = 'button';
        end.className = 'end-session';
        end.textContent = 'End';
        end.addEventListener('click', async () => {
          await bff('DELETE', `/bff/sessions/${encodeURIComponent(s.id)}`).catch(showError);
          loadSessions();
        });
        action.append(end);
      }
      tr.append(action);
      return tr;
    });
    $('sessions').tBodies[0].replaceChildren(...rows);
    $('end-others').disabled = sessions.length < 2;
    $('sessions-status').textContent = '';
  } catch (err) {
    showError(err);
  }
}

function showError(err) {
  $('sessions-status').textContent = `Could not load your sessions: ${err.message}`;
}

$('end-others').addEventListener('click', async () => {
  await bff('DELETE', '/bff/sessions?others=true').catch(showError);
  loadSessions();
});

// "Call the API": the gateway adds the access token (and a DPoP proof when configured) on the
// way to the sample API, which answers with what it saw in that token.
async function callApi() {
  const button = $('call-api');
  button.disabled = true;
  $('api-status').textContent = 'Calling GET /api/hello…';
  try {
    const res = await fetch('/api/hello', { headers: { 'X-CSRF': '1' }, credentials: 'same-origin' });
    if (!res.ok) {
      $('api-result').hidden = true;
      $('api-status').textContent = `GET /api/hello answered ${res.status}${res.status === 401 ? ' (signed out, or no token for the API)' : ''}.`;
      return;
    }
    const body = await res.json();
    $('api-sub').textContent = String(body.sub ?? '');
    $('api-scope').textContent = String(body.scope || '(none)');
    $('api-dpop').textContent = body.dpop ? 'yes' : 'no';
    $('api-expires').textContent = body.token_expires_at ? new Date(body.token_expires_at).toLocaleString() : 'unknown';
    $('api-result').hidden = false;
    $('api-status').textContent = 'The API accepted the token.';
  } catch (err) {
    $('api-result').hidden = true;
    $('api-status').textContent = `Could not call the API: ${err.message}`;
  } finally {
    button.disabled = false;
  }
}

$('call-api').addEventListener('click', callApi);

async function loadUser() {
  try {
    // X-CSRF marks this as a script call: the gateway rejects /bff/* calls without it, which a
    // cross-site form or image cannot add.
    const res = await fetch('/bff/user', { headers: { 'X-CSRF': '1' }, credentials: 'same-origin' });
    if (res.status === 401) return showSignedOut();
    if (!res.ok) throw new Error(`GET /bff/user answered ${res.status}`);
    const claims = await res.json();
    if (!Array.isArray(claims)) throw new Error('GET /bff/user did not return a claim list');
    showSignedIn(claims);
    loadSessions();
  } catch (err) {
    setStatus(`Could not load your session: ${err.message}`);
  }
}

loadUser();
