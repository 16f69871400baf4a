#include "common/ws/frame.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>

namespace cable::ws {

void AppendFrame(std::string& out, Opcode opcode, std::string_view payload, bool compressed) {
  const size_t len = payload.size();
  char header[10];
  size_t n = 0;
  header[n++] = static_cast<char>(0x80 | (compressed ? 0x40 : 0) | static_cast<uint8_t>(opcode));
  if (len < 126) {
    header[n++] = static_cast<char>(len);
  } else if (len <= 0xFFFF) {
    header[n++] = 126;
    header[n++] = static_cast<char>((len >> 8) & 0xFF);
    header[n++] = static_cast<char>(len & 0xFF);
  } else {
    header[n++] = 127;
    for (int i = 7; i >= 0; --i) header[n++] = static_cast<char>((uint64_t(len) >> (8 * i)) & 0xFF);
  }
  out.reserve(out.size() + n + len);
  out.append(header, n);
  out.append(payload);
}

void AppendMaskedFrame(std::string& out, uint8_t opcode, std::string_view payload,
                       const uint8_t mask[4], bool fin) {
  const size_t len = payload.size();
  char header[kMaxHeaderSize];
  size_t n = 0;
  header[n++] = static_cast<char>((fin ? 0x80 : 0x00) | (opcode & 0x0F));
  if (len < 126) {
    header[n++] = static_cast<char>(0x80 | len);
  } else if (len <= 0xFFFF) {
    header[n++] = static_cast<char>(0x80 | 126);
    header[n++] = static_cast<char>((len >> 8) & 0xFF);
    header[n++] = static_cast<char>(len & 0xFF);
  } else {
    header[n++] = static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i) header[n++] = static_cast<char>((uint64_t(len) >> (8 * i)) & 0xFF);
  }
  std::memcpy(header + n, mask, 4);
  n += 4;
  const size_t start = out.size() + n;
  out.reserve(start + len);
  out.append(header, n);
  out.append(payload);
  Unmask(out.data() + start, len, mask);  // masking and unmasking are one XOR
}

std::string EncodeFrame(Opcode opcode, std::string_view payload) {
  std::string out;
  AppendFrame(out, opcode, payload);
  return out;
}

std::string EncodeClose(uint16_t code, std::string_view reason) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  // Control frame payloads are limited to 125 bytes.
  payload.append(reason.substr(0, 123));
  return EncodeFrame(Opcode::kClose, payload);
}

ParseStatus ParseHeader(std::string_view data, uint64_t max_payload, Sender sender,
                        FrameHeader* out, uint16_t* error_code, uint8_t allowed_rsv) {
  if (data.size() < 2) return ParseStatus::kIncomplete;
  const auto b0 = static_cast<uint8_t>(data[0]);
  const auto b1 = static_cast<uint8_t>(data[1]);
  FrameHeader h;
  h.fin = b0 & 0x80;
  h.rsv = (b0 >> 4) & 0x07;
  h.opcode = static_cast<Opcode>(b0 & 0x0F);
  h.masked = b1 & 0x80;
  uint64_t len = b1 & 0x7F;
  size_t pos = 2;
  if (len == 126) {
    if (data.size() < 4) return ParseStatus::kIncomplete;
    len = (uint64_t(uint8_t(data[2])) << 8) | uint8_t(data[3]);
    pos = 4;
  } else if (len == 127) {
    if (data.size() < 10) return ParseStatus::kIncomplete;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | uint8_t(data[2 + i]);
    pos = 10;
    // RFC 6455 5.2: the most significant bit of a 64-bit length must be 0.
    if (len >> 63) return *error_code = kCloseProtocolError, ParseStatus::kError;
  }
  if (h.masked) {
    if (data.size() < pos + 4) return ParseStatus::kIncomplete;
    std::memcpy(h.mask, data.data() + pos, 4);
    pos += 4;
  }
  h.payload_len = len;
  h.header_len = pos;

  // Reserved bits belong to negotiated extensions only.
  if ((h.rsv & ~allowed_rsv) != 0) {
    return *error_code = kCloseProtocolError, ParseStatus::kError;
  }
  if (h.masked != (sender == Sender::kClient)) {
    return *error_code = kCloseProtocolError, ParseStatus::kError;
  }
  const auto op = static_cast<uint8_t>(h.opcode);
  const bool control = op & 0x08;
  if (op > 0x2 && !control) return *error_code = kCloseProtocolError, ParseStatus::kError;
  if (control && op > 0xA) return *error_code = kCloseProtocolError, ParseStatus::kError;
  if (control && (!h.fin || len > 125))
    return *error_code = kCloseProtocolError, ParseStatus::kError;
  if (!control && len > max_payload) return *error_code = kCloseTooBig, ParseStatus::kError;
  *out = h;
  return ParseStatus::kOk;
}

void Unmask(char* data, size_t len, const uint8_t mask[4], uint64_t offset) {
  // Word-at-a-time unmasking: client frames are the only inbound bytes and
  // every one of them passes through here.
  size_t i = 0;
  const size_t shift = offset & 3;
  uint8_t rotated[4];
  for (int k = 0; k < 4; ++k) rotated[k] = mask[(k + shift) & 3];
  uint64_t mask64;
  uint8_t m8[8];
  for (int k = 0; k < 8; ++k) m8[k] = rotated[k & 3];
  std::memcpy(&mask64, m8, 8);
  for (; i + 8 <= len; i += 8) {
    uint64_t chunk;
    std::memcpy(&chunk, data + i, 8);
    chunk ^= mask64;
    std::memcpy(data + i, &chunk, 8);
  }
  for (; i < len; ++i) data[i] = static_cast<char>(data[i] ^ rotated[i & 3]);
}

void ParseClosePayload(std::string_view payload, uint16_t* code, std::string_view* reason) {
  if (payload.size() < 2) {
    *code = 1005;  // RFC 6455 §7.1.5: no status code was present
    *reason = {};
    return;
  }
  *code = static_cast<uint16_t>((uint8_t(payload[0]) << 8) | uint8_t(payload[1]));
  *reason = payload.substr(2);
}

uint16_t CheckClosePayload(std::string_view payload) {
  if (payload.empty()) return 0;
  if (payload.size() == 1) return kCloseProtocolError;
  const auto code = static_cast<uint16_t>((uint8_t(payload[0]) << 8) | uint8_t(payload[1]));
  const bool sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                        (code >= 3000 && code <= 4999);
  if (!sendable) return kCloseProtocolError;
  if (!IsValidUtf8(payload.substr(2))) return kCloseInvalidPayload;
  return 0;
}

bool IsValidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    // Fast path for ASCII runs.
    if (i + 8 <= n) {
      uint64_t chunk;
      std::memcpy(&chunk, s + i, 8);
      if ((chunk & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
      if (cp < 2) return false;  // overlong
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= n) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if (i + k >= n || (s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF))) return false;
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;
    i += extra + 1;
  }
  return true;
}

std::string AcceptKey(std::string_view client_key) {
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input(client_key);
  input.append(kGuid);
  // SHA1() looks the algorithm up by name on every call (a lock and
  // string compares in OpenSSL 3); once per process is enough.
  static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  unsigned char digest[SHA_DIGEST_LENGTH];
  if (!sha1 || EVP_Digest(input.data(), input.size(), digest, nullptr, sha1, nullptr) != 1) {
    SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  }
  unsigned char out[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(out), static_cast<size_t>(n));
}

}  // namespace cable::ws
