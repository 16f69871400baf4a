// Server-Sent Events with a real EventSource (the `eventsource` package,
// the WHATWG EventSource on fetch), for tests/server/sse_test.cpp.
//
//   node sse.mjs --port 8080 --broadcast 8090 --stream NAME --token JWT
//                --identifiers '{"user_id":42}' [--timeout 30]
//
// One EventSource on http://127.0.0.1:PORT/events?stream=NAME&jid=JWT (a
// public stream, the connection identified by its JWT). Each step waits for
// the event it expects, never for a fixed time:
//
//   1. the welcome and confirm_subscription events arrive;
//   2. {"n":1} is broadcast over HTTP (POST /_broadcast on --broadcast); it
//      must arrive as a `message` whose data is {"n":1} and whose
//      lastEventId is the stream position, "1/<epoch>/NAME";
//   3. a remote disconnect with reconnect:true is broadcast for the
//      connection's identifiers: the server sends a `disconnect` event and
//      ends the response; the moment that event arrives, {"n":2} is
//      broadcast, which the closed connection can no longer get;
//   4. EventSource reconnects on its own (3 s later), sending the last id
//      as Last-Event-ID; {"n":2} must come back from the server's history
//      with its position, then a confirm_history event.
//
// One line "summary <JSON>" goes to stdout: the step reached, the messages
// (data and lastEventId) and typed events received in order, the
// Last-Event-ID header of every request EventSource made, and how many
// times it opened. Exit 0 when every step completed, 2 on timeout, 1 on
// errors. Progress goes to stderr.

import { parseArgs } from "node:util";

import { EventSource } from "eventsource";

const { values: args } = parseArgs({
  options: {
    port: { type: "string" },
    broadcast: { type: "string" },
    stream: { type: "string" },
    token: { type: "string" },
    identifiers: { type: "string" },
    timeout: { type: "string", default: "30" },
  },
});
if (!args.port || !args.broadcast || !args.stream || !args.token || !args.identifiers) {
  console.error(
    "usage: node sse.mjs --port P --broadcast P --stream NAME --token JWT --identifiers JSON");
  process.exit(64);
}

const started = Date.now();
const log = (...parts) => console.error(`[${Date.now() - started} ms]`, ...parts);

const summary = {
  outcome: "running",
  step: 0,
  opens: 0,
  messages: [],
  events: [],
  last_event_id_headers: [],
};

function finish(outcome, code) {
  summary.outcome = outcome;
  console.log("summary " + JSON.stringify(summary));
  process.exit(code);
}
setTimeout(() => finish("timeout", 2), Number(args.timeout) * 1000).unref();

async function broadcast(body) {
  const res = await fetch(`http://127.0.0.1:${args.broadcast}/_broadcast`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`broadcast answered ${res.status}`);
}
const publish = n => broadcast({ stream: args.stream, data: JSON.stringify({ n }) });

// Records what EventSource sends on every (re)connection.
const recordingFetch = (url, init) => {
  const headers = new Headers(init.headers);
  summary.last_event_id_headers.push(headers.get("last-event-id"));
  return fetch(url, init);
};

const url = `http://127.0.0.1:${args.port}/events?stream=${encodeURIComponent(args.stream)}` +
  `&jid=${encodeURIComponent(args.token)}`;
const source = new EventSource(url, { fetch: recordingFetch });

const fail = error => {
  log("error:", error);
  summary.error = String(error);
  finish("error", 1);
};

source.onopen = () => {
  summary.opens += 1;
  log("open", summary.opens);
};
source.onerror = event => log("error event (EventSource reconnects):", event.message ?? "");

for (const type of ["welcome", "confirm_subscription", "confirm_history", "reject_history",
  "disconnect"]) {
  source.addEventListener(type, event => {
    const data = JSON.parse(event.data);
    summary.events.push({ type, data, at_message: summary.messages.length });
    log("event", type, event.data);
    if (type === "confirm_subscription" && summary.step === 0) {
      summary.step = 1;
      publish(1).catch(fail);
    }
    if (type === "disconnect" && summary.step === 2) {
      summary.step = 3;
      publish(2).catch(fail);
    }
    if (type === "confirm_history" && summary.step === 4) {
      summary.step = 5;
      source.close();
      finish("done", 0);
    }
  });
}

source.onmessage = event => {
  const data = JSON.parse(event.data);
  summary.messages.push({ data, id: event.lastEventId });
  log("message", event.data, "id", event.lastEventId);
  if (data.n === 1 && summary.step === 1) {
    summary.step = 2;
    broadcast({
      command: "disconnect",
      payload: { identifier: args.identifiers, reconnect: true },
    }).catch(fail);
  }
  if (data.n === 2 && summary.step === 3) summary.step = 4;
};
