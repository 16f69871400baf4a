// The real AnyCable client (@anycable/web, extended protocol
// actioncable-v1-ext-json) losing its TCP connection in the middle of a burst
// of broadcasts, for tests/server/reliable_client_test.cpp.
//
//   node reliable.mjs --ws 8080[,8081] --broadcast 8090[,8091] --stream NAME
//                     [--count 1000] [--cut-after 200] [--partition 20]
//                     [--interval 2] [--timeout 60]
//
// The client connects through a TCP proxy (in this process) to the first
// --ws port and subscribes to the public stream NAME ($pubsub). The script
// then POSTs --count broadcasts {"n":i} to the --broadcast ports in turn,
// --interval ms apart. Once --cut-after distinct messages have arrived, the
// proxy silently drops everything either way while --partition more
// broadcasts are posted (the server writes them to a socket that seems fine:
// they are lost in flight), then resets both halves of every connection (RST)
// and sends later connections to the next --ws port. The client reconnects by
// itself with ?sid=, is restored and asks for the missed history; broadcasting
// goes on throughout, so messages arrive live, from history, or both.
// Applications de-duplicate by stream position; so does this script.
//
// When every broadcast is posted, the client is connected again and its
// history request is answered, one more message per broadcast port is posted;
// a node relays what it was given in order, so once those arrive nothing sent
// earlier is still on its way. Then one line "summary <JSON>" goes to stdout
// (counts of messages received, distinct positions, duplicates, missing ones,
// messages that arrived behind a later one, what the welcomes and history
// replies said) and the script exits 0; on timeout the summary says so and the
// exit code is 2; 1 on errors. Progress goes to stderr.

import net from "node:net";
import { parseArgs } from "node:util";

import { createCable } from "@anycable/web";
import WebSocket from "ws";

const { values: args } = parseArgs({
  options: {
    ws: { type: "string" },
    broadcast: { type: "string" },
    stream: { type: "string" },
    count: { type: "string", default: "1000" },
    "cut-after": { type: "string", default: "200" },
    partition: { type: "string", default: "20" },
    interval: { type: "string", default: "2" },
    timeout: { type: "string", default: "60" },
  },
});
if (!args.ws || !args.broadcast || !args.stream) {
  console.error("usage: node reliable.mjs --ws PORT[,PORT] --broadcast PORT[,PORT] --stream NAME");
  process.exit(64);
}
const wsPorts = args.ws.split(",").map(Number);
const broadcastPorts = args.broadcast.split(",").map(Number);
const stream = args.stream;
const count = Number(args.count);
const cutAfter = Number(args["cut-after"]);
const partitionFor = Number(args.partition);
const interval = Number(args.interval);

const started = Date.now();
const log = (...parts) => console.error(`[${Date.now() - started} ms]`, ...parts);
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

// Forwards bytes both ways. partition() then cut() is a network failure as
// the client and the server see it: silence, with whatever is sent lost,
// then a reset.
class Proxy {
  constructor(port) {
    this.port = port;
    this.pairs = new Set();
    this.upstreams = []; // the server port of each accepted connection, in order
    this.onAccept = () => {};
    this.droppedFromServer = 0; // bytes
    this.droppedFromClient = 0;
  }

  async listen() {
    this.server = net.createServer(client => this.accept(client));
    await new Promise(resolve => this.server.listen(0, "127.0.0.1", resolve));
    return this.server.address().port;
  }

  accept(client) {
    const upstream = net.connect(this.port, "127.0.0.1");
    const pair = { client, upstream };
    this.pairs.add(pair);
    this.upstreams.push(this.port);
    this.onAccept(this.port);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      if (!this.pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on("error", drop);
      socket.on("close", drop);
    }
  }

  partition() {
    for (const { client, upstream } of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      upstream.on("data", chunk => (this.droppedFromServer += chunk.length));
      client.on("data", chunk => (this.droppedFromClient += chunk.length));
      // Unpiping paused them; a paused socket would push back on the sender
      // instead of losing what it sends.
      upstream.resume();
      client.resume();
    }
  }

  cut(nextPort) {
    const pairs = [...this.pairs];
    this.pairs.clear();
    for (const { client, upstream } of pairs) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    this.port = nextPort;
    return pairs.length;
  }

  close() {
    this.cut(this.port);
    this.server.close();
  }
}

// What the server said and the client asked at the protocol level, taken
// from the client's own debug log rather than parsed off the wire.
const welcomes = [];
const historyRequests = [];
const historyReplies = [];
const disconnects = [];
class RecordingLogger {
  constructor() {
    this.level = "debug";
  }
  debug(msg, details) {
    if (msg === "incoming data" && details && typeof details === "object") {
      if (details.type === "welcome") welcomes.push(details);
      if (details.type === "confirm_history" || details.type === "reject_history") {
        historyReplies.push(details.type);
      }
      if (details.type === "disconnect") disconnects.push(details);
    }
    if (msg === "outgoing message" && details && details.command === "history") {
      historyRequests.push(details.history);
    }
  }
  info(msg, details) {
    log("client:", msg, details === undefined ? "" : JSON.stringify(details));
  }
  warn(msg, details) {
    log("client warn:", msg, details === undefined ? "" : JSON.stringify(details));
  }
  error(msg, details) {
    log("client error:", msg, details === undefined ? "" : JSON.stringify(details));
  }
}

const proxy = new Proxy(wsPorts[0]);
const proxyPort = await proxy.listen();

const cable = createCable(`ws://127.0.0.1:${proxyPort}/cable`, {
  protocol: "actioncable-v1-ext-json",
  websocketImplementation: WebSocket,
  logger: new RecordingLogger(),
  // The default waits 1.5-6 s before the first attempt; a short wait makes
  // the reconnect land while broadcasts are still going, which is the harder
  // case (live messages and history racing).
  reconnectStrategy: attempts => Math.min(100 * 2 ** attempts, 2000),
});

// Per stream position: which n arrived there. Positions are unique per
// stream and epoch; the stream is fixed here.
const byPosition = new Map();
const positionOfN = new Map();
const epochs = new Set();
// One position carrying two different messages, or one message at two.
const conflicts = [];
let total = 0;
let duplicates = 0;
let withoutPosition = 0;
let outOfOrder = 0;
let maxOffset = 0;
let overtaken = 0;
const overtakenSamples = [];
let lastOffset = 0;
const finSeen = new Set();

let phase = "before_cut"; // -> "partitioned" -> "disconnected" -> "reconnected"
let sent = 0;
let sentWhileDisconnected = 0;
let broadcastsDone = false;
let historySettledAfterReconnect = false;
const connects = []; // the client's "connect" events
const channelConnects = [];
const cutDetails = {};

let finish;
const finished = new Promise(resolve => (finish = resolve));
let finishing = false;

const channel = cable.streamFrom(stream);
channel.on("connect", ev => channelConnects.push(ev));
channel.on("info", ev => {
  log("channel info:", JSON.stringify(ev));
  const settled = ev.type === "history_received" || ev.type === "history_not_found";
  if (phase === "reconnected" && settled) {
    historySettledAfterReconnect = true;
    maybeFinish();
  }
});
channel.on("message", (msg, meta) => {
  total++;
  if (msg && msg.fin !== undefined) {
    finSeen.add(msg.fin);
    if (finSeen.size === broadcastPorts.length) finish("done");
    return;
  }
  if (!meta || meta.offset === undefined) {
    // Nothing to de-duplicate by: an application would show it, so count it
    // as delivered, but the summary says it came without a position.
    withoutPosition++;
    if (!positionOfN.has(msg.n)) positionOfN.set(msg.n, null);
    if (phase === "before_cut" && positionOfN.size >= cutAfter) partition();
    return;
  }
  epochs.add(meta.epoch);
  const key = `${meta.epoch}/${meta.offset}`;
  if (meta.offset < lastOffset) outOfOrder++;
  lastOffset = meta.offset;
  // A new message behind one already seen. Between the restore and the end
  // of the history reply that is how live and replayed messages interleave;
  // anywhere else the client (which remembers the last position it saw) has
  // been told it is past a message it never got, and a cut at that moment
  // loses the message for good.
  const restoring = phase === "reconnected" && !historySettledAfterReconnect;
  if (!byPosition.has(key) && meta.offset < maxOffset && !restoring) {
    if (overtakenSamples.length < 20) {
      overtakenSamples.push({ phase, offset: meta.offset, after: maxOffset });
    }
    overtaken++;
  }
  maxOffset = Math.max(maxOffset, meta.offset);
  if (byPosition.has(key)) {
    duplicates++;
    if (byPosition.get(key) !== msg.n) {
      conflicts.push({ position: key, first: byPosition.get(key), then: msg.n });
    }
    return;
  }
  byPosition.set(key, msg.n);
  if (positionOfN.get(msg.n) === null) {
    // First seen without a position: the application has shown it twice.
    duplicates++;
    positionOfN.set(msg.n, key);
  } else if (positionOfN.has(msg.n)) {
    conflicts.push({ n: msg.n, first: positionOfN.get(msg.n), then: key });
  } else {
    positionOfN.set(msg.n, key);
  }
  if (phase === "before_cut" && positionOfN.size >= cutAfter) partition();
});

cable.on("connect", ev => {
  connects.push({ ...ev, upstream: proxy.upstreams[proxy.upstreams.length - 1] });
  log("connect", JSON.stringify(ev));
  if (phase === "disconnected") {
    phase = "reconnected";
    maybeFinish();
  }
});
cable.on("disconnect", err => log("disconnect:", err && err.message));

let partitionedAtSent = 0;
function partition() {
  phase = "partitioned";
  partitionedAtSent = sent;
  Object.assign(cutDetails, { at_received: positionOfN.size, at_sent: sent });
  proxy.partition();
  log(`partitioned after ${positionOfN.size} messages, ${sent} sent`);
}

function cut() {
  phase = "disconnected";
  const next = wsPorts[1 % wsPorts.length];
  const resets = proxy.cut(next);
  Object.assign(cutDetails, {
    reset_at_sent: sent,
    resets,
    next_port: next,
    dropped_bytes_from_server: proxy.droppedFromServer,
    dropped_bytes_from_client: proxy.droppedFromClient,
  });
  log(`cut ${resets} connection(s) at ${sent} sent, ` +
      `${proxy.droppedFromServer} bytes from the server dropped; next: ${next}`);
}

// The proxy seeing the reconnect's TCP connection ends the window in which a
// broadcast can only reach the client through history.
let reconnectAccepted = false;
proxy.onAccept = () => {
  if (phase === "disconnected") reconnectAccepted = true;
};

async function post(port, body) {
  const res = await fetch(`http://127.0.0.1:${port}/_broadcast`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`broadcast to ${port}: HTTP ${res.status}`);
}

async function broadcastAll() {
  for (let i = 0; i < count; i++) {
    const port = broadcastPorts[i % broadcastPorts.length];
    await post(port, { stream, data: JSON.stringify({ n: i }) });
    sent++;
    if (phase === "partitioned" || (phase === "disconnected" && !reconnectAccepted)) {
      sentWhileDisconnected++;
    }
    if (phase === "partitioned" && sent - partitionedAtSent >= partitionFor) cut();
    await sleep(interval);
  }
  if (phase === "partitioned") cut();
  broadcastsDone = true;
  log(`posted ${count} broadcasts`);
  maybeFinish();
}

function maybeFinish() {
  if (finishing || !broadcastsDone || phase !== "reconnected" || !historySettledAfterReconnect) {
    return;
  }
  finishing = true;
  log("sending end markers");
  (async () => {
    for (const port of broadcastPorts) {
      await post(port, { stream, data: JSON.stringify({ fin: port }) });
    }
  })().catch(err => finish("error: " + err.message));
}

function summary(outcome) {
  const missing = [];
  for (let i = 0; i < count; i++) if (!positionOfN.has(i)) missing.push(i);
  return {
    outcome,
    elapsed_ms: Date.now() - started,
    sent,
    received: total - finSeen.size,
    unique: byPosition.size,
    distinct_n: positionOfN.size,
    duplicates,
    missing_count: missing.length,
    missing: missing.slice(0, 100),
    conflict_count: conflicts.length,
    conflicts: conflicts.slice(0, 20),
    without_position: withoutPosition,
    out_of_order: outOfOrder,
    overtaken,
    overtaken_samples: overtakenSamples,
    epochs: [...epochs],
    cut: cutDetails,
    sent_while_disconnected: sentWhileDisconnected,
    upstreams: proxy.upstreams,
    connects,
    channel_connects: channelConnects,
    restored: connects.some(c => c.reconnect && c.restored),
    welcomes,
    history_requests: historyRequests,
    history_replies: historyReplies,
    disconnects,
  };
}

const timer = setTimeout(() => finish("timeout"), Number(args.timeout) * 1000);
let outcome;
try {
  await channel.ensureSubscribed();
  log("subscribed");
  broadcastAll().catch(err => finish("error: " + err.message));
  outcome = await finished;
} catch (err) {
  outcome = "error: " + (err && err.message);
}
clearTimeout(timer);
console.log("summary " + JSON.stringify(summary(outcome)));
cable.disconnect();
proxy.close();
process.exit(outcome === "done" ? 0 : outcome === "timeout" ? 2 : 1);
