// A 1:1 call with the Parley SDK: connect with a name, call someone, answer, hang up.
import { connect } from '@parley/client';

const $ = (id) => document.getElementById(id);
const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
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
