// The byte-level pieces of ticket format v2 (tickets/ticket_format.hpp): LEB128 varints,
// length-prefixed strings, and JSON values as a tagged tree, exact to the bit (no JSON text:
// Boost.JSON 1.81 writes infinities it cannot read back, and reads some doubles 1 ulp off).
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::tickets {

class TicketWriter {
 public:
  void byte(std::uint8_t b) { out_.push_back(static_cast<char>(b)); }
  void varint(std::uint64_t n);
  void zigzag(std::int64_t n);
  void str(std::string_view s);
  // null | false | true | int64:zigzag | uint64:varint | double:8 bytes LE | string:str |
  // array:count values | object:count (name:str value). A NaN (JSON has none, but Boost.JSON
  // 1.81 reads "0e999" as one) is written as null.
  void json(const boost::json::value& v);
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Every read is bounded by the bytes left; any shortfall or malformation is nullopt.
class TicketReader {
 public:
  explicit TicketReader(std::string_view in) : in_(in) {}
  bool done() const { return in_.empty(); }
  std::optional<std::uint8_t> byte();
  std::optional<std::uint64_t> varint();  // at most 10 bytes, at most 64 bits
  std::optional<std::int64_t> zigzag();
  std::optional<std::string_view> str();
  // Nested at most `max_depth` arrays and objects; refuses NaN and objects naming a member twice.
  std::optional<boost::json::value> json(int max_depth = 32);

 private:
  std::string_view in_;
};

}  // namespace gatehouse::tickets
