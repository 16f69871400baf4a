// The PNG reader the browser test looks at screenshots with: every row
// filter, RGB and RGBA, and refusals of what it does not read.

#include "support/png_image.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>

namespace cable::testing {
namespace {

void Put32(std::string& out, uint32_t v) {
  for (int shift : {24, 16, 8, 0}) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void Chunk(std::string& out, const std::string& type, const std::string& data) {
  Put32(out, static_cast<uint32_t>(data.size()));
  std::string body = type + data;
  out += body;
  Put32(out, static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()),
                                         static_cast<uInt>(body.size()))));
}

int PaethOf(int a, int b, int c) {
  int p = a + b - c;
  int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

// A PNG of `pixels` whose row y uses filter y % 5 (all five in 5 rows).
std::string Encode(int w, int h, int channels, const std::vector<uint8_t>& pixels) {
  const size_t stride = static_cast<size_t>(w * channels);
  std::string raw;
  for (int y = 0; y < h; ++y) {
    const int filter = y % 5;
    raw.push_back(static_cast<char>(filter));
    for (size_t i = 0; i < stride; ++i) {
      const size_t at = static_cast<size_t>(y) * stride + i;
      const int cur = pixels[at];
      const int left = i >= static_cast<size_t>(channels) ? pixels[at - channels] : 0;
      const int up = y > 0 ? pixels[at - stride] : 0;
      const int up_left =
          y > 0 && i >= static_cast<size_t>(channels) ? pixels[at - stride - channels] : 0;
      const int predict = filter == 0   ? 0
                          : filter == 1 ? left
                          : filter == 2 ? up
                          : filter == 3 ? (left + up) / 2
                                        : PaethOf(left, up, up_left);
      raw.push_back(static_cast<char>(static_cast<uint8_t>(cur - predict)));
    }
  }
  std::string z(compressBound(static_cast<uLong>(raw.size())), '\0');
  uLongf z_size = z.size();
  compress(reinterpret_cast<Bytef*>(z.data()), &z_size, reinterpret_cast<const Bytef*>(raw.data()),
           raw.size());
  z.resize(z_size);
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  Put32(ihdr, static_cast<uint32_t>(w));
  Put32(ihdr, static_cast<uint32_t>(h));
  ihdr += std::string{8, static_cast<char>(channels == 4 ? 6 : 2), 0, 0, 0};
  Chunk(png, "IHDR", ihdr);
  // Two IDAT chunks: the stream may be split anywhere.
  Chunk(png, "IDAT", z.substr(0, z.size() / 2));
  Chunk(png, "IDAT", z.substr(z.size() / 2));
  Chunk(png, "IEND", "");
  return png;
}

TEST(PngImage, DecodesEveryRowFilterInRgbAndRgba) {
  for (int channels : {3, 4}) {
    const int w = 7, h = 10;
    std::vector<uint8_t> pixels;
    srand(channels);
    for (int i = 0; i < w * h * channels; ++i) pixels.push_back(static_cast<uint8_t>(rand()));
    PngImage image;
    std::string error;
    ASSERT_TRUE(DecodePng(Encode(w, h, channels, pixels), &image, &error)) << error;
    ASSERT_EQ(image.width, w);
    ASSERT_EQ(image.height, h);
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const size_t at = static_cast<size_t>((y * w + x) * channels);
        EXPECT_EQ(image.at(x, y).r, pixels[at]) << x << "," << y;
        EXPECT_EQ(image.at(x, y).g, pixels[at + 1]);
        EXPECT_EQ(image.at(x, y).b, pixels[at + 2]);
      }
    }
  }
}

TEST(PngImage, RefusesWhatItDoesNotRead) {
  PngImage image;
  std::string error;
  EXPECT_FALSE(DecodePng("GIF89a", &image, &error));
  std::string png = Encode(2, 2, 3, std::vector<uint8_t>(12, 9));
  std::string palette = png;
  palette[8 + 8 + 9] = 3;  // colour type: palette
  EXPECT_FALSE(DecodePng(palette, &image, &error));
  EXPECT_NE(error.find("colour type 3"), std::string::npos) << error;
  EXPECT_FALSE(DecodePng(png.substr(0, 40), &image, &error)) << "truncated";
}

TEST(PngImage, HexColours) {
  EXPECT_TRUE(Near(ParseHexColor("#2a7"), Rgb{0x22, 0xaa, 0x77}, 0));
  EXPECT_TRUE(Near(ParseHexColor("#4a78c2"), Rgb{0x4a, 0x78, 0xc2}, 0));
  EXPECT_FALSE(Near(ParseHexColor("#4a78c2"), Rgb{0x4a, 0x78, 0xff}, 10));
}

}  // namespace
}  // namespace cable::testing
