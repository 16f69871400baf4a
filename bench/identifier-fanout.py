#!/usr/bin/env python3
"""Stall caused by one broadcast to a stream subscribed under many identifiers.

A client may subscribe one stream under as many distinct channel identifiers
as it likes (extra keys in a `$pubsub` identifier are accepted), and every
identifier needs its own message. This measures what one broadcast to such a
stream costs everyone else: C clients each subscribe the stream "hot" under
I distinct identifiers, a probe client subscribes "probe"; then a broadcast
to "hot" is followed at once by one to "probe", and the probe's latency is
the stall other streams see. Repeated R times; prints min/median/max.

Usage: bench/identifier-fanout.py [--cable PATH] [--clients C] [--identifiers I] [--rounds R]
The server runs with --public (so $pubsub needs no signature) and one worker,
so every subscription shares the probe's event loop.
"""
import argparse, base64, json, os, socket, statistics, subprocess, sys, time, urllib.request

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def frame(text):
    data = text.encode(); mask = os.urandom(4); n = len(data)
    head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big"))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))

class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port)); self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall((f"GET /cable HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                        f"Sec-WebSocket-Protocol: actioncable-v1-json\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buf: self.buf += self.s.recv(65536)
        self.buf = self.buf.split(b"\r\n\r\n", 1)[1]
    def send(self, obj): self.s.sendall(frame(json.dumps(obj)))
    def messages(self):
        while True:
            while len(self.buf) >= 2:
                n = self.buf[1] & 0x7F; h = 2
                if n == 126: n = int.from_bytes(self.buf[2:4], "big"); h = 4
                elif n == 127: n = int.from_bytes(self.buf[2:10], "big"); h = 10
                if len(self.buf) < h + n: break
                opcode = self.buf[0] & 0x0F
                payload, self.buf = self.buf[h:h + n], self.buf[h + n:]
                if opcode == 0x8:
                    raise SystemExit(f"the server closed a client: {payload[:2].hex()} {payload[2:]}")
                yield json.loads(payload)
            self.buf += self.s.recv(1 << 20)
    def wait_for(self, pred):
        for m in self.messages():
            if pred(m): return m

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cable", default=os.environ.get("CABLE", "build/bin/cable"))
    ap.add_argument("--clients", type=int, default=40)
    ap.add_argument("--identifiers", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    port, bport = free_port(), free_port()
    args = [a.cable, "serve", "--public", "--workers", "1", "--port", str(port),
            "--http_broadcast_port", str(bport), "--broadcast_adapter", "http", "--log_level", "error",
            "--ws_max_pending_size", "0"]
    # Builds that bound subscriptions per connection get the bound lifted,
    # so that every build is measured with the same subscriptions.
    help_text = subprocess.run([a.cable, "serve", "--help"], capture_output=True, text=True).stdout
    if "--max_subscriptions_per_connection" in help_text:
        args += ["--max_subscriptions_per_connection", "0"]
    server = subprocess.Popen(args, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try: socket.create_connection(("127.0.0.1", port)).close(); break
            except OSError: time.sleep(0.05)
        def publish(stream, data):
            req = urllib.request.Request(f"http://127.0.0.1:{bport}/_broadcast",
                                         json.dumps({"stream": stream, "data": json.dumps(data)}).encode())
            urllib.request.urlopen(req).read()
        hot = [Client(port) for _ in range(a.clients)]
        for c in hot:
            c.wait_for(lambda m: m.get("type") == "welcome")
            for i in range(a.identifiers):
                c.send({"command": "subscribe", "identifier": json.dumps(
                    {"channel": "$pubsub", "stream_name": "hot", "n": i})})
        for c in hot:
            left = a.identifiers
            while left: c.wait_for(lambda m: m.get("type") == "confirm_subscription"); left -= 1
        probe = Client(port)
        probe.wait_for(lambda m: m.get("type") == "welcome")
        probe_id = json.dumps({"channel": "$pubsub", "stream_name": "probe"})
        probe.send({"command": "subscribe", "identifier": probe_id})
        probe.wait_for(lambda m: m.get("type") == "confirm_subscription")
        stalls = []
        for r in range(a.rounds):
            publish("hot", {"round": r})
            t0 = time.perf_counter()
            publish("probe", {"round": r})
            probe.wait_for(lambda m: m.get("identifier") == probe_id and "message" in m)
            stalls.append((time.perf_counter() - t0) * 1000)
            for c in hot:  # drain so the next round starts from empty queues
                left = a.identifiers
                while left: c.wait_for(lambda m: "message" in m); left -= 1
        print(f"{a.clients} clients x {a.identifiers} identifiers on one stream "
              f"({a.clients * a.identifiers} deliveries per broadcast): probe latency ms "
              f"min {min(stalls):.1f} median {statistics.median(stalls):.1f} max {max(stalls):.1f}")
    finally:
        server.terminate(); server.wait(timeout=10)

if __name__ == "__main__":
    sys.exit(main())
