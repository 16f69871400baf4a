// permessage-deflate with the real `ws` client (which offers it by default
// and compresses what it sends above 1 KiB), for
// tests/server/compression_test.cpp.
//
//   node compression.mjs --ws PORT --broadcast-port PORT --stream NAME [--timeout 20]
//
// Two clients subscribe to the public stream NAME ($pubsub, whisper on).
// Alice whispers a 16 KiB message (sent compressed by ws); bob must receive
// it whole. Then a 16 KiB broadcast is POSTed to /_broadcast and both must
// receive it. Each step waits for the message it expects, never for a
// fixed time.
//
// One line "summary <JSON>" goes to stdout: the extensions each client
// negotiated and what arrived. Exit 0 when every step completed, 2 on
// timeout, 1 on errors.

import http from "node:http";
import { parseArgs } from "node:util";

import WebSocket from "ws";

const { values: args } = parseArgs({
  options: {
    ws: { type: "string" },
    "broadcast-port": { type: "string" },
    stream: { type: "string" },
    timeout: { type: "string", default: "20" },
  },
});

const summary = { step: "connect", extensions: {}, received: {} };
const finish = (code) => {
  console.log("summary " + JSON.stringify(summary));
  process.exit(code);
};
setTimeout(() => finish(2), Number(args.timeout) * 1000);

const identifier = JSON.stringify({ channel: "$pubsub", stream_name: args.stream });
const big = (tag) => tag + ":" + "lorem ipsum dolor sit amet ".repeat(600);

function connect(name) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${args.ws}/cable`, ["actioncable-v1-json"]);
    const waiters = [];
    ws.on("message", (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.type === "ping") return;
      for (const w of waiters.splice(0)) w(msg);
    });
    ws.next = (predicate) =>
      new Promise((ok) => {
        const check = (msg) => (predicate(msg) ? ok(msg) : waiters.push(check));
        waiters.push(check);
      });
    ws.on("error", reject);
    ws.on("open", async () => {
      summary.extensions[name] = ws.extensions;
      await ws.next((m) => m.type === "welcome");
      ws.send(JSON.stringify({ command: "subscribe", identifier }));
      await ws.next((m) => m.type === "confirm_subscription");
      resolve(ws);
    });
  });
}

function broadcast(data) {
  const body = JSON.stringify({ stream: args.stream, data: JSON.stringify(data) });
  return new Promise((ok, fail) => {
    const req = http.request(
      { port: Number(args["broadcast-port"]), path: "/_broadcast", method: "POST" },
      (res) => (res.resume(), ok(res.statusCode)),
    );
    req.on("error", fail);
    req.end(body);
  });
}

try {
  const alice = await connect("alice");
  const bob = await connect("bob");

  summary.step = "whisper";
  const whisper = { text: big("whisper") };
  const heard = bob.next((m) => m.message && m.message.text && m.message.text.startsWith("whisper"));
  alice.send(JSON.stringify({ command: "whisper", identifier, data: whisper }));
  summary.received.whisper = (await heard).message.text === whisper.text;

  summary.step = "broadcast";
  const payload = { text: big("broadcast") };
  const got = [alice, bob].map((c) =>
    c.next((m) => m.message && m.message.text && m.message.text.startsWith("broadcast")),
  );
  summary.broadcast_status = await broadcast(payload);
  const [a, b] = await Promise.all(got);
  summary.received.broadcast = a.message.text === payload.text && b.message.text === payload.text;
  summary.step = "done";
  finish(0);
} catch (e) {
  console.error(e);
  finish(1);
}
