#include "crypto/base64.hpp"

#include "crypto/base64_check.hpp"

#include <array>
#include <cstdint>

namespace gatehouse::crypto {
namespace {

constexpr std::string_view kUrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kStdAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_url_table() {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (std::size_t i = 0; i < kUrlAlphabet.size(); ++i)
    table[static_cast<unsigned char>(kUrlAlphabet[i])] = static_cast<std::int8_t>(i);
  return table;
}
constexpr auto kUrlTable = make_url_table();

std::string encode(std::string_view bytes, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1]))
                                << 8 |
                            static_cast<unsigned char>(bytes[i + 2]);
    out += alphabet[n >> 18 & 63];
    out += alphabet[n >> 12 & 63];
    out += alphabet[n >> 6 & 63];
    out += alphabet[n & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0) return out;
  std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
  if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
  out += alphabet[n >> 18 & 63];
  out += alphabet[n >> 12 & 63];
  if (rest == 2) out += alphabet[n >> 6 & 63];
  if (pad) out.append(rest == 1 ? 2 : 1, '=');
  return out;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  return encode(bytes, kUrlAlphabet, false);
}

std::string base64_encode(std::string_view bytes) {
  return encode(bytes, kStdAlphabet, true);
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : text) {
    const std::int8_t v = kUrlTable[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6 | static_cast<std::uint32_t>(v)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(acc >> bits & 0xff);
    }
  }
  // Leftover bits (2 or 4) belong to no byte; they must be zero for the encoding to be canonical.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::optional<std::size_t> base64url_decoded_size(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  for (const char c : text)
    if (kUrlTable[static_cast<unsigned char>(c)] < 0) return std::nullopt;
  // The last character's unused bits (2 of them after 3 characters, 4 after 2) must be zero.
  if (const std::size_t rest = text.size() % 4; rest != 0) {
    const auto last = static_cast<unsigned>(kUrlTable[static_cast<unsigned char>(text.back())]);
    const unsigned unused = rest == 2 ? 0xf : 0x3;
    if ((last & unused) != 0) return std::nullopt;
  }
  return text.size() * 6 / 8;
}

}  // namespace gatehouse::crypto
