// The otad console: hash-routed pages over the REST API (docs/console.md).
// Every URL is relative, so the console works behind a path prefix; the
// token lives in sessionStorage only and goes out as a Bearer header.
// Text from the server is always set as text, never parsed as HTML.

const TOKEN_KEY = 'otad.token';
const REFRESH_MS = 3000;
const PAGE = 25;
const STATES = ['pending', 'offered', 'downloading', 'installed', 'confirmed',
  'healthy', 'failed', 'rolled_back', 'timed_out', 'superseded'];
const CAMPAIGN_STATES = ['draft', 'running', 'paused', 'halted', 'completed',
  'aborted'];
const ROLE_RANK = { viewer: 1, release: 2, admin: 3 };

let self = null;		// {name, role, expires_at} of the token
let refreshTimer = null;
let renderSeq = 0;		// a newer render makes older ones drop out

// ---- small DOM helpers ----
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat(Infinity)) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}
// Replaces node's children with kids (arrays flattened, null skipped).
function put(node, ...kids) {
  node.replaceChildren(...kids.flat(Infinity).filter((k) => k !== null && k !== undefined && k !== false));
}
const $ = (id) => document.getElementById(id);
const main = () => $('main');
function badge(s) { return el('span', { class: 'badge ' + s, text: s }); }
function when(t) {
  if (!t) return '—';
  return t.replace('T', ' ').replace('Z', '');
}
function pct(x) { return (x === undefined || x === null) ? '—' : x.toFixed(1) + '%'; }
function canAct() { return self && ROLE_RANK[self.role] >= ROLE_RANK.release; }
function isAdmin() { return self && self.role === 'admin'; }

function notice(msg, info) {
  const n = $('notice');
  n.textContent = msg || '';
  n.className = info ? 'info' : '';
  n.hidden = !msg;
}

// ---- the API ----
class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, query) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  let url = '../v1/' + path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query))
      if (v !== undefined && v !== null && v !== '') q.set(k, v);
    const s = q.toString();
    if (s) url += '?' + s;
  }
  const res = await fetch(url, {
    method,
    headers: token ? { Authorization: 'Bearer ' + token } : {},
    cache: 'no-store',
    credentials: 'omit',
  });
  let body = null;
  const text = await res.text();
  if (text) {
    try { body = JSON.parse(text); } catch (e) { body = null; }
  }
  if (!res.ok) {
    const err = body && body.error ? body.error : {};
    if (res.status === 401) signOut(err.message || 'signed out');
    throw new ApiError(res.status, err.code || 'http_' + res.status,
      err.message || res.statusText);
  }
  return body;
}
const get = (path, query) => api('GET', path, query);

// ---- sign-in ----
function signOut(why) {
  sessionStorage.removeItem(TOKEN_KEY);
  self = null;
  showSignIn(why);
}

function showSignIn(why) {
  stopRefresh();
  $('nav').hidden = true;
  $('signout').hidden = true;
  $('who').textContent = '';
  notice('');
  const input = el('input', { type: 'password', id: 'token',
    autocomplete: 'off', spellcheck: 'false', placeholder: 'adm_…',
    'aria-label': 'token' });
  const msg = el('p', { class: 'error', id: 'signin-error', text: why || '' });
  const go = async () => {
    const t = input.value.trim();
    if (!t) return;
    sessionStorage.setItem(TOKEN_KEY, t);
    try {
      await whoami();
      if (!location.hash || location.hash === '#/' || location.hash === '#')
        location.hash = '#/campaigns';
      else
        render();
    } catch (e) {
      sessionStorage.removeItem(TOKEN_KEY);
      msg.textContent = e.message;
    }
  };
  input.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') go(); });
  put(main(), el('div', { class: 'card signin' },
    el('h1', { text: 'Sign in to otad' }),
    el('p', { class: 'muted', text: 'Paste a management token (adm_…). It is '
      + 'kept in this tab only (sessionStorage) and sent as a Bearer header.' }),
    input,
    el('button', { type: 'button', class: 'primary', id: 'signin', onclick: go },
      'Sign in'),
    msg));
  input.focus();
}

async function whoami() {
  self = await get('tokens/self');
  $('who').textContent = self.name + ' (' + self.role + ')';
  $('who').title = self.expires_at ? 'token expires ' + when(self.expires_at) : 'token never expires';
  $('who').dataset.role = self.role;
  $('nav').hidden = false;
  $('nav-audit').hidden = !isAdmin();
  $('signout').hidden = false;
}

// ---- confirmation ----
function confirmAction(text) {
  const d = $('confirm');
  $('confirm-text').textContent = text;
  return new Promise((resolve) => {
    const done = (v) => {
      $('confirm-yes').onclick = null;
      $('confirm-no').onclick = null;
      d.onclose = null;
      if (d.open) d.close();
      resolve(v);
    };
    $('confirm-yes').onclick = () => done(true);
    $('confirm-no').onclick = () => done(false);
    d.onclose = () => done(false);
    d.showModal();
  });
}

// ---- routing ----
function parseHash() {
  const h = location.hash.replace(/^#\/?/, '');
  const [path, qs] = h.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(qs || '') };
}
function link(parts, query) {
  let h = '#/' + parts.map(encodeURIComponent).join('/');
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query))
      if (v !== undefined && v !== null && v !== '') q.set(k, v);
    const s = q.toString();
    if (s) h += '?' + s;
  }
  return h;
}
function setQuery(changes) {
  const { parts, query } = parseHash();
  const q = Object.fromEntries(query.entries());
  Object.assign(q, changes);
  location.hash = link(parts, q);
}

function stopRefresh() {
  if (refreshTimer) clearInterval(refreshTimer);
  refreshTimer = null;
}
function every(fn) {
  stopRefresh();
  refreshTimer = setInterval(() => {
    if (document.hidden) return;
    fn().catch((e) => notice('refresh: ' + e.message));
  }, REFRESH_MS);
}

async function render() {
  if (!sessionStorage.getItem(TOKEN_KEY)) { showSignIn(); return; }
  if (!self) {
    try { await whoami(); } catch (e) { return; }
  }
  stopRefresh();
  notice('');
  const seq = ++renderSeq;
  const { parts, query } = parseHash();
  const page = parts[0] || 'campaigns';
  for (const a of document.querySelectorAll('#nav a'))
    a.classList.toggle('active', a.dataset.page === page);
  const box = el('div', { id: 'page-' + page });
  put(main(), box);
  try {
    if (page === 'campaigns' && parts[1]) await campaignPage(box, parts[1], query, seq);
    else if (page === 'campaigns') await campaignsPage(box, query, seq);
    else if (page === 'devices' && parts[1]) await devicePage(box, parts[1]);
    else if (page === 'devices') await devicesPage(box, query);
    else if (page === 'releases') await releasesPage(box, query);
    else if (page === 'audit') await auditPage(box, query);
    else box.append(el('p', { text: 'No such page.' }));
  } catch (e) {
    if (seq === renderSeq) box.append(el('p', { class: 'error', text: e.message }));
  }
}

// A pager over the API's cursors: "after" is in the hash, the cursors
// of earlier pages are kept in the hash too ("back") so Previous works.
function pager(next, query) {
  const back = (query.get('back') || '').split(',').filter(Boolean);
  const after = query.get('after') || '';
  const prev = () => {
    const b = back.slice();
    const a = b.pop();
    setQuery({ after: a === '-' ? '' : a, back: b.join(',') });
  };
  const fwd = () => setQuery({ after: next, back: back.concat([after || '-']).join(',') });
  return el('div', { class: 'pager' },
    el('button', { type: 'button', class: 'prev', disabled: !after, onclick: prev }, '← Previous'),
    el('button', { type: 'button', class: 'next', disabled: !next, onclick: fwd }, 'Next →'),
    after ? el('span', { class: 'muted', text: 'after ' + after }) : null);
}

// ---- campaign pieces ----
function stateBar(c) {
  const bar = el('div', { class: 'bar', title: STATES.filter((s) => c[s])
    .map((s) => s + ' ' + c[s]).join(', ') || 'no members' });
  const total = c.members || 0;
  for (const s of STATES) {
    if (!total || !c[s]) continue;
    const seg = el('span', { class: 'seg-' + s });
    seg.style.width = (100 * c[s] / total) + '%';	// CSSOM: allowed by the CSP
    bar.append(seg);
  }
  return bar;
}
function legend() {
  return el('div', { class: 'legend' }, STATES.map((s) =>
    el('span', {}, el('i', { class: 'seg-' + s }), s)));
}
function stageBars(camp) {
  const box = el('div', { class: 'stagebars' });
  for (const c of camp.counts || []) {
    const cur = camp.stage && camp.stage.number === c.stage;
    box.append(el('span', { class: cur ? 'cur' : 'muted', text: c.percent + '%' }),
      stateBar(c),
      el('span', { class: 'muted num', text: c.members + ' dev' }));
  }
  return box;
}
function failureRate(camp) {
  const limit = camp.gate ? camp.gate.max_failure_pct : null;
  const r = camp.failure_rate;
  return el('span', { class: 'rate' + (r !== undefined && limit !== null && r > limit ? ' over' : '') },
    pct(r), el('span', { class: 'muted', text: ' / ' + pct(limit) + ' allowed' }));
}
function verdictBox(v) {
  if (!v) return el('span', { class: 'muted', text: 'no verdict yet' });
  const n = v.numbers || {};
  const nums = [];
  for (const k of ['started', 'healthy', 'failures', 'in_flight', 'pending', 'needed'])
    if (n[k] !== undefined) nums.push(k + ' ' + n[k]);
  if (n.failure_pct !== undefined) nums.push('failure ' + pct(n.failure_pct));
  return el('div', { class: 'verdict' }, badge(v.verdict), ' ',
    el('span', { class: 'muted', text: when(v.at) }),
    el('span', { class: 'reason', text: v.reason || '' }),
    nums.length ? el('span', { class: 'numbers muted', text: nums.join(' · ') }) : null);
}

async function campaignsPage(box, query, seq) {
  const state = query.get('state') || '';
  const sel = el('select', { id: 'f-state', onchange: () => setQuery({ state: sel.value, after: '', back: '' }) },
    el('option', { value: '' }, 'any state'),
    CAMPAIGN_STATES.map((s) => el('option', { value: s, selected: s === state }, s)));
  const table = el('table', { id: 'campaigns' });
  const pagerBox = el('div');
  box.append(el('h1', { text: 'Campaigns' }),
    el('div', { class: 'filters' }, el('label', {}, 'state', sel)),
    legend(), table, pagerBox,
    el('p', { class: 'muted', text: 'Refreshed every ' + REFRESH_MS / 1000 + ' s.' }));
  // A completed or aborted campaign no longer changes: read once, kept
  // for the refreshes (each read counts its members on the server).
  const settled = new Map();
  const load = async () => {
    const list = await get('campaigns', { state, limit: PAGE, after: query.get('after') });
    // The list has no counts: each campaign of this page (at most PAGE)
    // is read for its counts, verdict and failure rate.
    const full = await Promise.all(list.campaigns.map((c) => settled.has(c.id)
      ? settled.get(c.id) : get('campaigns/' + c.id).catch(() => c)));
    for (const c of full)
      if (c.counts && (c.state === 'completed' || c.state === 'aborted'))
        settled.set(c.id, c);
    if (seq !== renderSeq) return;
    const rows = full.map((c) => el('tr', { 'data-id': c.id, 'data-state': c.state },
      el('td', { class: 'num' }, c.id),
      el('td', {}, el('a', { href: link(['campaigns', String(c.id)]) }, c.name),
        el('div', { class: 'muted', text: 'release ' + (c.release ? c.release.fw_version : '?') })),
      el('td', {}, badge(c.state)),
      el('td', {}, c.stage ? 'stage ' + c.stage.number + ' (' + c.stage.percent + '%)' : '—'),
      el('td', {}, stageBars(c)),
      el('td', {}, failureRate(c)),
      el('td', {}, verdictBox(c.verdict))));
    put(table, el('tr', {}, ['id', 'campaign', 'state', 'stage', 'progress by stage',
      'failure rate', 'gate verdict'].map((h) => el('th', { text: h }))),
    rows.length ? rows : el('tr', {}, el('td', { colspan: 7, class: 'muted', text: 'No campaigns.' })));
    put(pagerBox, pager(list.next, query));
  };
  await load();
  every(load);
}

function actionButtons(camp, reload) {
  if (!canAct()) return null;
  const last = camp.stage && camp.stages && camp.stage.number >= camp.stages.length;
  const acts = [];
  if (camp.state === 'draft') acts.push('start');
  if (camp.state === 'running') acts.push('pause');
  if (camp.state === 'paused') acts.push('resume');
  if ((camp.state === 'running' || camp.state === 'paused') && !last) acts.push('advance');
  if (['draft', 'running', 'paused', 'halted'].includes(camp.state)) acts.push('abort');
  return el('div', { class: 'actions', id: 'actions' }, acts.map((act) =>
    el('button', { type: 'button', id: 'act-' + act,
      class: act === 'abort' ? 'danger' : (act === 'start' ? 'primary' : ''),
      onclick: async (ev) => {
        const ok = await confirmAction(act[0].toUpperCase() + act.slice(1) + ' campaign '
          + camp.id + ' "' + camp.name + '"?');
        if (!ok) return;
        ev.target.disabled = true;
        try {
          await api('POST', 'campaigns/' + camp.id + '/' + act);
          notice(act + ': done', true);
        } catch (e) {
          notice(act + ': ' + e.message);
        }
        await reload();
      } }, act)));
}

function stageTable(camp) {
  const head = ['stage', 'percent', 'members'].concat(STATES, ['failure reasons']);
  return el('table', { id: 'stages' },
    el('tr', {}, head.map((h) => el('th', { class: h === 'failure reasons' || h === 'stage' ? '' : 'num', text: h }))),
    (camp.counts || []).map((c) => el('tr', { class: camp.stage && camp.stage.number === c.stage ? 'cur' : '' },
      el('td', {}, String(c.stage), camp.stage && camp.stage.number === c.stage ? ' ◂' : ''),
      el('td', { class: 'num', text: c.percent + '%' }),
      el('td', { class: 'num', text: c.members }),
      STATES.map((s) => el('td', { class: 'num', text: c[s] || 0 })),
      el('td', { text: Object.entries(c.failure_reasons || {}).map(([k, v]) => v + ' ' + k).join(', ') }))));
}

function eventText(ev) {
  const d = ev.detail || {};
  if (d.reason) return d.reason;
  if (d.percent !== undefined) return 'stage ' + ev.stage + ' (' + d.percent + '%)';
  if (d.start_at) return 'start at ' + d.start_at;
  return '';
}

async function campaignPage(box, id, query, seq) {
  const head = el('div');
  const stages = el('div');
  const plan = el('div');
  const events = el('div');
  const members = el('div');
  box.append(head, stages, plan, events, members);
  let camp = null;

  const loadHead = async () => {
    camp = await get('campaigns/' + id);
    if (seq !== renderSeq) return;
    put(head, 
      el('h1', {}, 'Campaign ' + camp.id + ': ' + camp.name + ' ', badge(camp.state)),
      el('div', { class: 'card' },
        el('dl', { class: 'kv' },
          el('dt', { text: 'release' }), el('dd', {}, String(camp.release.id) + ' (' + camp.release.fw_version + ')'),
          el('dt', { text: 'targets' }), el('dd', { text: camp.cohort ? 'cohort ' + camp.cohort : 'all devices of the release\'s hw classes' }),
          el('dt', { text: 'stage' }), el('dd', { id: 'stage' }, camp.stage ? camp.stage.number + ' of ' + camp.stages.length + ' (' + camp.stage.percent + '%), opened ' + when(camp.stage.opened_at) : 'not started (' + camp.stages.join('% → ') + '%)'),
          el('dt', { text: 'failure rate' }), el('dd', {}, failureRate(camp)),
          el('dt', { text: 'gate verdict' }), el('dd', { id: 'verdict' }, verdictBox(camp.verdict)),
          el('dt', { text: 'created' }), el('dd', { text: when(camp.created_at) + ' by ' + camp.created_by }),
          el('dt', { text: 'started' }), el('dd', { text: when(camp.started_at) + (camp.finished_at ? ', finished ' + when(camp.finished_at) : '') }))),
      actionButtons(camp, reload));
    put(stages, el('h2', { text: 'Stages' }), legend(), stageBars(camp), el('p'), stageTable(camp));
  };

  const loadPlan = async () => {
    if (camp.state !== 'draft') { put(plan); return; }
    const p = await get('campaigns/' + id + '/plan');
    put(plan, el('h2', { text: 'Plan (draft: the devices targeted now)' }),
      el('table', { id: 'plan' }, el('tr', {}, ['stage', 'percent', 'new devices', 'devices reached'].map((h) => el('th', { text: h }))),
        p.stages.map((s, i) => el('tr', {}, el('td', { text: i + 1 }), el('td', { class: 'num', text: s.percent + '%' }),
          el('td', { class: 'num', text: s.new }), el('td', { class: 'num', text: s.devices })))),
      el('p', { class: 'muted', text: p.targets + ' targets' }));
  };

  const loadEvents = async () => {
    const after = query.get('ev_after') || '';
    const e = await get('campaigns/' + id + '/events', { limit: 50, after });
    put(events, el('h2', { text: 'Events' }),
      el('ul', { class: 'timeline', id: 'events' }, e.events.map((ev) =>
        el('li', { class: ev.kind, 'data-kind': ev.kind },
          el('span', { class: 'when', text: when(ev.at) }),
          el('strong', { text: ev.kind }), ' ',
          el('span', { class: 'muted', text: 'by ' + ev.actor + (ev.stage ? ', stage ' + ev.stage : '') }), ' ',
          el('span', { class: 'reason', text: eventText(ev) })))),
      e.next ? el('button', { type: 'button', onclick: () => setQuery({ ev_after: e.next }) }, 'Later events →') : null,
      after ? el('button', { type: 'button', onclick: () => setQuery({ ev_after: '' }) }, '← First events') : null);
  };

  const loadMembers = async () => {
    const stage = query.get('stage') || '';
    const state = query.get('mstate') || '';
    const from = query.get('from') || '';
    const stageSel = el('select', { id: 'm-stage' }, el('option', { value: '' }, 'every stage'),
      camp.stages.map((p, i) => el('option', { value: String(i + 1), selected: String(i + 1) === stage },
        'stage ' + (i + 1) + ' (' + p + '%)')));
    const stateSel = el('select', { id: 'm-state' }, el('option', { value: '' }, 'any state'),
      STATES.map((s) => el('option', { value: s, selected: s === state }, s)));
    const search = el('input', { id: 'm-search', placeholder: 'device id from…', value: from });
    const apply = () => setQuery({ stage: stageSel.value, mstate: stateSel.value, from: search.value.trim(),
      after: '', back: '' });
    stageSel.addEventListener('change', apply);
    stateSel.addEventListener('change', apply);
    search.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') apply(); });
    const body = el('div', {}, camp.state === 'draft' ? el('p', { class: 'muted', text: 'A draft has no members yet: they are fixed at start.' }) : null);
    put(members, el('h2', { text: 'Members' }),
      el('div', { class: 'filters' }, el('label', {}, 'stage', stageSel), el('label', {}, 'state', stateSel),
        el('label', {}, 'search', search), el('button', { type: 'button', id: 'm-go', onclick: apply }, 'Show')), body);
    if (camp.state === 'draft') return;
    // The list is by device_id: a search starts the page at that id (the
    // cursor is exclusive, so step just below it).
    let after = query.get('after') || '';
    if (!after && from) after = from.slice(0, -1) + String.fromCharCode(from.charCodeAt(from.length - 1) - 1) + '\uffff';
    const m = await get('campaigns/' + id + '/devices', { stage, state, limit: PAGE, after });
    body.append(el('table', { id: 'members' },
      el('tr', {}, ['device', 'stage', 'bucket', 'state', 'attempts', 'fw version', 'last change', 'last seen', 'reason']
        .map((h) => el('th', { text: h }))),
      m.devices.length ? m.devices.map((d) => el('tr', { 'data-device': d.device_id },
        el('td', {}, el('a', { href: link(['devices', d.device_id]) }, d.device_id)),
        el('td', { class: 'num', text: d.stage }), el('td', { class: 'num', text: d.bucket }),
        el('td', {}, badge(d.state)), el('td', { class: 'num', text: d.attempts }),
        el('td', { text: d.fw_version || '' }), el('td', { text: when(d.last_change) }),
        el('td', { text: when(d.last_seen) }), el('td', { text: d.reason || '' })))
        : el('tr', {}, el('td', { colspan: 9, class: 'muted', text: 'No members match.' }))),
    pager(m.next, query));
  };

  const reload = async () => { await loadHead(); await loadPlan(); await loadEvents(); };
  await reload();
  await loadMembers();
  every(async () => {
    if (seq !== renderSeq) return;
    // Keep the page still while a confirmation is open.
    if ($('confirm').open) return;
    await loadHead();
    await loadEvents();
  });
}

// ---- devices ----
async function devicesPage(box, query) {
  const fields = ['hw_class', 'tag', 'cohort', 'fw_version', 'campaign', 'state'];
  const inputs = {};
  const f = el('div', { class: 'filters' });
  for (const k of fields) {
    inputs[k] = k === 'state'
      ? el('select', { id: 'd-' + k }, el('option', { value: '' }, 'any'),
        STATES.map((s) => el('option', { value: s, selected: query.get(k) === s }, s)))
      : el('input', { id: 'd-' + k, value: query.get(k) || '', size: 12 });
    f.append(el('label', {}, k === 'state' ? 'state (with campaign)' : k.replace('_', ' '), inputs[k]));
  }
  const apply = () => {
    const q = { after: '', back: '' };
    for (const k of fields) q[k] = inputs[k].value.trim();
    setQuery(q);
  };
  for (const k of fields) inputs[k].addEventListener('keydown', (ev) => { if (ev.key === 'Enter') apply(); });
  const open = el('input', { id: 'd-open', placeholder: 'device id' });
  const go = () => { if (open.value.trim()) location.hash = link(['devices', open.value.trim()]); };
  open.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') go(); });
  f.append(el('button', { type: 'button', id: 'd-filter', onclick: apply }, 'Filter'),
    el('label', {}, 'open a device', open), el('button', { type: 'button', onclick: go }, 'Open'));
  box.append(el('h1', { text: 'Devices' }), f);
  const q = { limit: PAGE, after: query.get('after') };
  for (const k of fields) q[k] = query.get(k);
  const list = await get('devices', q);
  box.append(el('table', { id: 'devices' },
    el('tr', {}, ['device', 'hw class', 'fw version', 'tags', 'last seen', 'provisioned', 'in service']
      .map((h) => el('th', { text: h }))),
    list.devices.length ? list.devices.map((d) => el('tr', { 'data-device': d.device_id },
      el('td', {}, el('a', { href: link(['devices', d.device_id]) }, d.device_id)),
      el('td', { text: d.hw_class }), el('td', { text: d.fw_version }),
      el('td', { text: (d.tags || []).join(', ') }), el('td', { text: when(d.last_seen) }),
      el('td', { text: when(d.created_at) }),
      el('td', {}, d.decommissioned_at ? badge('decommissioned') : 'yes')))
      : el('tr', {}, el('td', { colspan: 7, class: 'muted', text: 'No devices match.' }))),
  pager(list.next, query));
}

async function devicePage(box, id) {
  const d = await get('devices/' + encodeURIComponent(id));
  const h = d.health;
  box.append(el('h1', {}, 'Device ' + d.device_id + ' ',
    d.health ? badge(d.health.health) : null),
  el('div', { class: 'card' }, el('dl', { class: 'kv' },
    el('dt', { text: 'hw class' }), el('dd', { text: d.hw_class }),
    el('dt', { text: 'fw version' }), el('dd', { text: d.fw_version }),
    el('dt', { text: 'tags' }), el('dd', { text: (d.tags || []).join(', ') || '—' }),
    el('dt', { text: 'last seen' }), el('dd', { text: when(d.last_seen) }),
    el('dt', { text: 'provisioned' }), el('dd', { text: when(d.created_at) }),
    el('dt', { text: 'direct offer' }), el('dd', { text: d.offer ? 'release ' + d.offer.release + ' (' + d.offer.state + ')' : '—' }))),
  el('h2', { text: 'Health' }),
  h ? el('div', { class: 'card', id: 'health' }, el('dl', { class: 'kv' },
    el('dt', { text: 'last report' }), el('dd', { text: when(h.at) + ' on ' + h.fw_version }),
    el('dt', { text: 'boot ok / self-test' }), el('dd', { text: h.boot_ok + ' / ' + h.selftest }),
    el('dt', { text: 'uptime' }), el('dd', { text: h.uptime_s + ' s' }),
    el('dt', { text: 'reports' }), el('dd', { text: h.reports + ' (' + h.unhealthy_reports + ' unhealthy), ' + h.crashes + ' crashes since ' + when(h.since) })))
    : el('p', { class: 'muted', text: 'No health report yet.' }),
  el('h2', { text: 'Campaigns' }),
  el('table', { id: 'memberships' }, el('tr', {}, ['campaign', 'campaign state', 'release', 'state', 'reason', 'attempts', 'last change']
    .map((x) => el('th', { text: x }))),
  (d.campaigns || []).map((m) => el('tr', {},
    el('td', {}, el('a', { href: link(['campaigns', String(m.campaign)]) }, String(m.campaign))),
    el('td', {}, badge(m.campaign_state)), el('td', { text: m.release }), el('td', {}, badge(m.state)),
    el('td', { text: m.reason || '' }), el('td', { class: 'num', text: m.attempts }), el('td', { text: when(m.last_change) })))),
  el('h2', { text: 'History' }),
  el('table', { id: 'history' }, el('tr', {}, ['when', 'kind', 'state', 'reason / detail'].map((x) => el('th', { text: x }))),
    (d.history || []).map((e) => el('tr', { class: e.kind },
      el('td', { text: when(e.at) }), el('td', { text: e.kind }),
      el('td', {}, e.state ? badge(e.state) : ''),
      el('td', { class: 'mono', text: [e.reason, typeof e.detail === 'string' ? e.detail : (e.detail ? JSON.stringify(e.detail) : '')]
        .filter(Boolean).join(' — ') })))));
}

// ---- releases ----
async function releasesPage(box, query) {
  const hw = el('input', { id: 'r-hw', value: query.get('hw_class') || '', size: 12 });
  const st = el('select', { id: 'r-state' }, el('option', { value: '' }, 'any'),
    ['active', 'expired', 'revoked'].map((s) => el('option', { value: s, selected: query.get('state') === s }, s)));
  const apply = () => setQuery({ hw_class: hw.value.trim(), state: st.value, after: '', back: '' });
  st.addEventListener('change', apply);
  hw.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') apply(); });
  box.append(el('h1', { text: 'Releases' }),
    el('div', { class: 'filters' }, el('label', {}, 'hw class', hw), el('label', {}, 'state', st),
      el('button', { type: 'button', onclick: apply }, 'Filter')));
  const list = await get('releases', { hw_class: query.get('hw_class'), state: query.get('state'),
    limit: PAGE, after: query.get('after') });
  const rows = [];
  for (const r of list.releases) {
    const signers = el('td', { class: 'mono signers' },
      el('button', { type: 'button', onclick: async () => {
        const full = await get('releases/' + r.id);
        const sigs = (full.envelope && full.envelope.signatures) || [];
        put(signers, sigs.map((s) => el('div', { text: s.keyid })));
      } }, 'show'));
    rows.push(el('tr', { 'data-id': r.id },
      el('td', { class: 'num', text: r.id }), el('td', { text: r.fw_version }),
      el('td', { text: r.hw_classes.join(', ') }), el('td', {}, badge(r.state)),
      el('td', { class: 'num', text: r.security_counter }),
      el('td', { text: when(r.expires) }),
      el('td', { text: when(r.uploaded_at) + ' by ' + r.uploaded_by }),
      signers,
      el('td', {}, r.state === 'revoked' ? el('span', { class: 'muted', text: 'revoked ' + when(r.revoked_at) + ' by ' + r.revoked_by })
        : (canAct() ? el('button', { type: 'button', class: 'danger revoke', onclick: async () => {
          if (!await confirmAction('Revoke release ' + r.id + ' (' + r.fw_version + ')? Campaigns shipping it halt, and no device is offered it again.')) return;
          try { await api('POST', 'releases/' + r.id + '/revoke'); } catch (e) { notice('revoke: ' + e.message); }
          render();
        } }, 'revoke') : null))));
  }
  box.append(el('table', { id: 'releases' },
    el('tr', {}, ['id', 'fw version', 'hw classes', 'state', 'counter', 'expires', 'uploaded', 'signatures', '']
      .map((h) => el('th', { text: h }))),
    rows.length ? rows : el('tr', {}, el('td', { colspan: 9, class: 'muted', text: 'No releases.' }))),
  pager(list.next, query));
}

// ---- audit ----
async function auditPage(box, query) {
  box.append(el('h1', { text: 'Audit trail' }));
  if (!isAdmin()) {
    box.append(el('p', { class: 'muted', text: 'The audit trail is for admin tokens.' }));
    return;
  }
  const actor = el('input', { id: 'a-actor', value: query.get('actor') || '', size: 12 });
  const object = el('input', { id: 'a-object', value: query.get('object') || '', size: 16, placeholder: 'campaign:1' });
  const apply = () => setQuery({ actor: actor.value.trim(), object: object.value.trim(), after: '', back: '' });
  for (const i of [actor, object]) i.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') apply(); });
  box.append(el('div', { class: 'filters' }, el('label', {}, 'actor', actor), el('label', {}, 'object', object),
    el('button', { type: 'button', onclick: apply }, 'Filter')));
  const list = await get('audit', { actor: query.get('actor'), object: query.get('object'),
    limit: PAGE, after: query.get('after') });
  box.append(el('table', { id: 'audit' },
    el('tr', {}, ['when', 'actor', 'call', 'object', 'action', 'note', 'result'].map((h) => el('th', { text: h }))),
    list.records.map((r) => el('tr', {},
      el('td', { text: when(r.at) }), el('td', { text: r.actor }),
      el('td', { class: 'mono', text: r.method + ' ' + r.path }),
      el('td', { text: r.object ? r.object.type + (r.object.id ? ':' + r.object.id : '') : '' }),
      el('td', { text: r.action }), el('td', { text: r.note || '' }),
      el('td', { class: r.error ? 'error' : '', text: (r.status === null ? '?' : r.status) + (r.error ? ' ' + r.error : '') })))),
  pager(list.next, query));
}

// ---- start ----
$('signout').addEventListener('click', () => signOut('Signed out.'));
window.addEventListener('hashchange', render);
render();
