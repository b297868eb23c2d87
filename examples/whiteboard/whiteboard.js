// A shared whiteboard with live cursors on the Parley SDK's app data channels (docs/SDK.md): strokes
// on a reliable, ordered channel; pointer positions on a lossy one (`reliable: false`). The SDK is
// the server's /sdk/parley.js (window.Parley). Coordinates are fractions of the canvas (0..1).
// Strokes have ids `name:n`; the first name in the room replays finished strokes to a newcomer.
const { connect } = window.Parley;

const $ = (id) => document.getElementById(id);
const canvas = $('canvas');
const ctx = canvas.getContext('2d');
const sdkUrl = new URL(document.querySelector('script[src$="/sdk/parley.js"]').src, location.href);
const wsUrl = `${sdkUrl.protocol === 'https:' ? 'wss' : 'ws'}://${sdkUrl.host}/ws`;
const MAX_POINTS = 2000; // per stroke: a finished stroke stays one message under 64 KiB
const status = (text) => {
  $('status').textContent = text;
};

let me = '';
let room, strokes, cursors; // the room, its reliable channel and its lossy one
const board = new Map(); // stroke id → { colour, pts: [x, y, x, y, …], done }
let drawing = null; // { id, colour, pts, sent }
let seq = 0;

function paint(stroke, from = 0) {
  const p = stroke.pts;
  ctx.strokeStyle = stroke.colour;
  ctx.lineWidth = 3;
  ctx.lineCap = ctx.lineJoin = 'round';
  ctx.beginPath();
  const start = Math.max(0, from - 2);
  ctx.moveTo(p[start] * canvas.width, p[start + 1] * canvas.height);
  for (let i = start; i < p.length; i += 2) ctx.lineTo(p[i] * canvas.width, p[i + 1] * canvas.height);
  if (p.length === 2) ctx.lineTo(p[0] * canvas.width + 0.1, p[1] * canvas.height);
  ctx.stroke();
}

function countStrokes() {
  let done = 0;
  for (const s of board.values()) if (s.done) done++;
  canvas.dataset.strokes = String(done); // read by test/e2e/examples/whiteboard.test.ts
  canvas.ariaLabel = `Shared drawing surface, ${done} strokes: draw with the mouse, a pen or a finger`;
}

function clearBoard() {
  board.clear();
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  countStrokes();
}

const valid = (m) =>
  m !== null &&
  typeof m === 'object' &&
  typeof m.id === 'string' &&
  m.id.length <= 200 &&
  (m.pts === undefined ||
    (Array.isArray(m.pts) &&
      m.pts.length % 2 === 0 &&
      m.pts.length <= MAX_POINTS * 2 &&
      m.pts.every((n) => typeof n === 'number' && n >= 0 && n <= 1)));

function onStroke(m, from) {
  if (m?.t === 'clear') return clearBoard();
  // Points and ends only for the sender's own strokes; whole strokes may be a replay of anyone's.
  if (!valid(m) || (m.t !== 'stroke' && !m.id.startsWith(`${from}:`))) return;
  let s = board.get(m.id);
  if (m.t === 'stroke') {
    // a whole stroke (a replay to a newcomer)
    if (s?.done) return;
    s = { colour: String(m.colour), pts: m.pts, done: true };
    board.set(m.id, s);
    paint(s);
  } else if (m.t === 'pts') {
    // more points of a stroke being drawn
    if (!s) {
      s = { colour: String(m.colour), pts: [], done: false };
      board.set(m.id, s);
    }
    if (s.done || s.pts.length + m.pts.length > MAX_POINTS * 2) return;
    const from0 = s.pts.length;
    s.pts.push(...m.pts);
    paint(s, from0);
  } else if (m.t === 'end' && s) s.done = true;
  countStrokes();
}

function point(event) {
  const r = canvas.getBoundingClientRect();
  const clamp = (v) => Math.min(1, Math.max(0, v));
  return [clamp((event.clientX - r.left) / r.width), clamp((event.clientY - r.top) / r.height)];
}

function flush() {
  // sends the points drawn since the last flush
  if (!drawing || drawing.sent === drawing.pts.length) return;
  void strokes.send({
    t: 'pts',
    id: drawing.id,
    colour: drawing.colour,
    pts: drawing.pts.slice(drawing.sent),
  });
  drawing.sent = drawing.pts.length;
}

canvas.addEventListener('pointerdown', (event) => {
  if (!room) return;
  canvas.setPointerCapture?.(event.pointerId);
  drawing = { id: `${me}:${++seq}`, colour: $('colour').value, pts: point(event), sent: 0, done: false };
  board.set(drawing.id, drawing);
  paint(drawing);
});

let cursorPos = null; // the newest position not sent yet
let frameQueued = false;
// The cursor channel is unordered: receivers drop positions older than one seen. Counting from
// the clock, so a reloaded page (same name, counting afresh) is not taken for a late one.
let cursorSeq = Date.now();
canvas.addEventListener('pointermove', (event) => {
  if (!room) return;
  const [x, y] = point(event);
  if (drawing && drawing.pts.length < MAX_POINTS * 2) {
    drawing.pts.push(x, y);
    paint(drawing, drawing.pts.length - 2);
  }
  // At most one position and one batch of points per frame.
  cursorPos = [x, y];
  if (frameQueued) return;
  frameQueued = true;
  requestAnimationFrame(() => {
    frameQueued = false;
    if (cursorPos)
      void cursors.send({ n: ++cursorSeq, x: cursorPos[0], y: cursorPos[1], colour: $('colour').value });
    cursorPos = null;
    flush();
  });
});

function endStroke() {
  if (!drawing) return;
  flush();
  void strokes.send({ t: 'end', id: drawing.id });
  drawing.done = true;
  drawing = null;
  countStrokes();
}
canvas.addEventListener('pointerup', endStroke);
canvas.addEventListener('pointercancel', endStroke);
canvas.addEventListener('pointerleave', () => {
  cursorPos = null; // a position still waiting for its frame is stale now
  if (room) void cursors.send({ n: ++cursorSeq, gone: true });
});

const lastSeq = new Map(); // name → the newest cursor message number seen
function showCursor(pos, from) {
  if (!Number.isSafeInteger(pos?.n) || pos.n <= (lastSeq.get(from) ?? 0)) return; // late or bad
  lastSeq.set(from, pos.n);
  let el = document.querySelector(`.cursor[data-name="${CSS.escape(from)}"]`);
  if (pos.gone === true) return el?.remove();
  if (!(typeof pos?.x === 'number' && typeof pos.y === 'number')) return;
  if (!el) {
    el = document.createElement('li');
    el.className = 'cursor';
    el.dataset.name = from;
    el.setAttribute('aria-label', `${from}'s pointer`);
    el.append(document.createElement('span'));
    el.firstChild.textContent = from; // text, never HTML: names come from the network
    $('cursors').append(el);
  }
  el.style.left = `${Math.min(1, Math.max(0, pos.x)) * 100}%`;
  el.style.top = `${Math.min(1, Math.max(0, pos.y)) * 100}%`;
  if (/^#[0-9a-f]{6}$/i.test(pos.colour)) el.style.setProperty('--colour', pos.colour);
}
const dropCursor = (name) => document.querySelector(`.cursor[data-name="${CSS.escape(name)}"]`)?.remove();

function showPeople() {
  const names = [...room.peers.keys()];
  $('people').textContent = names.length ? `With ${names.join(', ')}` : 'Nobody else here yet';
}

$('clear').onclick = () => {
  clearBoard();
  void strokes?.send({ t: 'clear' });
};

$('join').onsubmit = async (event) => {
  event.preventDefault();
  $('join').querySelector('button').disabled = true;
  try {
    const client = await connect(wsUrl, { name: $('name').value });
    me = client.name;
    room = await client.join($('room').value);
  } catch (error) {
    $('join').querySelector('button').disabled = false;
    return status(`could not join: ${error.code ?? error.message}`);
  }
  strokes = room.channel('whiteboard-strokes');
  cursors = room.channel('whiteboard-cursors', { reliable: false });
  strokes.on('message', onStroke);
  cursors.on('message', showCursor);
  strokes.on('open', () => {
    // The first name in the room (by sort order) replays the finished strokes to a newcomer.
    if ([me, ...room.peers.keys()].sort()[0] !== me) return;
    for (const [id, s] of board)
      if (s.done) void strokes.send({ t: 'stroke', id, colour: s.colour, pts: s.pts });
  });
  strokes.on('open', showPeople);
  for (const channel of [strokes, cursors])
    channel.on('error', (e) => console.warn('whiteboard:', e.message));
  room.on('peer-joined', showPeople);
  room.on('peer-left', (name) => {
    dropCursor(name);
    lastSeq.delete(name); // a member who comes back starts counting again
    showPeople();
  });
  $('join').hidden = true;
  $('board').hidden = false;
  status(`In room ${room.name ?? $('room').value} as ${me}`);
  showPeople();
  countStrokes();
};
