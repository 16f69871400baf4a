#include "bench/ws_codec.h"

namespace cable::bench {

void AppendClientFrame(std::string& out, uint8_t opcode, std::string_view payload, uint32_t mask) {
  char header[kMaxClientHeader];
  size_t pos = 0;
  header[pos++] = static_cast<char>(0x80 | opcode);
  size_t len = payload.size();
  if (len < 126) {
    header[pos++] = static_cast<char>(0x80 | len);
  } else if (len <= 0xFFFF) {
    header[pos++] = static_cast<char>(0x80 | 126);
    header[pos++] = static_cast<char>(len >> 8);
    header[pos++] = static_cast<char>(len & 0xFF);
  } else {
    header[pos++] = static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i)
      header[pos++] = static_cast<char>((uint64_t{len} >> (8 * i)) & 0xFF);
  }
  uint8_t key[4] = {static_cast<uint8_t>(mask >> 24), static_cast<uint8_t>(mask >> 16),
                    static_cast<uint8_t>(mask >> 8), static_cast<uint8_t>(mask)};
  std::memcpy(header + pos, key, 4);
  pos += 4;
  size_t start = out.size();
  out.append(header, pos);
  out.append(payload);
  char* body = out.data() + start + pos;
  for (size_t i = 0; i < len; ++i) body[i] = static_cast<char>(body[i] ^ key[i & 3]);
}

void ParseClosePayload(std::string_view payload, uint16_t* code, std::string_view* reason) {
  if (payload.size() < 2) {
    *code = 1005;
    *reason = {};
    return;
  }
  *code = static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                                static_cast<uint8_t>(payload[1]));
  *reason = payload.substr(2);
}

}  // namespace cable::bench
