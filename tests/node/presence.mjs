// Presence with the real AnyCable client (@anycable/web, extended protocol
// actioncable-v1-ext-json, `ws` as its WebSocket), for
// tests/server/presence_client_test.cpp.
//
//   node presence.mjs --ws 8080[,8081] --stream NAME [--ttl 1] [--timeout 30]
//                     [--redis-port 6379]
//
// Two clients, alice on the first --ws port and bob on the second (the same
// one when only one is given), subscribe to the public stream NAME ($pubsub)
// and join its presence with `channel.presence.join(id, info)`. Bob talks to
// the server through a TCP proxy in this process, so his connection can be
// cut the way a network failure cuts it. With --redis-port (nodes sharing a
// Redis pub/sub) the script first waits until every node has subscribed to
// the stream's Redis channel, which nothing announces: it asks Redis
// (PUBSUB NUMSUB) until it says so. Then the steps, each waiting for the
// event it expects (never for a fixed time):
//
//   1. both join; each must receive the other's join, with its info;
//   2. `presence.info()` on each lists both members;
//   3. bob leaves (`presence.leave()`); alice must receive the leave, and a
//      fresh query from alice lists only her;
//   4. bob joins again (alice receives the join), then his TCP connection is
//      reset both ways with no leave, no unsubscribe and no close frame, and
//      his client is stopped so it cannot come back; alice must receive bob's
//      leave once the server's presence TTL (--ttl seconds) has passed: the
//      time from the reset to that leave is reported;
//   5. a last query from alice lists only her.
//
// One line "summary <JSON>" goes to stdout: the step reached, every presence
// message each client received (in order, with the milliseconds since the
// start; query replies are among them, as type "info"), the query results
// and the timing of the TTL leave. Exit 0 when
// every step completed, 2 on timeout, 1 on errors. Progress goes to stderr.

import net from "node:net";
import { parseArgs } from "node:util";

import { createCable } from "@anycable/web";
import WebSocket from "ws";

const { values: args } = parseArgs({
  options: {
    ws: { type: "string" },
    stream: { type: "string" },
    ttl: { type: "string", default: "1" },
    timeout: { type: "string", default: "30" },
    "redis-port": { type: "string" },
  },
});
if (!args.ws || !args.stream) {
  console.error("usage: node presence.mjs --ws PORT[,PORT] --stream NAME [--ttl S] [--timeout S]");
  process.exit(64);
}
const wsPorts = args.ws.split(",").map(Number);
const stream = args.stream;
const ttlMs = Number(args.ttl) * 1000;

const started = Date.now();
const elapsed = () => Date.now() - started;
const log = (...parts) => console.error(`[${elapsed()} ms]`, ...parts);

// Forwards bytes both ways; cut() resets both halves of every connection
// and stops accepting new ones.
class Proxy {
  constructor(port) {
    this.port = port;
    this.pairs = new Set();
  }

  async listen() {
    this.server = net.createServer(client => {
      const upstream = net.connect(this.port, "127.0.0.1");
      const pair = { client, upstream };
      this.pairs.add(pair);
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
    });
    await new Promise(resolve => this.server.listen(0, "127.0.0.1", resolve));
    return this.server.address().port;
  }

  cut() {
    this.server.close();
    const pairs = [...this.pairs];
    this.pairs.clear();
    for (const { client, upstream } of pairs) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    return pairs.length;
  }
}

// PUBSUB NUMSUB-shaped Redis command (RESP) on a fresh connection: the
// reply is *2 $len <channel> :<count>; resolves with the ":<count>" line.
function redisCommand(port, ...words) {
  const request =
    `*${words.length}\r\n` + words.map(w => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join("");
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(request));
    let reply = "";
    socket.on("data", chunk => {
      reply += chunk;
      const lines = reply.split("\r\n");
      if (lines.length >= 5) {
        socket.end();
        resolve(lines[3]);
      }
    });
    socket.on("error", reject);
  });
}

// Until `nodes` nodes are subscribed to the stream's Redis channel.
async function redisSubscribers(port, nodes) {
  for (;;) {
    const count = Number((await redisCommand(port, "PUBSUB", "NUMSUB", stream)).slice(1));
    if (count >= nodes) return count;
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

const quietLogger = {
  level: "warn",
  debug() {},
  info() {},
  warn: (msg, details) => log("client warn:", msg, JSON.stringify(details ?? "")),
  error: (msg, details) => log("client error:", msg, JSON.stringify(details ?? "")),
};

// A client, the presence events it received and the waiters on them.
class Member {
  constructor(name, port) {
    this.name = name;
    this.events = [];
    this.waiters = [];
    this.cable = createCable(`ws://127.0.0.1:${port}/cable`, {
      protocol: "actioncable-v1-ext-json",
      websocketImplementation: WebSocket,
      logger: quietLogger,
    });
    this.channel = this.cable.streamFrom(stream);
    this.channel.on("presence", ev => {
      this.events.push({ ...ev, at_ms: elapsed() });
      log(`${name} got`, JSON.stringify(ev));
      this.waiters = this.waiters.filter(w => !w(ev));
    });
  }

  // Resolves with the first event (already received or to come) that
  // `match` accepts, after the `from`-th event.
  next(match, from = 0) {
    const seen = this.events.slice(from).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise(resolve =>
      this.waiters.push(ev => {
        if (!match(ev)) return false;
        resolve(ev);
        return true;
      }),
    );
  }

  // What info() says now. The client keeps one state object up to date with
  // the events and hands that out, so this copies it.
  async info() {
    return structuredClone(await this.channel.presence.info());
  }

  // A fresh `presence` query (info() otherwise answers from that state).
  async query() {
    this.channel.presence.reset();
    return this.info();
  }
}

const is = (type, id) => ev => ev.type === type && ev.id === id;
const summary = { outcome: "running", step: "connect", ttl_ms: ttlMs, infos: {} };

async function run() {
  const proxy = new Proxy(wsPorts[1 % wsPorts.length]);
  const proxyPort = await proxy.listen();
  const alice = new Member("alice", wsPorts[0]);
  const bob = new Member("bob", proxyPort);
  summary.members = { alice, bob };

  await Promise.all([alice.channel.ensureSubscribed(), bob.channel.ensureSubscribed()]);
  log("both subscribed");
  if (args["redis-port"]) {
    summary.step = "redis";
    summary.redis_subscribers = await redisSubscribers(Number(args["redis-port"]), wsPorts.length);
  }

  summary.step = "join";
  await alice.channel.presence.join("alice", { name: "Alice" });
  await bob.channel.presence.join("bob", { name: "Bob" });
  const [bobSawAlice, aliceSawBob] = await Promise.all([
    bob.next(is("join", "alice")),
    alice.next(is("join", "bob")),
  ]);
  summary.joins_seen = { bob_saw_alice: bobSawAlice, alice_saw_bob: aliceSawBob };

  summary.step = "info";
  summary.infos.alice_both = await alice.info();
  summary.infos.bob_both = await bob.info();

  summary.step = "leave";
  const beforeLeave = alice.events.length;
  await bob.channel.presence.leave();
  summary.leave_seen = await alice.next(is("leave", "bob"), beforeLeave);
  summary.infos.alice_after_leave = await alice.query();

  summary.step = "rejoin";
  const beforeRejoin = alice.events.length;
  await bob.channel.presence.join("bob", { name: "Bob again" });
  summary.rejoin_seen = await alice.next(is("join", "bob"), beforeRejoin);

  summary.step = "cut";
  const beforeCut = alice.events.length;
  const cutAt = Date.now();
  summary.cut_connections = proxy.cut();
  // Stopped at once, so the client neither comes back with its session (and
  // joins again) nor says goodbye: the server only sees the reset.
  bob.cable.disconnect();
  log(`cut ${summary.cut_connections} connection(s) of bob`);
  summary.ttl_leave = await alice.next(is("leave", "bob"), beforeCut);
  summary.ttl_leave_after_ms = Date.now() - cutAt;
  summary.infos.alice_alone = await alice.query();

  summary.step = "done";
  alice.cable.disconnect();
  return "done";
}

const timeout = new Promise(resolve =>
  setTimeout(() => resolve("timeout"), Number(args.timeout) * 1000),
);
let outcome;
try {
  outcome = await Promise.race([run(), timeout]);
} catch (err) {
  outcome = "error: " + (err && err.message);
}
summary.outcome = outcome;
const members = summary.members || {};
delete summary.members;
summary.events = {
  alice: members.alice ? members.alice.events : [],
  bob: members.bob ? members.bob.events : [],
};
console.log("summary " + JSON.stringify(summary));
process.exit(outcome === "done" ? 0 : outcome === "timeout" ? 2 : 1);
