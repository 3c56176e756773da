// The live page's script: follows /pods?watch=true, reads /runtime/pods for sandboxes, and for the selected pod follows its CRI trace and reads its events.
//
// Everything a pod or the runtime says (names, reasons, messages) reaches the page through
// textContent only, never as markup.
'use strict';

const state = { pods: new Map(), runtime: new Map(), selected: null, trace: [], traceAbort: null, events: [] };
const $ = (id) => document.getElementById(id);

/** An element with attributes and children; strings become text nodes. */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  for (const c of children) if (c !== undefined && c !== null) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

const podKey = (p) => `${p.metadata?.namespace || 'default'}/${p.metadata?.name || ''}`;
const shortId = (id) => (id || '').replace(/^[a-z]+:\/\//, '').slice(0, 13);
const clip = (s, n = 160) => (s && s.length > n ? `${s.slice(0, n - 1)}…` : s || '');

function age(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

function duration(ms) {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Calls onLine with each line of a streamed newline-delimited JSON answer; resolves when it ends. */
async function streamLines(url, signal, onLine) {
  const res = await fetch(url, { signal, cache: 'no-store' });
  if (!res.ok || !res.body) throw new Error(`${url}: ${res.status}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) onLine(JSON.parse(line));
    }
  }
}

/** Runs fn at most once per `ms`, at the end of a burst. */
function debounce(fn, ms) {
  let timer;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

// ---- pods ----

const refreshRuntime = debounce(async () => {
  try {
    const res = await fetch('/runtime/pods', { cache: 'no-store' });
    const body = await res.json();
    state.runtime = new Map(body.items.map((p) => [p.uid, p]));
    renderPods();
  } catch {
    /* the next pod change asks again */
  }
}, 150);

async function watchPods() {
  for (;;) {
    const conn = $('conn');
    try {
      const fresh = new Map();
      let synced = false;
      await streamLines('/pods?watch=true&allowWatchBookmarks=true', undefined, (e) => {
        const pods = synced ? state.pods : fresh;
        if (e.type === 'BOOKMARK') {
          state.pods = fresh;
          synced = true;
          conn.dataset.state = 'live';
          conn.textContent = 'live';
        } else if (e.type === 'DELETED') pods.delete(e.object.metadata.uid);
        else pods.set(e.object.metadata.uid, e.object);
        if (synced) {
          renderPods();
          refreshRuntime();
          if (state.selected && e.object?.metadata && podKey(e.object) === state.selected) refreshEvents();
        }
      });
    } catch {
      /* fall through to the retry */
    }
    conn.dataset.state = 'lost';
    conn.textContent = 'reconnecting…';
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function containerState(s) {
  if (s?.state?.running) return { cls: 'running', text: 'Running' };
  if (s?.state?.terminated) {
    const t = s.state.terminated;
    return { cls: 'terminated', text: `Terminated: ${t.reason || ''} (exit ${t.exitCode})${t.message ? `: ${clip(t.message, 80)}` : ''}` };
  }
  if (s?.state?.waiting) return { cls: 'waiting', text: `Waiting: ${s.state.waiting.reason || ''}` };
  return { cls: 'waiting', text: 'Waiting' };
}

function containerRow(pod, spec, kind, status) {
  const st = containerState(status);
  const last = status?.lastState?.terminated;
  const lastText = last ? `${last.exitCode} (${last.reason || 'exited'})${last.message ? `: ${clip(last.message, 80)}` : ''}` : '—';
  const kindText = kind === 'regular' ? '' : ` (${kind})`;
  return el('tr', { 'data-container': spec.name },
    el('td', { class: 'cname' }, spec.name + kindText),
    el('td', { class: `state state-${st.cls}`, title: status?.state?.waiting?.message || '' }, st.text),
    el('td', { class: 'restarts' }, String(status?.restartCount ?? 0)),
    el('td', { class: last ? 'last-exit' : 'no-exit' }, lastText));
}

function podCard(pod) {
  const key = podKey(pod);
  const uid = pod.metadata?.uid;
  const rt = state.runtime.get(uid);
  const sb = rt?.sandboxes?.[0];
  const phase = pod.status?.reason || pod.status?.phase || 'Pending';
  const statuses = new Map([...(pod.status?.initContainerStatuses || []), ...(pod.status?.containerStatuses || [])].map((s) => [s.name, s]));
  const rows = [
    ...(pod.spec?.initContainers || []).map((c) => containerRow(pod, c, c.restartPolicy === 'Always' ? 'sidecar' : 'init', statuses.get(c.name))),
    ...(pod.spec?.containers || []).map((c) => containerRow(pod, c, 'regular', statuses.get(c.name))),
  ];
  const sandbox = sb
    ? el('div', { class: 'sandbox' }, 'sandbox ', el('code', { class: 'sandbox-id', title: sb.id }, shortId(sb.id)),
        ` · attempt ${sb.attempt} · ${sb.state}`, sb.ip ? ` · IP ${sb.ip}` : (pod.status?.podIP ? ` · IP ${pod.status.podIP}` : ''))
    : el('div', { class: 'sandbox' }, 'no sandbox yet');
  const card = el('article', { class: 'pod', 'data-pod': key, 'aria-selected': String(state.selected === key), tabindex: 0 },
    el('div', { class: 'pod-head' }, el('span', { class: 'pod-name' }, key), el('span', { class: 'phase', 'data-phase': pod.status?.phase || '' }, phase)),
    sandbox,
    el('table', { class: 'ctrs' },
      el('thead', {}, el('tr', {}, el('th', {}, 'container'), el('th', {}, 'state'), el('th', {}, 'restarts'), el('th', {}, 'last exit'))),
      el('tbody', {}, ...rows)));
  card.addEventListener('click', () => select(key));
  card.addEventListener('keydown', (e) => { if (e.key === 'Enter') select(key); });
  return card;
}

function renderPods() {
  const list = $('pods');
  const pods = [...state.pods.values()].sort((a, b) => podKey(a).localeCompare(podKey(b)));
  $('node').textContent = pods[0]?.spec?.nodeName ? `node ${pods[0].spec.nodeName}` : '';
  list.replaceChildren(...(pods.length ? pods.map(podCard) : [el('p', { class: 'empty' }, 'No pods yet.')]));
  if (state.selected && !pods.some((p) => podKey(p) === state.selected)) select(null);
}

// ---- the selected pod: its CRI trace as a waterfall, and its events ----

function select(key) {
  if (state.selected === key) return;
  state.selected = key;
  state.traceAbort?.abort();
  state.trace = [];
  state.events = [];
  $('pick').hidden = key !== null;
  $('selected').hidden = key === null;
  for (const card of document.querySelectorAll('.pod')) card.setAttribute('aria-selected', String(card.dataset.pod === key));
  if (key === null) return;
  $('selected-name').textContent = key;
  renderTrace();
  renderEvents();
  followTrace(key);
  refreshEvents();
}

const podPath = (key) => key.split('/').map(encodeURIComponent).join('/');

async function followTrace(key) {
  const abort = new AbortController();
  state.traceAbort = abort;
  const seen = new Set();
  const draw = debounce(renderTrace, 100);
  try {
    await streamLines(`/pods/${podPath(key)}/trace?watch=true`, abort.signal, (e) => {
      if (e.type !== 'CALL' || seen.has(e.entry.seq)) return;
      seen.add(e.entry.seq);
      state.trace.push(e.entry);
      draw();
    });
  } catch {
    /* aborted, or the pod went away */
  }
}

function renderTrace() {
  const box = $('waterfall');
  const groups = [];
  for (const e of [...state.trace].sort((a, b) => a.start - b.start || a.seq - b.seq)) {
    const id = `${e.kind}#${e.sync}`;
    let g = groups.find((x) => x.id === id);
    if (!g) groups.push((g = { id, label: e.kind === 'sync' ? `sync #${e.sync}` : `sync #${e.sync} (${e.kind})`, calls: [] }));
    g.calls.push(e);
  }
  const shown = groups.slice(-30);
  box.replaceChildren(...(shown.length ? shown.map(syncGroup) : [el('p', { class: 'empty' }, 'No CRI call recorded for this pod yet.')]));
}

function syncGroup(g) {
  const t0 = Math.min(...g.calls.map((c) => c.start));
  const t1 = Math.max(...g.calls.map((c) => c.start + c.durationMs));
  const span = Math.max(t1 - t0, 1);
  const rows = [];
  let step;
  for (const c of g.calls) {
    if (c.step !== step) {
      step = c.step;
      rows.push(el('div', { class: 'call' }, el('div', { class: 'why' }, step)));
    }
    const bar = el('div', { class: 'bar', style: undefined });
    bar.style.left = `${((c.start - t0) / span) * 100}%`;
    bar.style.width = `${(c.durationMs / span) * 100}%`;
    rows.push(el('div', { class: 'call', 'data-call': c.call, 'data-ok': String(c.ok), title: `${c.call} ${c.target}: ${c.ok ? c.result : `error: ${c.result}`}` },
      el('span', { class: 'name' }, c.call),
      el('div', { class: 'track' }, bar),
      el('span', { class: 'dur' }, duration(c.durationMs))));
  }
  const when = new Date(t0).toISOString().slice(11, 23);
  return el('div', { class: 'sync' }, el('div', { class: 'sync-head' }, g.label, el('span', {}, ` · ${when} UTC · ${duration(span)}`)), ...rows);
}

const refreshEvents = debounce(async () => {
  const key = state.selected;
  if (!key) return;
  try {
    const res = await fetch(`/pods/${podPath(key)}/events`, { cache: 'no-store' });
    if (!res.ok || state.selected !== key) return;
    state.events = (await res.json()).items || [];
    renderEvents();
  } catch {
    /* the next change asks again */
  }
}, 200);

function renderEvents() {
  const body = $('events').tBodies[0];
  const rows = state.events.map((e) => el('tr', { 'data-type': e.type, 'data-reason': e.reason },
    el('td', {}, e.type),
    el('td', {}, e.reason),
    el('td', {}, `${age(Date.parse(e.lastTimestamp))}${e.count > 1 ? ` (x${e.count})` : ''}`),
    el('td', {}, e.source?.component || ''),
    el('td', {}, clip(e.message, 300))));
  body.replaceChildren(...rows);
}

watchPods();
setInterval(() => { if (state.selected) renderEvents(); }, 5000);
