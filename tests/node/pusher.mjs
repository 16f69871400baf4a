// The Pusher protocol with the real Pusher libraries, for
// tests/server/pusher_client_test.cpp: pusher-js (the browser/Node client)
// connects to `cable serve`, and the `pusher` server SDK signs its channel
// authorizations (through pusher-js's channelAuthorization.customHandler)
// and its REST calls.
//
//   node pusher.mjs --port 8080 --broadcast-port 8090 --app-id ID --key KEY
//                   --secret SECRET [--timeout 30]
//
// Steps, each waiting for the event it expects (never for a fixed time):
//   1. alice connects and subscribes to a public channel, a private one and
//      a presence one (as user "alice");
//   2. a broadcast through cable's HTTP broadcast endpoint (POST
//      /_broadcast on --broadcast-port) reaches her on the public channel;
//   3. an event triggered with the server SDK (signed POST /apps/ID/events)
//      reaches her on the private channel;
//   4. bob connects, joins the presence channel (alice sees member_added,
//      bob sees both members) and the private channel, and sends a client
//      event that alice receives;
//   5. the server SDK lists the presence channel's users (signed GET);
//   6. bob leaves the presence channel and alice sees member_removed;
//   7. a private channel authorized with the wrong secret is refused:
//      pusher-js reports a pusher:error with code 4009.
//
// One line "summary <JSON>" goes to stdout with what each step received.
// Exit 0 when every step completed, 2 on timeout, 1 on errors. Progress goes
// to stderr.

import {parseArgs} from "node:util";
import PusherServer from "pusher";
import Pusher from "pusher-js";

const {values: args} = parseArgs({
  options: {
    port: {type: "string"},
    "broadcast-port": {type: "string"},
    "app-id": {type: "string"},
    key: {type: "string"},
    secret: {type: "string"},
    timeout: {type: "string", default: "30"},
  },
});
for (const name of ["port", "broadcast-port", "app-id", "key", "secret"]) {
  if (!args[name]) {
    console.error(
        `usage: node pusher.mjs --port P --broadcast-port P --app-id ID --key K --secret S`);
    process.exit(64);
  }
}

const started = Date.now();
const log = (...parts) => console.error(`[${Date.now() - started} ms]`, ...parts);
const summary = {
  step: "start",
  received: {}
};
const clients = [];

function finish(outcome, code) {
  summary.outcome = outcome;
  for (const c of clients) c.disconnect();
  console.log("summary " + JSON.stringify(summary));
  process.exit(code);
}
setTimeout(() => finish("timeout", 2), Number(args.timeout) * 1000).unref();

const server = new PusherServer({
  appId: args["app-id"],
  key: args.key,
  secret: args.secret,
  host: "127.0.0.1",
  port: args.port,
  useTLS: false,
});
const forger = new PusherServer({
  appId: args["app-id"],
  key: args.key,
  secret: "not-the-secret",
  host: "127.0.0.1",
  port: args.port,
  useTLS: false,
});

// A pusher-js client whose private/presence channels are authorized by
// `signer` (the server SDK) as `user`.
function connect(name, user, signer = server) {
  const client = new Pusher(args.key, {
    cluster: "local",
    wsHost: "127.0.0.1",
    wsPort: Number(args.port),
    forceTLS: false,
    disableStats: true,
    enabledTransports: ["ws"],
    channelAuthorization: {
      customHandler: ({socketId, channelName}, callback) => {
        const presence = channelName.startsWith("presence-") ? user : undefined;
        callback(null, signer.authorizeChannel(socketId, channelName, presence));
      },
    },
  });
  clients.push(client);
  client.connection.bind("state_change", ({current}) => log(name, "connection", current));
  return client;
}

const connected = client => new Promise((resolve, reject) => {
  client.connection.bind("connected", () => resolve(client.connection.socket_id));
  client.connection.bind("failed", () => reject(new Error("connection failed")));
});

const subscribed = (client, name) => new Promise((resolve, reject) => {
  const channel = client.subscribe(name);
  channel.bind("pusher:subscription_succeeded", data => resolve({channel, data}));
  channel.bind(
      "pusher:subscription_error",
      error => reject(new Error(`${name}: ${JSON.stringify(error)}`)),
  );
});

const next = (channel, event) => new Promise(resolve => channel.bind(event, data => resolve(data)));

try {
  summary.step = "alice subscribes";
  const alice = connect("alice", {user_id: "alice", user_info: {name: "Alice"}});
  summary.alice_socket_id = await connected(alice);
  const news = await subscribed(alice, "news");
  const room = await subscribed(alice, "private-room");
  const team = await subscribed(alice, "presence-team");
  summary.alice_members = {count: team.data.count, me: team.data.me?.id};

  summary.step = "HTTP broadcast";
  const headline = next(news.channel, "headline");
  const posted = await fetch(`http://127.0.0.1:${args["broadcast-port"]}/_broadcast`, {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({
      stream: "news",
      data: JSON.stringify({event: "headline", data: {title: "Hello from cable"}}),
    }),
  });
  summary.broadcast_status = posted.status;
  summary.received.headline = await headline;

  summary.step = "REST trigger";
  const update = next(room.channel, "update");
  const triggered = await server.trigger("private-room", "update", {n: 1});
  summary.trigger_status = triggered.status;
  summary.received.update = await update;

  summary.step = "bob joins";
  const bob = connect("bob", {user_id: "bob", user_info: {name: "Bob"}});
  await connected(bob);
  const added = next(team.channel, "pusher:member_added");
  const bobTeam = await subscribed(bob, "presence-team");
  summary.bob_members = {
    count: bobTeam.data.count,
    ids: Object.keys(bobTeam.data.members).sort(),
  };
  summary.received.member_added = await added;
  const bobRoom = await subscribed(bob, "private-room");

  summary.step = "client event";
  const typing = next(room.channel, "client-typing");
  bobRoom.channel.trigger("client-typing", {who: "bob"});
  summary.received.client_event = await typing;

  summary.step = "users";
  const users = await server.get({path: "/channels/presence-team/users"});
  summary.users_status = users.status;
  summary.users = await users.json();

  summary.step = "bob leaves";
  const removed = next(team.channel, "pusher:member_removed");
  bob.unsubscribe("presence-team");
  summary.received.member_removed = await removed;

  summary.step = "forged authorization";
  const mallory = connect("mallory", undefined, forger);
  await connected(mallory);
  const refused = new Promise(
      resolve => mallory.connection.bind("error", error => resolve(error)),
  );
  mallory.subscribe("private-room");
  const error = await refused;
  summary.received.forged = error?.data ?? error?.error?.data ?? error;

  summary.step = "done";
  finish("done", 0);
} catch (error) {
  log("error:", error);
  summary.error = String(error?.stack ?? error);
  finish("error", 1);
}
