// A 1:1 call with the Parley SDK: connect with a name, call someone, answer, hang up.
// A plain script: the SDK comes from the Parley server's /sdk/parley.js (see call.html), which
// sets the global `Parley`; the page itself may be served from anywhere.
const { connect } = window.Parley;

const $ = (id) => document.getElementById(id);
// The Parley server is the one that served the SDK: its WebSocket is at /ws on the same host.
const sdkUrl = new URL(document.querySelector('script[src$="/sdk/parley.js"]').src, location.href);
const wsUrl = `${sdkUrl.protocol === 'https:' ? 'wss' : 'ws'}://${sdkUrl.host}/ws`;
const status = (text) => {
  $('status').textContent = text;
};
let client;
let call;

function follow(c) {
  call = c;
  $('hangup').hidden = false;
  $('local').srcObject = c.media?.stream ?? null;
  c.on('track', (_track, stream) => {
    $('remote').srcObject = stream;
  });
  c.on('state', (state) => status(`${c.remote}: ${state}`));
  c.on('ended', (reason) => {
    status(`call ended: ${reason}`);
    $('hangup').hidden = true;
    $('answer').hidden = true;
    $('local').srcObject = null;
    $('remote').srcObject = null;
  });
}

$('login').onsubmit = async (event) => {
  event.preventDefault();
  try {
    client = await connect(wsUrl, { name: $('name').value });
  } catch (error) {
    return status(`could not connect: ${error.message}`);
  }
  status(`connected as ${client.name}`);
  $('login').hidden = true;
  $('dial').hidden = false;
  client.on('incoming', (c) => {
    follow(c);
    status(`${c.remote} is calling`);
    $('answer').hidden = false;
  });
};

$('dial').onsubmit = async (event) => {
  event.preventDefault();
  try {
    follow(await client.call($('peer').value));
  } catch (error) {
    status(`call failed: ${error.code ?? error.message}`);
  }
};

$('answer').onclick = async () => {
  $('answer').hidden = true;
  await call.accept();
  $('local').srcObject = call.media?.stream ?? null;
};
$('hangup').onclick = () => call?.hangup();
