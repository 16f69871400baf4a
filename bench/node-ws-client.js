// A minimal Node.js load client (the `ws` package) for the generator
// efficiency comparison in compare-node.sh: N clients subscribe to
// BenchmarkChannel, the script publishes a burst over HTTP /_broadcast, and
// every delivery is parsed with JSON.parse, the way a typical JS harness
// does. Prints one JSON line: deliveries, CPU seconds, latency percentiles.
// Usage: node node-ws-client.js URL BROADCAST_URL CLIENTS MESSAGES
const WebSocket = require('ws');
const http = require('http');
const [url, burl, clientsArg, messagesArg] = process.argv.slice(2);
const clients = Number(clientsArg), messages = Number(messagesArg);
const id = JSON.stringify({channel: 'BenchmarkChannel'});
let ready = 0, received = 0;
const lat = [];
const now = () => Number(process.hrtime.bigint());  // CLOCK_MONOTONIC, like cable bench
const sockets = [];
function open(i) {
  const ws = new WebSocket(url, 'actioncable-v1-json');
  ws.on('message', (data) => {
    const m = JSON.parse(data);
    if (m.type === 'welcome') ws.send(JSON.stringify({command: 'subscribe', identifier: id}));
    else if (m.type === 'confirm_subscription') { if (++ready === clients) publish(); }
    else if (m.message && m.message.ts !== undefined) {
      lat.push(now() - m.message.ts);
      if (++received === clients * messages) done();
    }
  });
  ws.on('error', () => {});
  sockets.push(ws);
}
let cpu0;
function publish() {
  cpu0 = process.cpuUsage();
  let i = 0;
  const agent = new http.Agent({keepAlive: true, maxSockets: 1});
  const next = () => {
    if (i >= messages) return;
    const data = JSON.stringify({seq: i, ts: now(), pad: 'x'.repeat(60)});
    const body = JSON.stringify({stream: 'all', data});
    const req = http.request(burl, {method: 'POST', agent, headers: {'Content-Length': Buffer.byteLength(body)}},
      (res) => { res.resume(); res.on('end', next); });
    req.end(body);
    i++;
  };
  next();
}
function done() {
  const cpu = process.cpuUsage(cpu0);
  lat.sort((a, b) => a - b);
  const p = (q) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] / 1e3;
  console.log(JSON.stringify({clients, messages, received, message_cpu_s: (cpu.user + cpu.system) / 1e6,
    cpu_us_per_message: (cpu.user + cpu.system) / received, p50_us: p(0.5), p99_us: p(0.99), max_us: p(1)}));
  process.exit(0);
}
setTimeout(() => { console.log(JSON.stringify({error: 'timeout', ready, received})); process.exit(1); }, 120000);
for (let i = 0; i < clients; i++) setTimeout(() => open(i), Math.floor(i / 200));
