#pragma once
// Turning user input into publications the way `cable broadcast` (and any
// tool that takes messages from people or scripts) accepts it.
//
// The `data` of a publication is a string holding JSON: what a client gets
// as `message` is that JSON parsed. So user input is a JSON *value* (the
// message itself), re-serialised compactly with key order preserved; "raw"
// input is a plain string the client receives as a JSON string.

#include <optional>
#include <string>
#include <string_view>

#include "common/broadcast/publisher.h"
#include "common/result.h"

namespace cable::broadcast {

// `text` must be one JSON value; returns it compactly serialised.
// Error code "invalid_json" with the parser's explanation.
Result<std::string> DataFromJson(std::string_view text);

// A plain string as JSON data: `hi` -> `"hi"`.
std::string DataFromString(std::string_view text);

struct LineDefaults {
  std::string stream;                         // for lines that are plain values
  std::optional<std::string> exclude_socket;  // unless the line sets its own
  bool raw = false;                           // every line is a plain string
  bool transient = false;                     // unless the line sets its own
};

// One input line. Either an envelope object
//   {"stream":"chat/1","data":<any JSON>,"exclude_socket":"sid","transient":true}
// (an object with a string "stream" and a "data" key; "exclude_socket" and
// "transient" are optional, other keys are rejected to catch typos) or any other JSON value,
// sent to defaults.stream. With defaults.raw the line is a plain string.
// Errors: "invalid_json", "invalid_message" (bad envelope, no stream).
Result<Publication> ParseLine(std::string_view line, const LineDefaults& defaults);

}  // namespace cable::broadcast
