#pragma once
// The slow-client scenario shared by the plain and TLS tests: a fast and a
// slow subscriber of stream "firehose", far more data than socket buffers
// hold, and what each of them must see.

#include <functional>
#include <string>

#include "common/ws/client.h"

namespace cable::testing {

// Publishes 300 broadcasts of 32 KiB to "firehose" through `publish` (which
// returns false when a publication is refused), checking that `fast` gets
// each one in order while `slow` reads nothing. Then drains `slow`: whole
// broadcasts in order, then the too_slow disconnect message and a close
// 1000, having received fewer than all of them.
void ExpectSlowClientDropped(ws::Client& fast, ws::Client& slow,
                             const std::function<bool(const std::string& body)>& publish);

}  // namespace cable::testing
