// permessage-deflate (RFC 7692, --enable_ws_compression): negotiation,
// compressed frames on the wire in both directions, and hostile input (a
// decompression bomb, RSV1 where it does not belong), against the real
// binary over raw sockets; then interoperability with the real `ws` client
// under Node, which offers compression by default.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <zlib.h>

#include <chrono>

#include "common/ws/frame.h"
#include "server/node_script_test.h"
#include "server/raw_http.h"

namespace cable::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kOffer = "permessage-deflate; client_max_window_bits";

std::string UpgradeWithExtensions(const std::string& extensions) {
  std::string request = UpgradeRequest("/cable");
  request.insert(request.size() - 2, "Sec-WebSocket-Extensions: " + extensions + "\r\n");
  return request;
}

// Raw DEFLATE of `text` with zlib itself, sync-flushed and without the
// 00 00 ff ff tail: what a client sends (RFC 7692 §7.2.1).
std::string Compress(const std::string& text) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, text.size()) + 16, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_SYNC_FLUSH);
  out.resize(out.size() - z.avail_out - 4);
  deflateEnd(&z);
  return out;
}

std::string Decompress(const std::string& data) {
  z_stream z{};
  inflateInit2(&z, -15);
  const std::string in = data + std::string("\x00\x00\xff\xff", 4);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  inflate(&z, Z_SYNC_FLUSH);
  out.resize(out.size() - z.avail_out);
  inflateEnd(&z);
  return out;
}

// A masked client frame with RSV1 set: a compressed message.
std::string CompressedFrame(uint8_t opcode, const std::string& payload) {
  std::string frame = MaskedFrame(opcode, payload);
  frame[0] = static_cast<char>(frame[0] | 0x40);
  return frame;
}

struct ServerFrame {
  bool rsv1 = false;
  ws::Opcode opcode = ws::Opcode::kText;
  std::string payload;
};

// Reads server frames off a raw connection (after its 101 response).
class FrameStream {
 public:
  explicit FrameStream(RawConnection& conn) : conn_(conn), buffer_(conn.buffered()) {}

  // The next non-ping frame; nullopt on timeout or close.
  std::optional<ServerFrame> Next(std::chrono::milliseconds timeout = kReceiveTimeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      ws::FrameHeader h;
      uint16_t error = 0;
      if (ws::ParseHeader(buffer_, UINT64_MAX, ws::Sender::kServer, &h, &error, 0x7) ==
              ws::ParseStatus::kOk &&
          buffer_.size() >= h.header_len + h.payload_len) {
        ServerFrame f{(h.rsv & 0x4) != 0, h.opcode, buffer_.substr(h.header_len, h.payload_len)};
        buffer_.erase(0, h.header_len + h.payload_len);
        const std::string text = f.rsv1 ? Decompress(f.payload) : f.payload;
        if (f.opcode == ws::Opcode::kText && text.find("\"type\":\"ping\"") != std::string::npos) {
          continue;
        }
        return f;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left <= 0ms) return std::nullopt;
      pollfd p{conn_.fd(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
      char buf[65536];
      const ssize_t n = ::recv(conn_.fd(), buf, sizeof buf, 0);
      if (n <= 0) return std::nullopt;
      buffer_.append(buf, static_cast<size_t>(n));
    }
  }

  // The next text message, decompressed when it came compressed.
  std::optional<Json> NextMessage() {
    auto f = Next();
    if (!f || f->opcode != ws::Opcode::kText) return std::nullopt;
    return Json::parse(f->rsv1 ? Decompress(f->payload) : f->payload, nullptr, false);
  }

 private:
  RawConnection& conn_;
  std::string buffer_;
};

class CompressionTest : public SharedServerTest<CompressionTest> {
 public:
  static ServeOptions Options() {
    ServeOptions options;
    options.backend = AnytWithTestChannels();
    options.args = {"--enable_ws_compression"};
    return options;
  }

 protected:
  // Upgrades with `offer`; the response's Sec-WebSocket-Extensions.
  std::string Upgrade(RawConnection& conn, const std::string& offer = kOffer) {
    EXPECT_TRUE(conn.Send(UpgradeWithExtensions(offer)));
    const RawResponse response = conn.ReadResponse();
    EXPECT_EQ(response.status, 101) << response.head;
    return response.Header("Sec-WebSocket-Extensions");
  }
};

TEST_F(CompressionTest, AnOfferIsAnsweredWithoutContextTakeover) {
  RawConnection conn(server().port());
  EXPECT_EQ(Upgrade(conn),
            "permessage-deflate; server_no_context_takeover; "
            "client_no_context_takeover");
}

TEST_F(CompressionTest, OffersTheServerCannotHonourAreDeclined) {
  for (const std::string offer :
       {"permessage-deflate; server_max_window_bits=10", "permessage-deflate; bogus",
        "permessage-deflate; client_max_window_bits=99",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "x-webkit-deflate-frame"}) {
    RawConnection conn(server().port());
    EXPECT_EQ(Upgrade(conn, offer), "") << offer;
  }
  RawConnection conn(server().port());
  EXPECT_NE(Upgrade(conn, "permessage-deflate; server_max_window_bits=10, permessage-deflate"), "")
      << "the next acceptable offer is taken";
}

TEST_F(CompressionTest, LargeMessagesGoOutCompressedAndSmallOnesAsTheyAre) {
  RawConnection conn(server().port());
  ASSERT_NE(Upgrade(conn), "");
  FrameStream frames(conn);
  auto welcome = frames.Next();
  ASSERT_TRUE(welcome);
  EXPECT_FALSE(welcome->rsv1) << "a short message is not worth compressing";

  const std::string id = StreamIdentifier("deflate-out");
  ASSERT_TRUE(conn.Send(MaskedFrame(0x1, SubscribeCommand(id))));
  auto confirm = frames.NextMessage();
  ASSERT_TRUE(confirm);
  EXPECT_EQ(*confirm, ConfirmMessage(id));

  const Json text = {{"text", std::string(8000, 'a') + std::string(8000, 'b')}};
  ASSERT_EQ(server().Broadcast(Publication("deflate-out", text).dump()), 201);
  auto frame = frames.Next();
  ASSERT_TRUE(frame);
  EXPECT_TRUE(frame->rsv1);
  EXPECT_LT(frame->payload.size(), 1000u) << "16 KB of two letters compresses well";
  EXPECT_EQ(Json::parse(Decompress(frame->payload)), DataMessage(id, text));
}

TEST_F(CompressionTest, CompressedClientMessagesAreUnderstood) {
  RawConnection conn(server().port());
  ASSERT_NE(Upgrade(conn), "");
  FrameStream frames(conn);
  ASSERT_TRUE(frames.Next());  // welcome
  const std::string id = StreamIdentifier("deflate-in");
  ASSERT_TRUE(conn.Send(CompressedFrame(0x1, Compress(SubscribeCommand(id)))));
  auto confirm = frames.NextMessage();
  ASSERT_TRUE(confirm);
  EXPECT_EQ(*confirm, ConfirmMessage(id));

  // Fragmented: RSV1 on the first frame only.
  const std::string compressed = Compress(kPingCommand);
  std::string first = MaskedFrame(0x1, compressed.substr(0, 3), /*fin=*/false);
  first[0] = static_cast<char>(first[0] | 0x40);
  ASSERT_TRUE(conn.Send(first + MaskedFrame(0x0, compressed.substr(3))));
  auto pong = frames.NextMessage();
  ASSERT_TRUE(pong);
  EXPECT_EQ((*pong)["type"], "pong");
}

TEST_F(CompressionTest, ADecompressionBombIsClosedWithMessageTooBig) {
  RawConnection conn(server().port());
  ASSERT_NE(Upgrade(conn), "");
  FrameStream frames(conn);
  ASSERT_TRUE(frames.Next());  // welcome
  // 50 MB of spaces inflate from ~50 KB: far above the 64 KiB limit.
  const std::string bomb = Compress("{\"command\":\"ping\"" + std::string(50 << 20, ' ') + "}");
  ASSERT_LT(bomb.size(), 65536u);
  ASSERT_TRUE(conn.Send(CompressedFrame(0x1, bomb)));
  auto close = frames.Next();
  ASSERT_TRUE(close);
  ASSERT_EQ(close->opcode, ws::Opcode::kClose);
  EXPECT_EQ(static_cast<uint8_t>(close->payload[0]) << 8 | static_cast<uint8_t>(close->payload[1]),
            ws::kCloseTooBig);
  ASSERT_CONNECTED(other, ConnectWelcomed(server()));
  EXPECT_TRUE(Pongs(other)) << "everyone else is served";
}

TEST_F(CompressionTest, CorruptDataAndMisplacedRsv1CloseTheConnection) {
  struct Case {
    const char* what;
    std::string frame;
    uint16_t code;
  };
  const Case cases[] = {
      {"corrupt data", CompressedFrame(0x1, std::string("\xff\xff\xff\xff\xff", 5)),
       ws::kCloseInvalidPayload},
      {"RSV1 on a ping", CompressedFrame(0x9, ""), ws::kCloseProtocolError},
  };
  for (const Case& c : cases) {
    RawConnection conn(server().port());
    ASSERT_NE(Upgrade(conn), "");
    FrameStream frames(conn);
    ASSERT_TRUE(frames.Next());  // welcome
    ASSERT_TRUE(conn.Send(c.frame));
    auto close = frames.Next();
    ASSERT_TRUE(close) << c.what;
    ASSERT_EQ(close->opcode, ws::Opcode::kClose) << c.what;
    EXPECT_EQ(
        static_cast<uint8_t>(close->payload[0]) << 8 | static_cast<uint8_t>(close->payload[1]),
        c.code)
        << c.what;
  }
}

TEST(CompressionOffTest, ByDefaultOffersAreIgnoredAndRsv1IsAProtocolError) {
  CableServer server;
  RawConnection conn(server.port());
  ASSERT_TRUE(conn.Send(UpgradeWithExtensions(kOffer)));
  const RawResponse response = conn.ReadResponse();
  ASSERT_EQ(response.status, 101);
  EXPECT_EQ(response.Header("Sec-WebSocket-Extensions"), "");
  FrameStream frames(conn);
  ASSERT_TRUE(frames.Next());  // welcome
  ASSERT_TRUE(conn.Send(CompressedFrame(0x1, Compress(kPingCommand))));
  auto close = frames.Next();
  ASSERT_TRUE(close);
  ASSERT_EQ(close->opcode, ws::Opcode::kClose);
  EXPECT_EQ(static_cast<uint8_t>(close->payload[0]) << 8 | static_cast<uint8_t>(close->payload[1]),
            ws::kCloseProtocolError);
}

// ------------------------------------------------ the real `ws` client

class CompressionClientTest : public NodeScriptTest {};

TEST_F(CompressionClientTest, TheWsClientNegotiatesAndExchangesCompressedMessages) {
  ServeOptions options;
  options.backend.clear();
  options.args = {"--norpc", "--public", "--enable_ws_compression"};
  CableServer server(options);
  const Json s = RunNodeScript(
      {"node", SourcePath("tests/node/compression.mjs"), "--ws", std::to_string(server.port()),
       "--broadcast-port", std::to_string(server.broadcast_port()), "--stream", "zipped"},
      std::chrono::seconds(20), {&server});
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s["step"], "done");
  // ws reports the names of the extensions it agreed to.
  EXPECT_EQ(s["extensions"]["alice"], "permessage-deflate");
  EXPECT_EQ(s["extensions"]["bob"], "permessage-deflate");
  EXPECT_EQ(s["received"]["whisper"], true) << "a compressed whisper reached the other client";
  EXPECT_EQ(s["broadcast_status"], 201);
  EXPECT_EQ(s["received"]["broadcast"], true);
}

}  // namespace
}  // namespace cable::testing
