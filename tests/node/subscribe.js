// A real Action Cable client (@rails/actioncable) for the server tests.
//
//   node subscribe.js <ws url> <subscription params JSON> [<perform JSON>] [<messages>]
//
// Subscribes with the given params (e.g. {"channel":"ChatChannel","room":1}),
// prints "subscribed" once the server confirms, performs the optional
// action ({"action":"echo","text":"hi"}), prints "received <JSON>" for each
// message and exits 0 after <messages> of them (default 1). Exits 1 when the
// subscription is rejected, 2 when nothing happens within 15 s.

const WebSocketImpl = typeof WebSocket !== "undefined" ? WebSocket : require("ws");

// The browser globals @rails/actioncable touches.
globalThis.addEventListener ??= () => {};
globalThis.removeEventListener ??= () => {};
globalThis.document ??= { visibilityState: "visible" };

const ActionCable = require("@rails/actioncable");
ActionCable.adapters.WebSocket = WebSocketImpl;

const [url, paramsJson, performJson, countArg] = process.argv.slice(2);
if (!url || !paramsJson) {
  console.error("usage: node subscribe.js <ws url> <params JSON> [<perform JSON>] [<messages>]");
  process.exit(64);
}
const params = JSON.parse(paramsJson);
const perform = performJson ? JSON.parse(performJson) : null;
const expected = countArg ? Number(countArg) : 1;

const consumer = ActionCable.createConsumer(url);
let received = 0;

const timer = setTimeout(() => {
  console.error("timed out");
  process.exit(2);
}, 15000);

const subscription = consumer.subscriptions.create(params, {
  connected() {
    console.log("subscribed");
    if (perform) {
      const { action, ...data } = perform;
      subscription.perform(action, data);
    }
  },
  rejected() {
    console.log("rejected");
    process.exit(1);
  },
  received(message) {
    console.log("received " + JSON.stringify(message));
    if (++received >= expected) {
      clearTimeout(timer);
      consumer.disconnect();
      process.exit(0);
    }
  },
});
