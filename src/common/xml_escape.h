#pragma once
// Text for XML and HTML documents (JUnit reports, the bench HTML/SVG report).

#include <string>
#include <string_view>

namespace cable {

// Escapes & < > " '. XML 1.0 forbids most control characters even when
// escaped; text from a broken peer may contain them, so they become U+FFFD.
std::string EscapeXml(std::string_view text);

}  // namespace cable
