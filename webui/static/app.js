// soterd web view. Talks JSON-RPC to the node that served it: over the
// websocket at /webui/ws (notifications of new blocks, then requests), or,
// when the websocket is down, by POSTs to /webui/rpc once a second. Every
// structure is bounded: the DAG picture holds the newest VIEW_BLOCKS
// blocks and is redrawn whole, charts keep CHART_POINTS points.
'use strict';

const VIEW_BLOCKS = 120;        // blocks drawn
const MIN_REDRAW_MS = 250;      // at most 4 redraws a second, however fast blocks come
const STATS_MS = 2000;          // figures and charts without new blocks
const CHART_POINTS = 300;       // 10 minutes at one point every 2 s
const RECONNECT_MS = 5000;
const REQUEST_TIMEOUT_MS = 15000;
const MAX_PEER_ROWS = 50;

const COL_W = 64, ROW_H = 30, BOX_W = 48, BOX_H = 20, PAD = 10;
const SVG_NS = 'http://www.w3.org/2000/svg';

const $ = (id) => document.getElementById(id);

// ---- transport ----

let ws = null;
let wsUp = false;
let nextID = 1;
const pending = new Map(); // id -> {resolve, reject, timer}

function setConn(transport, text) {
  const el = $('conn');
  el.dataset.transport = transport;
  el.textContent = text;
  el.className = 'conn ' + (transport === 'none' ? 'down' : 'up');
}

function connect() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  let sock;
  try {
    sock = new WebSocket(proto + '//' + location.host + '/webui/ws');
  } catch (e) {
    setTimeout(connect, RECONNECT_MS);
    return;
  }
  sock.onopen = () => {
    ws = sock;
    wsUp = true;
    setConn('websocket', 'live (websocket)');
    call('notifyblocks', []).catch(showError);
    scheduleRedraw();
    refreshStats();
  };
  sock.onmessage = (ev) => onMessage(ev.data);
  sock.onclose = () => {
    if (ws === sock) {
      ws = null;
      wsUp = false;
      failPending('websocket closed');
    }
    setConn('http', 'polling (websocket down)');
    setTimeout(connect, RECONNECT_MS);
  };
}

function failPending(why) {
  for (const [id, p] of pending) {
    clearTimeout(p.timer);
    p.reject(new Error(why));
    pending.delete(id);
  }
}

function onMessage(data) {
  let msg;
  try { msg = JSON.parse(data); } catch (e) { return; }
  if (msg.id !== undefined && msg.id !== null && pending.has(msg.id)) {
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.error) p.reject(new Error(msg.error.message)); else p.resolve(msg.result);
    return;
  }
  if (msg.method === 'blockconnected' || msg.method === 'virtualchanged') {
    scheduleRedraw();
  }
}

// call sends one JSON-RPC request and resolves with its result.
function call(method, params) {
  const id = nextID++;
  const body = JSON.stringify({ jsonrpc: '1.0', id: id, method: method, params: params || [] });
  if (wsUp && ws) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(method + ' timed out'));
      }, REQUEST_TIMEOUT_MS);
      pending.set(id, { resolve, reject, timer });
      ws.send(body);
    });
  }
  return fetch('/webui/rpc', { method: 'POST', body: body, credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' } })
    .then((r) => {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    })
    .then((msg) => {
      if (msg.error) throw new Error(msg.error.message);
      return msg.result;
    });
}

// ---- the DAG picture ----

let redrawing = false;
let redrawAgain = false;
let lastRedraw = 0;

let lastStats = 0;

function scheduleRedraw() {
  // The figures follow the blocks too, at most once a second.
  if (Date.now() - lastStats > 1000) {
    lastStats = Date.now();
    refreshStats().catch(showError);
  }
  if (redrawing) { redrawAgain = true; return; }
  const wait = Math.max(0, lastRedraw + MIN_REDRAW_MS - Date.now());
  redrawing = true;
  setTimeout(() => {
    lastRedraw = Date.now();
    call('getdagview', [VIEW_BLOCKS])
      .then(drawDAG)
      .catch(showError)
      .finally(() => {
        redrawing = false;
        if (redrawAgain) { redrawAgain = false; scheduleRedraw(); }
      });
  }, wait);
}

// drawStats keeps the cost of the redraws for whoever watches the page's
// smoothness (the browser test reads it from the svg's data attributes).
const drawStats = { count: 0, totalMs: 0, maxMs: 0 };

function drawDAG(res) {
  const started = performance.now();
  const view = res.view || [];
  const svg = $('dag');
  const pos = new Map();    // hash -> {x, y, lane}
  const taken = new Map();  // height -> Set of lanes used
  const minH = view.length ? view[0].height : 0;
  let maxLane = 0;
  for (const b of view) {
    // A block stays in its selected parent's lane when it is free, so a
    // chain reads as a straight line and branches as parallel ones.
    let used = taken.get(b.height);
    if (!used) { used = new Set(); taken.set(b.height, used); }
    const sp = pos.get(b.selectedparent);
    let lane = sp && !used.has(sp.lane) ? sp.lane : 0;
    while (used.has(lane)) lane++;
    used.add(lane);
    maxLane = Math.max(maxLane, lane);
    pos.set(b.hash, { x: PAD + (b.height - minH) * COL_W, y: PAD + lane * ROW_H, lane: lane });
  }
  const tips = new Set(res.tips || []);
  const frag = document.createDocumentFragment();
  let blue = 0, red = 0, chain = 0, tipCount = 0;
  // Edges under the boxes.
  for (const b of view) {
    const from = pos.get(b.hash);
    for (const p of b.parents) {
      const to = pos.get(p);
      if (!to) continue;
      const line = document.createElementNS(SVG_NS, 'line');
      line.setAttribute('x1', from.x);
      line.setAttribute('y1', from.y + BOX_H / 2);
      line.setAttribute('x2', to.x + BOX_W);
      line.setAttribute('y2', to.y + BOX_H / 2);
      line.setAttribute('class', p === b.selectedparent ? 'edge sp' : 'edge');
      frag.appendChild(line);
    }
  }
  for (const b of view) {
    const at = pos.get(b.hash);
    const g = document.createElementNS(SVG_NS, 'g');
    let cls = 'block ' + b.color;
    if (b.chain) { cls += ' chain'; chain++; }
    if (tips.has(b.hash)) { cls += ' tip'; tipCount++; }
    if (b.color === 'blue') blue++; else if (b.color === 'red') red++;
    g.setAttribute('class', cls);
    g.dataset.hash = b.hash;
    g.dataset.height = b.height;
    const rect = document.createElementNS(SVG_NS, 'rect');
    rect.setAttribute('x', at.x);
    rect.setAttribute('y', at.y);
    rect.setAttribute('width', BOX_W);
    rect.setAttribute('height', BOX_H);
    const title = document.createElementNS(SVG_NS, 'title');
    title.textContent = b.hash + '\nheight ' + b.height + ', blue score ' + b.bluescore +
      ', ' + b.color + (b.chain ? ', selected chain' : '');
    const text = document.createElementNS(SVG_NS, 'text');
    text.setAttribute('x', at.x + 4);
    text.setAttribute('y', at.y + 13);
    text.textContent = b.hash.slice(0, 7);
    g.append(rect, title, text);
    frag.appendChild(g);
  }
  const width = PAD * 2 + (view.length ? (view[view.length - 1].height - minH) * COL_W + BOX_W : 0);
  svg.setAttribute('width', width);
  svg.setAttribute('height', PAD * 2 + (maxLane + 1) * ROW_H);
  svg.replaceChildren(frag);
  Object.assign(svg.dataset, { blocks: view.length, tips: tipCount, blue: blue, red: red,
    chain: chain, maxheight: res.maxheight, total: res.blocks });
  $('dag-count').textContent = view.length;
  // Keep the newest blocks in sight as the DAG grows to the right, at
  // the next frame, when the browser lays the page out anyway.
  const box = svg.parentElement;
  requestAnimationFrame(() => { box.scrollLeft = box.scrollWidth; });
  const took = performance.now() - started;
  drawStats.count++;
  drawStats.totalMs += took;
  drawStats.maxMs = Math.max(drawStats.maxMs, took);
  Object.assign(svg.dataset, { draws: drawStats.count,
    drawavgms: (drawStats.totalMs / drawStats.count).toFixed(2), drawmaxms: drawStats.maxMs.toFixed(2) });
  $('blocks-total').textContent = res.blocks;
  $('max-height').textContent = res.maxheight;
  $('tips-count').textContent = (res.tips || []).length;
}

// ---- figures and charts ----

const charts = { rate: [], peers: [], mempool: [], net: [] };
let lastSample = null; // {t, blocks, recv, height}
const heightSamples = []; // {t, height}, the last minute, for the time left

function pushPoint(name, v) {
  const a = charts[name];
  a.push(v);
  if (a.length > CHART_POINTS) a.shift();
  const el = $('chart-' + name);
  const max = Math.max(1, ...a);
  const step = 300 / (CHART_POINTS - 1);
  const start = CHART_POINTS - a.length;
  const pts = a.map((y, i) => ((start + i) * step).toFixed(1) + ',' + (58 - (y / max) * 56).toFixed(1));
  el.querySelector('polyline').setAttribute('points', pts.join(' '));
  $('chart-' + name + '-last').textContent = Number.isInteger(v) ? v : v.toFixed(1);
}

function fmtDuration(s) {
  if (!isFinite(s) || s < 0) return '–';
  if (s < 60) return Math.round(s) + ' s';
  if (s < 3600) return Math.round(s / 60) + ' min';
  return (s / 3600).toFixed(1) + ' h';
}

async function refreshStats() {
  const [dag, sync, peers, pool, net] = await Promise.all([
    call('getdaginfo').catch(showError),
    call('getsyncinfo').catch(() => null),   // admin only
    call('getpeerinfo').catch(() => null),   // admin only
    call('getmempoolinfo').catch(() => null),
    call('getnettotals').catch(() => null),
  ]);
  const now = Date.now() / 1000;
  if (dag) {
    $('network').textContent = dag.network;
    $('blue-score').textContent = dag.bluescore;
    heightSamples.push({ t: now, height: dag.maxheight });
    while (heightSamples.length > 2 && now - heightSamples[0].t > 60) heightSamples.shift();
  }
  if (sync) {
    const target = Math.max(sync.syncpeermaxheight, sync.maxheight);
    const pct = target > 0 ? Math.min(100, 100 * sync.maxheight / target) : 100;
    $('sync-state').textContent = sync.insyncmode ? 'downloading' : (sync.iscurrent ? 'current' : 'waiting for peers');
    $('sync-state').dataset.state = sync.insyncmode ? 'syncing' : (sync.iscurrent ? 'current' : 'behind');
    $('sync-progress').value = pct;
    $('sync-percent').textContent = pct.toFixed(1) + ' %';
    const first = heightSamples[0], last = heightSamples[heightSamples.length - 1];
    const hps = last && last.t > first.t ? (last.height - first.height) / (last.t - first.t) : 0;
    $('sync-eta').textContent = target <= sync.maxheight ? 'none' : (hps > 0 ? fmtDuration((target - sync.maxheight) / hps) : '–');
  } else if (dag) {
    $('sync-state').textContent = dag.iscurrent ? 'current' : 'behind';
  }
  if (dag && lastSample) {
    const dt = now - lastSample.t;
    const rate = dt > 0 ? (dag.blocks - lastSample.blocks) / dt : 0;
    $('sync-rate').textContent = rate.toFixed(1) + ' blocks/s';
    pushPoint('rate', rate);
    if (net && lastSample.recv !== undefined) pushPoint('net', dt > 0 ? (net.totalbytesrecv - lastSample.recv) / 1024 / dt : 0);
  }
  if (dag) lastSample = { t: now, blocks: dag.blocks, recv: net ? net.totalbytesrecv : undefined };
  if (peers) {
    $('peers-count').textContent = peers.length;
    pushPoint('peers', peers.length);
    const rows = peers.slice(0, MAX_PEER_ROWS).map((p) => {
      const tr = document.createElement('tr');
      for (const v of [p.addr, p.inbound ? 'in' : 'out', p.currentheight, p.pingtime ? (p.pingtime / 1000).toFixed(1) + ' ms' : '–']) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.appendChild(td);
      }
      return tr;
    });
    $('peers').tBodies[0].replaceChildren(...rows);
  } else {
    $('peers-count').textContent = 'admin only';
  }
  if (pool) {
    $('mempool-count').textContent = pool.size;
    $('mempool-bytes').textContent = pool.bytes;
    pushPoint('mempool', pool.size);
  }
}

function showError(e) {
  const el = $('error');
  el.hidden = false;
  el.textContent = String(e && e.message ? e.message : e);
  return null;
}

// Without a websocket, poll.
setInterval(() => {
  if (!wsUp) scheduleRedraw();
}, 1000);
setInterval(() => {
  if (Date.now() - lastStats < STATS_MS / 2) return;
  lastStats = Date.now();
  refreshStats().catch(showError);
}, STATS_MS);

connect();
scheduleRedraw();
refreshStats().catch(showError);
