// The operators' page: plain JS against /api/admin. Everything shown comes from the server
// and may hold user text (room names, frames): it is only ever set as text, never as HTML.

let token = '';
let timer;

const $ = (id) => document.getElementById(id);

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').className = isError ? 'error' : '';
}

async function api(method, path) {
  const res = await fetch(path, { method, headers: { authorization: `Bearer ${token}` } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return body;
}

/** Fills a table body with one row per item; `cells` gives each row's cell texts (or elements). */
function fill(tableId, items, cells, emptyText) {
  const body = $(tableId).querySelector('tbody');
  body.replaceChildren();
  if (items.length === 0) {
    const td = document.createElement('td');
    td.colSpan = $(tableId).querySelectorAll('th').length;
    td.className = 'empty';
    td.textContent = emptyText;
    body.append(document.createElement('tr'));
    body.lastChild.append(td);
    return;
  }
  for (const item of items) {
    const tr = document.createElement('tr');
    for (const cell of cells(item)) {
      const td = document.createElement('td');
      if (cell instanceof Node) td.append(cell);
      else td.textContent = cell === null || cell === undefined ? '—' : String(cell);
      tr.append(td);
    }
    body.append(tr);
  }
}

function replayButton(letter) {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = 'Replay';
  button.addEventListener('click', async () => {
    if (!confirm(`Put ${letter.id} back on ${letter.stream}? It is processed again like a new entry.`)) return;
    button.disabled = true;
    try {
      const done = await api('POST', `/api/admin/dead-letters/${encodeURIComponent(letter.stream)}/${encodeURIComponent(letter.id)}/replay`);
      await refresh();
      setStatus(`Replayed ${done.id} on ${done.stream} as ${done.replayedAs}`);
    } catch (err) {
      button.disabled = false;
      setStatus(`Replay failed: ${err.message}`, true);
    }
  });
  return button;
}

function frameCell(text) {
  const span = document.createElement('span');
  span.className = 'frame';
  span.textContent = text;
  return span;
}

async function refresh() {
  try {
    const o = await api('GET', '/api/admin/overview');
    $('overview').hidden = false;
    fill('gateways', o.gateways, (g) => [g.gatewayId, g.connections, g.lastHeartbeatAt], 'no gateway reported');
    fill('shards', o.shards, (s) => [s.shard, s.owner ?? 'nobody', s.ttlMs], 'no shards');
    fill('groups', o.groups, (g) => [g.stream, g.group, g.lag, g.pending], 'no consumer group yet');
    fill('rooms', o.rooms, (r) => [r.name, r.kind, r.memberCount, r.messages, r.lastMessageAt], 'no messages yet');
    fill('dead', o.deadLetters, (d) => [d.stream, d.id, d.at, d.user, d.error, frameCell(d.frame), replayButton(d)], 'none');
    setStatus(`Updated ${new Date(o.at).toLocaleTimeString()}`);
  } catch (err) {
    setStatus(err.message, true);
  }
}

function schedule() {
  clearInterval(timer);
  if ($('auto').checked && token) timer = setInterval(refresh, 5000);
}

$('login').addEventListener('submit', (event) => {
  event.preventDefault();
  token = $('token').value;
  schedule();
  void refresh();
});
$('auto').addEventListener('change', schedule);
