#include "bench/script/stamp.h"

#include <charconv>
#include <cstring>

namespace cable::bench::script {

namespace {

void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

// Reads digits at `*p` up to `end` followed by `stop`; false otherwise.
bool ReadField(const char** p, const char* end, char stop, int64_t* out) {
  const char* q = *p;
  int64_t v = 0;
  int digits = 0;
  while (q < end && *q >= '0' && *q <= '9') {
    if (++digits > 19) return false;
    v = v * 10 + (*q++ - '0');
  }
  if (digits == 0 || q >= end || *q != stop) return false;
  *out = v;
  *p = q + 1;
  return true;
}

}  // namespace

void AppendStamp(std::string& out, const Stamp& stamp) {
  out.append("~c");
  AppendInt(out, stamp.metric);
  out.push_back('.');
  AppendInt(out, stamp.client);
  out.push_back('.');
  AppendInt(out, stamp.seq);
  out.push_back('.');
  AppendInt(out, stamp.ts_ns);
  out.push_back('~');
}

bool FindStamp(std::string_view bytes, Stamp* out) {
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  while (p < end) {
    const void* hit = std::memchr(p, '~', static_cast<size_t>(end - p));
    if (!hit) return false;
    const char* q = static_cast<const char*>(hit) + 1;
    p = q;
    if (q >= end || *q != 'c') continue;
    ++q;
    int64_t metric, client, seq, ts;
    if (!ReadField(&q, end, '.', &metric) || !ReadField(&q, end, '.', &client) ||
        !ReadField(&q, end, '.', &seq) || !ReadField(&q, end, '~', &ts) || metric > 1 << 20) {
      continue;
    }
    *out = Stamp{static_cast<int>(metric), client, seq, ts};
    return true;
  }
  return false;
}

}  // namespace cable::bench::script
