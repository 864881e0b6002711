#include "tickets/ticket_codec.hpp"

#include <bit>
#include <cmath>

namespace gatehouse::tickets {
namespace {

enum Tag : std::uint8_t {
  tag_null,
  tag_false,
  tag_true,
  tag_int64,
  tag_uint64,
  tag_double,
  tag_string,
  tag_array,
  tag_object,
};

}  // namespace

void TicketWriter::varint(std::uint64_t n) {
  for (; n >= 0x80; n >>= 7) byte(static_cast<std::uint8_t>(n | 0x80));
  byte(static_cast<std::uint8_t>(n));
}

void TicketWriter::zigzag(std::int64_t n) {
  varint((static_cast<std::uint64_t>(n) << 1) ^ static_cast<std::uint64_t>(n >> 63));
}

void TicketWriter::str(std::string_view s) {
  varint(s.size());
  out_.append(s);
}

void TicketWriter::json(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return byte(tag_null);
    case boost::json::kind::bool_:
      return byte(v.get_bool() ? tag_true : tag_false);
    case boost::json::kind::int64:
      byte(tag_int64);
      return zigzag(v.get_int64());
    case boost::json::kind::uint64:
      byte(tag_uint64);
      return varint(v.get_uint64());
    case boost::json::kind::double_: {
      if (std::isnan(v.get_double())) return byte(tag_null);  // JSON has none; never read back
      byte(tag_double);
      const auto bits = std::bit_cast<std::uint64_t>(v.get_double());
      for (int shift = 0; shift < 64; shift += 8) byte(static_cast<std::uint8_t>(bits >> shift));
      return;
    }
    case boost::json::kind::string:
      byte(tag_string);
      return str(v.get_string());
    case boost::json::kind::array:
      byte(tag_array);
      varint(v.get_array().size());
      for (const auto& item : v.get_array()) json(item);
      return;
    case boost::json::kind::object:
      byte(tag_object);
      varint(v.get_object().size());
      for (const auto& member : v.get_object()) {
        str(member.key());
        json(member.value());
      }
      return;
  }
}

std::optional<std::uint8_t> TicketReader::byte() {
  if (in_.empty()) return std::nullopt;
  const auto b = static_cast<std::uint8_t>(in_.front());
  in_.remove_prefix(1);
  return b;
}

std::optional<std::uint64_t> TicketReader::varint() {
  std::uint64_t n = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    const auto b = byte();
    if (!b || (shift == 63 && *b > 1)) return std::nullopt;  // short, or beyond 64 bits
    n |= static_cast<std::uint64_t>(*b & 0x7f) << shift;
    if (!(*b & 0x80)) return n;
  }
  return std::nullopt;
}

std::optional<std::int64_t> TicketReader::zigzag() {
  const auto u = varint();
  if (!u) return std::nullopt;
  return static_cast<std::int64_t>((*u >> 1) ^ (0 - (*u & 1)));
}

std::optional<std::string_view> TicketReader::str() {
  const auto n = varint();
  if (!n || *n > in_.size()) return std::nullopt;
  const auto s = in_.substr(0, *n);
  in_.remove_prefix(*n);
  return s;
}

std::optional<boost::json::value> TicketReader::json(int max_depth) {
  const auto tag = byte();
  if (!tag) return std::nullopt;
  switch (*tag) {
    case tag_null:
      return boost::json::value(nullptr);
    case tag_false:
    case tag_true:
      return boost::json::value(*tag == tag_true);
    case tag_int64:
      if (const auto n = zigzag()) return boost::json::value(*n);
      return std::nullopt;
    case tag_uint64:
      if (const auto n = varint()) return boost::json::value(*n);
      return std::nullopt;
    case tag_double: {
      if (in_.size() < 8) return std::nullopt;
      std::uint64_t bits = 0;
      for (int shift = 0; shift < 64; shift += 8) bits |= std::uint64_t{*byte()} << shift;
      const auto d = std::bit_cast<double>(bits);
      if (std::isnan(d)) return std::nullopt;
      return boost::json::value(d);
    }
    case tag_string:
      if (const auto s = str()) return boost::json::value(boost::json::string_view(*s));
      return std::nullopt;
    default:
      break;
  }
  if ((*tag != tag_array && *tag != tag_object) || max_depth <= 0) return std::nullopt;
  // Each element takes at least one byte: a count beyond what is left cannot be honest.
  const auto count = varint();
  if (!count || *count > in_.size()) return std::nullopt;
  if (*tag == tag_array) {
    boost::json::array a;
    for (std::uint64_t i = 0; i < *count; ++i) {
      auto item = json(max_depth - 1);
      if (!item) return std::nullopt;
      a.push_back(std::move(*item));
    }
    return boost::json::value(std::move(a));
  }
  boost::json::object o;
  for (std::uint64_t i = 0; i < *count; ++i) {
    const auto name = str();
    if (!name) return std::nullopt;
    auto member = json(max_depth - 1);
    if (!member || !o.emplace(boost::json::string_view(*name), std::move(*member)).second)
      return std::nullopt;
  }
  return boost::json::value(std::move(o));
}

}  // namespace gatehouse::tickets
