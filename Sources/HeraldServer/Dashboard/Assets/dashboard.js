// Herald dashboard. No framework, no build step: this file is served as it is written.
'use strict';

const MAX_ROWS = 200;             // events kept on the page
const BACKLOG = 50;               // recent events loaded on start
const GROUPS_EVERY_MS = 3000;
const SCHEDULES_EVERY_MS = 3000;
const TOPICS_EVERY_MS = 5000;
const POLL_EVERY_MS = 500;        // only on a server without /v1/stream
const CHART_SECONDS = 60;
const RATE_WINDOW_SECONDS = 10;
const SILENCE_LIMIT_MS = 45000;   // the server sends a heartbeat every 15 s
const MAX_LINE_CHARS = 4 << 20;   // a stream line longer than this is a broken stream
const PREVIEW_CHARS = 140;
const KEY_STORAGE = 'herald.apiKey';
const COLORS = ['#2f6fde', '#e0742b', '#1f9d63', '#b348c9', '#d23c5b', '#1c9bb0', '#8a7a12', '#6a5acd'];

const $ = (id) => document.getElementById(id);
const state = {
  lastSequence: 0,       // the highest sequence shown
  shown: 0,
  arrivals: new Map(),   // event type -> arrival times (ms) of live events, last CHART_SECONDS
  colors: new Map(),     // event type -> chart color
  topics: null,          // the last /v1/topics answer, or null when the server has none
  arrivedSinceTopics: new Map(), // event type -> live events since that answer
};

// ---- small helpers -------------------------------------------------------------------------

function readKey() {
  try { return localStorage.getItem(KEY_STORAGE) || ''; } catch { return ''; }
}

function authHeaders(extra = {}) {
  const headers = new Headers(extra);
  const key = readKey();
  if (key) headers.set('Authorization', 'Bearer ' + key);
  return headers;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function truncate(text, limit) {
  return text.length > limit ? text.slice(0, limit - 1) + '…' : text;
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

/// What went wrong with a response, from its problem detail when it has one.
async function describeFailure(response) {
  const type = (response.headers.get('Content-Type') || '').toLowerCase();
  if (type.startsWith('application/problem+json')) {
    try {
      const problem = await response.json();
      return {
        title: String(problem.title || 'HTTP ' + response.status),
        detail: String(problem.detail || ''),
        errors: Array.isArray(problem.errors) ? problem.errors : [],
      };
    } catch { /* not JSON after all: fall through */ }
  }
  const hints = {
    401: 'This server needs an API key: enter one at the top right.',
    403: 'The API key does not have the scope this needs.',
    404: 'This server does not offer this endpoint.',
  };
  return { title: 'HTTP ' + response.status, detail: hints[response.status] || response.statusText, errors: [] };
}

class HTTPFailure extends Error {
  constructor(status, failure) {
    super(failure.title + (failure.detail ? ': ' + failure.detail : ''));
    this.status = status;
  }
}

async function getJSON(path) {
  const response = await fetch(path, { headers: authHeaders({ Accept: 'application/json' }), cache: 'no-store' });
  if (!response.ok) throw new HTTPFailure(response.status, await describeFailure(response));
  return response.json();
}

function setFeed(kind, text) {
  document.documentElement.dataset.feed = kind;
  const status = $('feed-status');
  status.textContent = text;
  status.className = 'status status-' + kind;
}

// ---- events --------------------------------------------------------------------------------

function preview(event) {
  if (Object.prototype.hasOwnProperty.call(event, 'data')) {
    const data = event.data;
    return truncate(typeof data === 'string' ? data : JSON.stringify(data), PREVIEW_CHARS);
  }
  if (typeof event.data_base64 === 'string') {
    return 'binary, ' + Math.floor(event.data_base64.length * 3 / 4) + ' bytes';
  }
  return '—';
}

function formatTime(time) {
  if (typeof time !== 'string') return '—';
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? time : date.toLocaleTimeString();
}

function showDetail(row, sequence, event) {
  for (const selected of document.querySelectorAll('#event-rows tr.selected')) selected.classList.remove('selected');
  row.classList.add('selected');
  $('event-detail').textContent = 'sequence ' + sequence + '\n' + JSON.stringify(event, null, 2);
}

/// Shows one event at the top of the list; events at or below the last shown sequence are skipped.
function addEvent(sequence, event, live) {
  if (!(sequence > state.lastSequence) || event === null || typeof event !== 'object') return;
  state.lastSequence = sequence;
  const row = document.createElement('tr');
  row.dataset.sequence = String(sequence);
  row.dataset.eventId = String(event.id);
  row.append(
    cell(String(sequence), 'seq'),
    cell(formatTime(event.time), 'time'),
    cell(String(event.type), 'type'),
    cell(String(event.source), 'source'),
    cell(event.subject === undefined ? '—' : String(event.subject), 'subject'),
    cell(preview(event), 'data'),
  );
  for (const td of row.cells) td.title = td.textContent;
  row.title = 'id ' + String(event.id);
  row.addEventListener('click', () => showDetail(row, sequence, event));
  const rows = $('event-rows');
  rows.prepend(row);
  while (rows.rows.length > MAX_ROWS) rows.deleteRow(-1);
  state.shown += 1;
  $('event-count').textContent = state.shown > MAX_ROWS ? 'latest ' + MAX_ROWS : String(state.shown);
  $('events-note').hidden = true;
  if (live) {
    row.classList.add('fresh');
    recordArrival(String(event.type));
    scheduleChart();
  }
}

/// Loads the last BACKLOG events, finding the end of the log from /v1/topics, or by paging
/// through at most 20,000 events on a server without it.
async function loadBacklog() {
  let tail = null;
  try {
    const body = await getJSON('/v1/topics');
    state.topics = Array.isArray(body.topics) ? body.topics : [];
    tail = state.topics.reduce((max, topic) => Math.max(max, Number(topic.last_sequence) || 0), 0);
  } catch (error) {
    if (error instanceof HTTPFailure && (error.status === 401 || error.status === 403)) throw error;
  }
  let entries = [];
  if (tail !== null) {
    const after = Math.max(0, tail - BACKLOG);
    entries = (await getJSON('/v1/events?limit=' + BACKLOG + '&after=' + after)).events;
  } else {
    let after = 0;
    for (let pages = 0; pages < 20; pages += 1) {
      const page = await getJSON('/v1/events?limit=1000&after=' + after);
      entries = entries.concat(page.events).slice(-BACKLOG);
      if (page.events.length < 1000) break;
      after = page.next_after;
    }
  }
  for (const entry of entries) addEvent(Number(entry.sequence), entry.event, false);
}

// ---- the live feed -------------------------------------------------------------------------

/// Reads a text/event-stream body, calling `dispatch` with each complete message.
async function readEventStream(body, onActivity, dispatch) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let data = [];
  let type = '';
  let id = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onActivity();
    buffer += value;
    for (;;) {
      const end = buffer.search(/\r\n|\r|\n/);
      if (end < 0) break;
      if (buffer[end] === '\r' && end === buffer.length - 1) break; // a '\n' may follow
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) dispatch({ id, type: type || 'message', data: data.join('\n') });
        data = [];
        type = '';
        continue;
      }
      if (line.startsWith(':')) continue; // a comment: the heartbeat
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let text = colon < 0 ? '' : line.slice(colon + 1);
      if (text.startsWith(' ')) text = text.slice(1);
      if (field === 'data') data.push(text);
      else if (field === 'event') type = text;
      else if (field === 'id') id = text;
    }
    if (buffer.length > MAX_LINE_CHARS) throw new Error('stream line too long');
  }
}

function dispatchStreamMessage(message) {
  const sequence = Number(message.id);
  if (!Number.isSafeInteger(sequence)) return;
  let event;
  try { event = JSON.parse(message.data); } catch { console.warn('skipped an event that is not JSON', message); return; }
  addEvent(sequence, event, true);
}

/// Follows /v1/stream; reconnects with Last-Event-ID and a growing delay after a drop.
async function followStream() {
  let delay = 500;
  let resumed = false;
  for (;;) {
    const controller = new AbortController();
    let silence = null;
    const heard = () => {
      clearTimeout(silence);
      silence = setTimeout(() => controller.abort(), SILENCE_LIMIT_MS);
    };
    try {
      const headers = { Accept: 'text/event-stream' };
      let path = '/v1/stream?topic=' + encodeURIComponent('>');
      if (resumed) headers['Last-Event-ID'] = String(state.lastSequence);
      else path += '&after=' + state.lastSequence;
      heard();
      const response = await fetch(path, { headers: authHeaders(headers), signal: controller.signal, cache: 'no-store' });
      if (response.status === 404) {
        clearTimeout(silence);
        return pollEvents();
      }
      if (!response.ok || !response.body) {
        const failure = await describeFailure(response);
        if (response.status === 401 || response.status === 403) {
          setFeed('unauthorized', 'not allowed to stream: ' + failure.detail);
          return;
        }
        throw new Error(failure.title + ': ' + failure.detail);
      }
      setFeed('stream', 'live');
      delay = 500;
      resumed = true;
      await readEventStream(response.body, heard, dispatchStreamMessage);
      throw new Error('the stream ended');
    } catch (error) {
      resumed = true;
      const seconds = Math.max(1, Math.round(delay / 1000));
      setFeed('retrying', 'disconnected, retrying in ' + seconds + ' s');
      console.warn('stream dropped:', error);
    } finally {
      clearTimeout(silence);
      controller.abort();
    }
    await sleep(delay * (0.8 + Math.random() * 0.4));
    delay = Math.min(delay * 2, 15000);
  }
}

/// Polls /v1/events for new events, on a server that does not offer /v1/stream.
async function pollEvents() {
  setFeed('polling', 'polling (this server has no /v1/stream)');
  for (;;) {
    try {
      const page = await getJSON('/v1/events?limit=200&after=' + state.lastSequence);
      for (const entry of page.events) addEvent(Number(entry.sequence), entry.event, true);
      setFeed('polling', 'polling (this server has no /v1/stream)');
    } catch (error) {
      setFeed('retrying', 'cannot read events: ' + error.message);
    }
    await sleep(POLL_EVERY_MS);
  }
}

// ---- rates ---------------------------------------------------------------------------------

function recordArrival(type) {
  let times = state.arrivals.get(type);
  if (!times) {
    times = [];
    state.arrivals.set(type, times);
  }
  times.push(Date.now());
  state.arrivedSinceTopics.set(type, (state.arrivedSinceTopics.get(type) || 0) + 1);
  if (times.length > 100000) times.splice(0, times.length - 100000);
}

function colorOf(type) {
  if (!state.colors.has(type)) state.colors.set(type, COLORS[state.colors.size % COLORS.length]);
  return state.colors.get(type);
}

/// Per charted type, events in each of the last CHART_SECONDS seconds, oldest first.
function chartSeries(now) {
  const series = [];
  for (const [type, times] of state.arrivals) {
    while (times.length > 0 && times[0] <= now - CHART_SECONDS * 1000) times.shift();
    if (times.length === 0) continue;
    const buckets = new Array(CHART_SECONDS).fill(0);
    for (const time of times) {
      const age = Math.floor((now - time) / 1000);
      if (age >= 0 && age < CHART_SECONDS) buckets[CHART_SECONDS - 1 - age] += 1;
    }
    series.push({ type, buckets, total: times.length });
  }
  series.sort((a, b) => b.total - a.total);
  return series.slice(0, COLORS.length);
}

let chartScheduled = false;

/// Redraws the chart at the next frame, once however many events arrive before it.
function scheduleChart() {
  if (chartScheduled) return;
  chartScheduled = true;
  requestAnimationFrame(() => {
    chartScheduled = false;
    drawChart();
  });
}

function drawChart() {
  const canvas = $('rate-chart');
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 420;
  const height = canvas.clientHeight || 160;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const context = canvas.getContext('2d');
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);

  const style = getComputedStyle(document.documentElement);
  const line = style.getPropertyValue('--line').trim() || '#ccc';
  const muted = style.getPropertyValue('--muted').trim() || '#888';
  const series = chartSeries(Date.now());
  const peak = Math.max(1, ...series.flatMap((entry) => entry.buckets));
  const left = 34, right = 6, top = 8, bottom = 18;
  const plotWidth = width - left - right, plotHeight = height - top - bottom;

  context.font = '11px system-ui, sans-serif';
  context.fillStyle = muted;
  context.strokeStyle = line;
  context.lineWidth = 1;
  for (const fraction of [0, 0.5, 1]) {
    const y = top + plotHeight * (1 - fraction);
    context.beginPath();
    context.moveTo(left, Math.round(y) + 0.5);
    context.lineTo(width - right, Math.round(y) + 0.5);
    context.stroke();
    if (fraction === 0.5) continue; // a guide line, unlabelled: half of a small peak is not a count
    context.textAlign = 'right';
    context.textBaseline = 'middle';
    context.fillText(String(peak * fraction), left - 6, y);
  }
  context.textAlign = 'left';
  context.textBaseline = 'top';
  context.fillText('-60 s', left, top + plotHeight + 4);
  context.textAlign = 'right';
  context.fillText('now', width - right, top + plotHeight + 4);

  const step = plotWidth / (CHART_SECONDS - 1);
  for (const entry of series) {
    context.strokeStyle = colorOf(entry.type);
    context.lineWidth = 2;
    context.lineJoin = 'round';
    context.beginPath();
    entry.buckets.forEach((count, index) => {
      const x = left + index * step;
      const y = top + plotHeight * (1 - count / peak);
      if (index === 0) context.moveTo(x, y); else context.lineTo(x, y);
    });
    context.stroke();
  }
  drawLegend(series);
}

/// One line per event type: the charted ones first, with the server's count and rate when it
/// has /v1/topics (plus what arrived since it answered), else the rate seen on the feed.
function drawLegend(series) {
  const charted = new Set(series.map((entry) => entry.type));
  const since = Date.now() - RATE_WINDOW_SECONDS * 1000;
  const localRate = (type) => (state.arrivals.get(type) || []).filter((time) => time > since).length / RATE_WINDOW_SECONDS;
  const types = new Map();
  if (state.topics) {
    for (const topic of state.topics) {
      types.set(String(topic.type), { count: Number(topic.count) || 0, rate: Number(topic.rate_per_second) || 0 });
    }
    for (const [type, arrived] of state.arrivedSinceTopics) {
      const entry = types.get(type) || { count: 0, rate: localRate(type) };
      entry.count += arrived;
      types.set(type, entry);
    }
  } else {
    for (const entry of series) types.set(entry.type, { count: null, rate: localRate(entry.type) });
  }
  const rows = [...types].map(([type, figures]) => ({ type, ...figures, charted: charted.has(type) }));
  rows.sort((a, b) => (b.charted - a.charted) || (b.rate - a.rate) || ((b.count || 0) - (a.count || 0)));
  const legend = $('rate-legend');
  legend.replaceChildren(...rows.slice(0, 12).map((row) => {
    const item = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    if (row.charted) swatch.style.backgroundColor = colorOf(row.type);
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = row.type;
    const figures = document.createElement('span');
    figures.className = 'figures';
    figures.textContent = row.rate.toFixed(1) + '/s' + (row.count === null ? '' : ' · ' + row.count + ' total');
    item.append(swatch, name, figures);
    return item;
  }));
  const note = $('rates-note');
  note.hidden = rows.length > 0;
  note.textContent = 'No events in the last minute.';
}

async function refreshTopics() {
  try {
    const body = await getJSON('/v1/topics');
    state.topics = Array.isArray(body.topics) ? body.topics : [];
    state.arrivedSinceTopics.clear();
  } catch (error) {
    state.topics = null;
    if (error instanceof HTTPFailure && error.status === 404) return; // not on this server: rates from the feed
  }
  setTimeout(refreshTopics, TOPICS_EVERY_MS);
}

// ---- consumer groups -----------------------------------------------------------------------

async function refreshGroups() {
  const note = $('groups-note');
  let again = true;
  try {
    const body = await getJSON('/v1/groups');
    const groups = Array.isArray(body.groups) ? body.groups : [];
    $('group-rows').replaceChildren(...groups.map((group) => {
      const row = document.createElement('tr');
      const dead = Number(group.dead_letters) || 0;
      row.append(
        cell(String(group.name), 'name'),
        cell(String(group.topic), 'mono'),
        cell(String(group.lag ?? '—'), 'number'),
        cell(String(group.in_flight ?? '—'), 'number'),
        cell(String(dead), dead > 0 ? 'number alert' : 'number'),
        seekCell(String(group.name)),
      );
      return row;
    }));
    $('groups').hidden = groups.length === 0;
    note.hidden = groups.length > 0;
    note.textContent = 'No consumer groups yet.';
  } catch (error) {
    $('group-rows').replaceChildren();
    $('groups').hidden = true;
    note.hidden = false;
    if (error instanceof HTTPFailure && error.status === 404) {
      note.textContent = 'This server does not offer consumer groups over HTTP.';
      again = false;
    } else {
      note.textContent = 'Cannot list consumer groups: ' + error.message;
    }
  }
  if (again) setTimeout(refreshGroups, GROUPS_EVERY_MS);
}

// Replay or skip: buttons that move a group (POST /v1/groups/{name}/seek, admin scope) after a confirmation.
function seekCell(name) {
  const td = document.createElement('td');
  td.className = 'actions';
  for (const [label, to, question] of [
    ['Replay', 'earliest', 'deliver every stored event of its topic again'],
    ['Skip', 'latest', 'skip every event not yet acknowledged'],
  ]) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = label;
    button.dataset.seek = to;
    button.dataset.group = name;
    button.title = 'Move ' + name + ' to ' + to + ': ' + question + ', ending its deliveries in flight';
    button.addEventListener('click', () => seek(name, to, question, button));
    td.append(button);
  }
  return td;
}

async function seek(name, to, question, button) {
  if (!window.confirm('Move consumer group ' + name + ' to ' + to + '? It will ' + question + '.')) return;
  const note = $('groups-result');
  button.disabled = true;
  try {
    const response = await fetch('/v1/groups/' + encodeURIComponent(name) + '/seek', {
      method: 'POST',
      headers: authHeaders({ 'Content-Type': 'application/json', Accept: 'application/json' }),
      body: JSON.stringify({ to }),
    });
    if (response.ok) {
      const body = await response.json();
      note.textContent = name + ' now reads after sequence ' + body.position + '.';
    } else {
      const failure = await describeFailure(response);
      note.textContent = 'Cannot move ' + name + ': ' + failure.title + '. ' + (failure.detail || '');
    }
  } catch (error) {
    note.textContent = 'Cannot move ' + name + ': ' + error.message;
  } finally {
    note.hidden = false;
    button.disabled = false;
  }
}

// ---- schedules -----------------------------------------------------------------------------

/// A schedule's trigger in a few words, from its JSON form.
function describeTrigger(schedule) {
  if (typeof schedule.cron === 'string') return 'cron ' + schedule.cron + ' (' + String(schedule.timezone || 'UTC') + ')';
  if (typeof schedule.every_ms === 'number') return 'every ' + schedule.every_ms + ' ms';
  if (typeof schedule.at === 'string') return 'at ' + schedule.at;
  return '—';
}

async function refreshSchedules() {
  const note = $('schedules-note');
  let again = true;
  try {
    const body = await getJSON('/v1/schedules');
    const schedules = Array.isArray(body.schedules) ? body.schedules : [];
    $('schedule-rows').replaceChildren(...schedules.map((schedule) => {
      const row = document.createElement('tr');
      row.dataset.name = String(schedule.name);
      const next = typeof schedule.next_fire_at === 'string' ? schedule.next_fire_at : '—';
      const nextCell = cell(next === '—' ? next : new Date(next).toLocaleString(), 'time');
      nextCell.title = next;
      row.append(
        cell(String(schedule.name), 'name'),
        cell(describeTrigger(schedule), 'mono'),
        nextCell,
        cell(schedule.paused === true ? 'yes' : 'no', schedule.paused === true ? 'alert' : ''),
      );
      return row;
    }));
    $('schedules').hidden = schedules.length === 0;
    note.hidden = schedules.length > 0;
    note.textContent = 'No schedules yet.';
  } catch (error) {
    $('schedule-rows').replaceChildren();
    $('schedules').hidden = true;
    note.hidden = false;
    if (error instanceof HTTPFailure && (error.status === 404 || error.status === 501)) {
      note.textContent = 'This server does not keep schedules.';
      again = false;
    } else {
      note.textContent = 'Cannot list schedules: ' + error.message;
    }
  }
  if (again) setTimeout(refreshSchedules, SCHEDULES_EVERY_MS);
}

// ---- publishing ----------------------------------------------------------------------------

function newEventID() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return hex.slice(0, 8) + '-' + hex.slice(8, 12) + '-' + hex.slice(12, 16) + '-' + hex.slice(16, 20) + '-' + hex.slice(20);
}

function showResult(ok, title, detail, errors = []) {
  const result = $('publish-result');
  const heading = document.createElement('strong');
  heading.textContent = title;
  const children = [heading];
  if (detail) {
    const text = document.createElement('span');
    text.textContent = detail;
    children.push(text);
  }
  if (errors.length > 0) {
    const list = document.createElement('ul');
    for (const entry of errors) {
      const item = document.createElement('li');
      const where = 'event ' + entry.index + (entry.attribute ? ', ' + entry.attribute : '');
      item.textContent = where + ': ' + entry.detail;
      list.append(item);
    }
    children.push(list);
  }
  result.replaceChildren(...children);
  result.className = 'result ' + (ok ? 'ok' : 'error');
  result.hidden = false;
}

async function publish(submit) {
  submit.preventDefault();
  const event = {
    specversion: '1.0',
    id: newEventID(),
    source: $('publish-source').value.trim(),
    type: $('publish-type').value.trim(),
    time: new Date().toISOString(),
  };
  const subject = $('publish-subject').value.trim();
  if (subject) event.subject = subject;
  const data = $('publish-data').value.trim();
  if (data) {
    try {
      event.data = JSON.parse(data);
    } catch (error) {
      showResult(false, 'Data is not JSON', error.message + '. Write JSON, such as {"total": 42} or "text" in quotes, or leave it empty.');
      return;
    }
    event.datacontenttype = 'application/json';
  }
  const button = $('publish-button');
  button.disabled = true;
  try {
    const response = await fetch('/v1/events', {
      method: 'POST',
      headers: authHeaders({ 'Content-Type': 'application/cloudevents+json', Accept: 'application/json' }),
      body: JSON.stringify(event),
    });
    if (response.ok) {
      const stored = ((await response.json()).events || [])[0] || {};
      const title = stored.duplicate ? 'Already stored' : 'Published';
      showResult(true, title, 'id ' + event.id + (stored.sequence === undefined ? '' : ', sequence ' + stored.sequence));
    } else {
      const failure = await describeFailure(response);
      showResult(false, failure.title, failure.detail, failure.errors);
    }
  } catch (error) {
    showResult(false, 'Cannot reach the server', error.message);
  } finally {
    button.disabled = false;
  }
}

// ---- start ---------------------------------------------------------------------------------

function setUpKeyForm() {
  const field = $('api-key');
  field.value = readKey();
  $('key-form').addEventListener('submit', (submit) => {
    submit.preventDefault();
    try { localStorage.setItem(KEY_STORAGE, field.value.trim()); } catch { /* private mode: key not kept */ }
    location.reload();
  });
  $('key-forget').addEventListener('click', () => {
    try { localStorage.removeItem(KEY_STORAGE); } catch { /* nothing kept */ }
    location.reload();
  });
}

async function start() {
  setUpKeyForm();
  $('publish-form').addEventListener('submit', publish);
  drawChart();
  setInterval(drawChart, 1000);
  refreshGroups();
  refreshSchedules();
  try {
    await loadBacklog();
  } catch (error) {
    if (error instanceof HTTPFailure && (error.status === 401 || error.status === 403)) {
      setFeed('unauthorized', 'not allowed to read events: enter an API key with the subscribe scope');
      $('events-note').textContent = error.message;
      return;
    }
    console.warn('could not load recent events:', error);
  }
  setTimeout(refreshTopics, TOPICS_EVERY_MS);
  followStream();
}

start();

