#include "support/png_image.h"

#include <zlib.h>

#include <cstdlib>
#include <cstring>

namespace cable::testing {

namespace {

uint32_t BigEndian32(const std::string& s, size_t at) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(s[at])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(s[at + 3]));
}

int Paeth(int a, int b, int c) {
  int p = a + b - c;
  int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

}  // namespace

bool DecodePng(const std::string& bytes, PngImage* image, std::string* error) {
  static const char kSignature[] = "\x89PNG\r\n\x1a\n";
  if (bytes.size() < 8 || bytes.compare(0, 8, kSignature, 8) != 0) {
    *error = "not a PNG file";
    return false;
  }
  int width = 0, height = 0, channels = 0;
  std::string idat;
  bool ended = false;
  for (size_t at = 8; at + 12 <= bytes.size() && !ended;) {
    const uint32_t length = BigEndian32(bytes, at);
    const std::string type = bytes.substr(at + 4, 4);
    if (length > bytes.size() - at - 12) {
      *error = "chunk " + type + " runs past the end of the file";
      return false;
    }
    const size_t data = at + 8;
    if (type == "IHDR") {
      if (length != 13) {
        *error = "bad IHDR";
        return false;
      }
      width = static_cast<int>(BigEndian32(bytes, data));
      height = static_cast<int>(BigEndian32(bytes, data + 4));
      const int depth = static_cast<uint8_t>(bytes[data + 8]);
      const int color = static_cast<uint8_t>(bytes[data + 9]);
      const int interlace = static_cast<uint8_t>(bytes[data + 12]);
      if (depth != 8 || (color != 2 && color != 6) || interlace != 0) {
        *error = "only 8-bit RGB/RGBA, non-interlaced PNGs are supported (depth " +
                 std::to_string(depth) + ", colour type " + std::to_string(color) + ", interlace " +
                 std::to_string(interlace) + ")";
        return false;
      }
      if (width <= 0 || height <= 0 || width > 20000 || height > 20000) {
        *error = "implausible size";
        return false;
      }
      channels = color == 6 ? 4 : 3;
    } else if (type == "IDAT") {
      idat.append(bytes, data, length);
    } else if (type == "IEND") {
      ended = true;
    }
    at = data + length + 4;  // data, then the CRC
  }
  if (channels == 0 || idat.empty()) {
    *error = "no IHDR or no image data";
    return false;
  }
  const size_t stride = static_cast<size_t>(width) * static_cast<size_t>(channels);
  std::vector<uint8_t> raw((stride + 1) * static_cast<size_t>(height));
  uLongf raw_size = raw.size();
  if (uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) !=
          Z_OK ||
      raw_size != raw.size()) {
    *error = "image data does not inflate to the image size";
    return false;
  }
  // Undo the per-row filters in place.
  std::vector<uint8_t> previous(stride, 0);
  image->width = width;
  image->height = height;
  image->pixels.assign(static_cast<size_t>(width) * static_cast<size_t>(height), Rgb{});
  for (int y = 0; y < height; ++y) {
    uint8_t* row = raw.data() + static_cast<size_t>(y) * (stride + 1);
    const int filter = row[0];
    uint8_t* px = row + 1;
    for (size_t i = 0; i < stride; ++i) {
      const int left =
          i >= static_cast<size_t>(channels) ? px[i - static_cast<size_t>(channels)] : 0;
      const int up = previous[i];
      const int up_left =
          i >= static_cast<size_t>(channels) ? previous[i - static_cast<size_t>(channels)] : 0;
      int add = 0;
      switch (filter) {
        case 0:
          break;
        case 1:
          add = left;
          break;
        case 2:
          add = up;
          break;
        case 3:
          add = (left + up) / 2;
          break;
        case 4:
          add = Paeth(left, up, up_left);
          break;
        default:
          *error = "unknown row filter " + std::to_string(filter);
          return false;
      }
      px[i] = static_cast<uint8_t>(px[i] + add);
    }
    std::memcpy(previous.data(), px, stride);
    for (int x = 0; x < width; ++x) {
      const uint8_t* p = px + static_cast<size_t>(x) * static_cast<size_t>(channels);
      image->pixels[static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)] =
          Rgb{p[0], p[1], p[2]};
    }
  }
  return true;
}

Rgb ParseHexColor(const std::string& hex) {
  std::string h = hex.substr(hex[0] == '#' ? 1 : 0);
  if (h.size() == 3) h = {h[0], h[0], h[1], h[1], h[2], h[2]};
  auto channel = [&](size_t at) {
    return static_cast<uint8_t>(std::strtol(h.substr(at, 2).c_str(), nullptr, 16));
  };
  return Rgb{channel(0), channel(2), channel(4)};
}

}  // namespace cable::testing
