// reconnect-loop.mjs - a client that reconnects in a loop, run as a worker
// thread by connections.test.mjs (so that its event loop does not delay
// the measured client's).
//
// workerData {port, parallel}: keeps `parallel` connections to
// 127.0.0.1:port that send nothing, and opens a new one as soon as the
// server closes one. Messages: 'stop' stops reconnecting, 'close' closes
// what is left, 'stats' does nothing; each is answered with
// {opened, closedByServer, open}.

import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

const { port, parallel } = workerData;
let stopping = false;
let opened = 0;
let closedByServer = 0;
const live = new Set();

function one() {
  if (stopping) return;
  const s = net.connect({ port, host: '127.0.0.1' });
  opened++;
  live.add(s);
  s.on('error', () => {});
  s.on('close', () => {
    live.delete(s);
    if (s.byUs) return;
    closedByServer++;
    setImmediate(one);
  });
}

for (let i = 0; i < parallel; i++) one();

parentPort.on('message', (m) => {
  if (m === 'stop') {
    stopping = true;
  } else if (m === 'close') {
    for (const s of live) {
      s.byUs = true;
      s.destroy();
    }
  }
  parentPort.postMessage({ opened, closedByServer, open: live.size });
});
