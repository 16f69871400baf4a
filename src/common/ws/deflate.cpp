#include "common/ws/deflate.h"

#include <zlib.h>

#include <vector>

#include "common/strings.h"

namespace cable::ws {

namespace {

constexpr int kWindowBits = 15;
// gorilla/websocket's default: the fastest level. Broadcasts are compressed
// on the worker threads, so speed matters more than the last few percent.
constexpr int kLevel = Z_BEST_SPEED;
constexpr char kTail[] = {'\x00', '\x00', '\xff', '\xff'};

// One z_stream per thread and direction, reset for every message: zlib's
// deflate state is ~256 KiB, far too much to keep per connection.
class Compressor {
 public:
  Compressor() {
    ok_ = deflateInit2(&z_, kLevel, Z_DEFLATED, -kWindowBits, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~Compressor() {
    if (ok_) deflateEnd(&z_);
  }
  bool Compress(std::string_view in, std::string* out) {
    out->clear();
    if (!ok_ || deflateReset(&z_) != Z_OK) return false;
    // Worth sending only if smaller; the bound keeps one allocation.
    out->resize(deflateBound(&z_, static_cast<uLong>(in.size())) + 8);
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    z_.next_out = reinterpret_cast<Bytef*>(out->data());
    z_.avail_out = static_cast<uInt>(out->size());
    if (deflate(&z_, Z_SYNC_FLUSH) != Z_OK || z_.avail_in != 0 || z_.avail_out == 0) {
      out->clear();
      return false;
    }
    size_t n = out->size() - z_.avail_out;
    if (n >= 4 && std::string_view(out->data() + n - 4, 4) == std::string_view(kTail, 4)) n -= 4;
    if (n >= in.size()) {
      out->clear();
      return false;
    }
    out->resize(n);
    return true;
  }

 private:
  z_stream z_{};
  bool ok_ = false;
};

class Decompressor {
 public:
  Decompressor() { ok_ = inflateInit2(&z_, -kWindowBits) == Z_OK; }
  ~Decompressor() {
    if (ok_) inflateEnd(&z_);
  }
  InflateStatus Inflate(std::string_view in, size_t limit, std::string* out) {
    out->clear();
    if (!ok_ || inflateReset(&z_) != Z_OK) return InflateStatus::kCorrupt;
    // The message, then the tail the sender removed (RFC 7692 §7.2.2).
    const std::string_view parts[] = {in, std::string_view(kTail, 4)};
    char chunk[16384];
    for (std::string_view part : parts) {
      z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(part.data()));
      z_.avail_in = static_cast<uInt>(part.size());
      // Until the input is used up and zlib holds no more output back.
      do {
        z_.next_out = reinterpret_cast<Bytef*>(chunk);
        z_.avail_out = sizeof chunk;
        const int rc = inflate(&z_, Z_SYNC_FLUSH);
        const size_t produced = sizeof chunk - z_.avail_out;
        if (out->size() + produced > limit) return InflateStatus::kTooBig;
        out->append(chunk, produced);
        // A final block ends the message; bytes after it are ignored.
        if (rc == Z_STREAM_END) return InflateStatus::kOk;
        if (rc == Z_BUF_ERROR && produced == 0) break;  // nothing more to do
        if (rc != Z_OK && rc != Z_BUF_ERROR) return InflateStatus::kCorrupt;
      } while (z_.avail_in > 0 || z_.avail_out == 0);
    }
    return InflateStatus::kOk;
  }

 private:
  z_stream z_{};
  bool ok_ = false;
};

// One offer's parameters: `name[=value]`, separated by ';'.
bool AcceptableParameters(std::string_view params) {
  bool seen[4] = {false, false, false, false};
  static constexpr std::string_view kNames[] = {"server_no_context_takeover",
                                                "client_no_context_takeover",
                                                "server_max_window_bits", "client_max_window_bits"};
  while (!params.empty()) {
    const size_t semi = params.find(';');
    std::string_view param = Trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (param.empty()) continue;
    const size_t eq = param.find('=');
    const std::string_view name = Trim(param.substr(0, eq));
    std::string_view value = eq == std::string_view::npos ? "" : Trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    size_t i = 0;
    while (i < 4 && kNames[i] != name) ++i;
    if (i == 4 || seen[i]) return false;
    seen[i] = true;
    if (i < 2 && eq != std::string_view::npos) return false;
    // We compress with a 15-bit window; a client that wants less is
    // answered without compression.
    if (i == 2 && value != "15") return false;
    if (i == 3 && eq != std::string_view::npos) {
      if (value.size() < 1 || value.size() > 2) return false;
      const int bits = value.size() == 1 ? value[0] - '0' : (value[0] - '0') * 10 + value[1] - '0';
      if (bits < 8 || bits > 15) return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::string> NegotiateDeflate(std::string_view offers) {
  // A header with thousands of offers is hostile; the first 16 decide.
  for (int n = 0; n < 16 && !offers.empty(); ++n) {
    const size_t comma = offers.find(',');
    const std::string_view offer = Trim(offers.substr(0, comma));
    offers = comma == std::string_view::npos ? std::string_view{} : offers.substr(comma + 1);
    const size_t semi = offer.find(';');
    if (Trim(offer.substr(0, semi)) != "permessage-deflate") continue;
    if (!AcceptableParameters(semi == std::string_view::npos ? "" : offer.substr(semi + 1))) {
      continue;
    }
    return std::string(
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  }
  return std::nullopt;
}

bool DeflateMessage(std::string_view payload, std::string* out) {
  thread_local Compressor compressor;
  return compressor.Compress(payload, out);
}

InflateStatus InflateMessage(std::string_view payload, size_t limit, std::string* out) {
  thread_local Decompressor decompressor;
  return decompressor.Inflate(payload, limit, out);
}

}  // namespace cable::ws
