#pragma once
// The NATS subject a stream travels on between nodes (spec §8.3): the
// stream name itself, as anycable-go does — unless NATS would refuse it as
// a subject (whitespace, an empty token as in "a..b", a wildcard token `*`
// or `>`). Such names, which anycable-go cannot carry at all, go under
// `_ac_subject_=<base64url of the name>` instead, so every stream name
// works and plain names stay compatible.

#include <string>

namespace cable::server {

std::string NatsSubjectFor(const std::string& stream);

}  // namespace cable::server
