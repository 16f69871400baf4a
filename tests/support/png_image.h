#pragma once
// Reads PNG files for tests that look at pixels (a headless browser's
// screenshot of an HTML report): 8-bit RGB or RGBA, not interlaced, which
// is what Chromium writes. Anything else is refused with a reason.

#include <cstdint>
#include <string>
#include <vector>

namespace cable::testing {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

struct PngImage {
  int width = 0;
  int height = 0;
  std::vector<Rgb> pixels;  // row by row; alpha dropped (screenshots are opaque)

  const Rgb& at(int x, int y) const {
    return pixels[static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)];
  }
};

// Decodes `bytes` (a whole PNG file); on failure returns false and sets
// `error`.
bool DecodePng(const std::string& bytes, PngImage* image, std::string* error);

// "#4a78c2" or "#2a7" as a colour.
Rgb ParseHexColor(const std::string& hex);

// Each channel within `tolerance` of `want`.
inline bool Near(const Rgb& got, const Rgb& want, int tolerance) {
  auto close = [tolerance](int a, int b) { return a - b <= tolerance && b - a <= tolerance; };
  return close(got.r, want.r) && close(got.g, want.g) && close(got.b, want.b);
}

}  // namespace cable::testing
