#include "tickets/compression.hpp"

#include <zlib.h>

#include <limits>
#include <new>
#include <stdexcept>

namespace gatehouse::tickets {
namespace {

// Negative: raw DEFLATE. Inflating accepts any window (up to 32 KiB); deflating uses 8 KiB and
// a small hash (64 KiB of state instead of 256): tickets are a few KiB, and setting up the larger
// state took most of the time of a ticket's serialization, for the same output.
constexpr int kInflateWindowBits = -15;
constexpr int kDeflateWindowBits = -13;
constexpr int kDeflateMemLevel = 6;

Bytef* bytes(std::string_view s) {
  // zlib's API is not const-correct; it never writes through next_in or the dictionary.
  return reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
}

bool fits_uint(std::size_t n) {
  return n <= std::numeric_limits<uInt>::max();
}

struct Deflater {
  z_stream s{};
  Deflater() {
    if (deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, kDeflateWindowBits, kDeflateMemLevel,
                     Z_DEFAULT_STRATEGY) != Z_OK)
      throw std::bad_alloc();
  }
  ~Deflater() { deflateEnd(&s); }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
};

struct Inflater {
  z_stream s{};
  Inflater() {
    if (inflateInit2(&s, kInflateWindowBits) != Z_OK) throw std::bad_alloc();
  }
  ~Inflater() { inflateEnd(&s); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
};

}  // namespace

std::string deflate_raw(std::string_view input, std::string_view dictionary) {
  if (!fits_uint(input.size()) || !fits_uint(dictionary.size()))
    throw std::length_error("deflate_raw: input too large");
  Deflater d;
  if (!dictionary.empty() &&
      deflateSetDictionary(&d.s, bytes(dictionary), static_cast<uInt>(dictionary.size())) != Z_OK)
    throw std::logic_error("deflate_raw: dictionary refused");
  std::string out(deflateBound(&d.s, static_cast<uLong>(input.size())), '\0');
  d.s.next_in = bytes(input);
  d.s.avail_in = static_cast<uInt>(input.size());
  d.s.next_out = reinterpret_cast<Bytef*>(out.data());
  d.s.avail_out = static_cast<uInt>(out.size());
  // deflateBound leaves room for everything: one call finishes the stream.
  if (deflate(&d.s, Z_FINISH) != Z_STREAM_END) throw std::logic_error("deflate_raw: not finished");
  out.resize(d.s.total_out);
  return out;
}

std::optional<std::string> inflate_raw(std::string_view input, std::string_view dictionary,
                                       std::size_t max_output) {
  if (!fits_uint(input.size()) || !fits_uint(dictionary.size())) return std::nullopt;
  Inflater i;
  if (!dictionary.empty() &&
      inflateSetDictionary(&i.s, bytes(dictionary), static_cast<uInt>(dictionary.size())) != Z_OK)
    return std::nullopt;
  i.s.next_in = bytes(input);
  i.s.avail_in = static_cast<uInt>(input.size());
  std::string out;
  char chunk[16 * 1024];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    i.s.next_out = reinterpret_cast<Bytef*>(chunk);
    i.s.avail_out = sizeof chunk;
    rc = inflate(&i.s, Z_NO_FLUSH);
    // Z_BUF_ERROR: no progress possible, i.e. the input ended before the stream did.
    if (rc != Z_OK && rc != Z_STREAM_END) return std::nullopt;
    const std::size_t produced = sizeof chunk - i.s.avail_out;
    if (produced > max_output - out.size()) return std::nullopt;
    out.append(chunk, produced);
  }
  if (i.s.avail_in != 0) return std::nullopt;  // bytes after the end of the stream
  return out;
}

}  // namespace gatehouse::tickets
