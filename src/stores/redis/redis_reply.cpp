#include "stores/redis/redis_reply.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <memory>
#include <new>
#include <stdexcept>

namespace gatehouse::redis {
namespace {

Reply::Type type_of(int hiredis_type) {
  switch (hiredis_type) {
    case REDIS_REPLY_STRING:
      return Reply::Type::string;
    case REDIS_REPLY_STATUS:
      return Reply::Type::status;
    case REDIS_REPLY_ERROR:
      return Reply::Type::error;
    case REDIS_REPLY_INTEGER:
      return Reply::Type::integer;
    case REDIS_REPLY_ARRAY:
      return Reply::Type::array;
    default:
      return Reply::Type::nil;
  }
}

// hiredis 0.14 allocates an array's element table as soon as it reads the header, so a header
// promising more elements (or bytes) than the whole input holds is refused before it sees it.
bool headers_fit(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if ((bytes[i] != '*' && bytes[i] != '$') || (i > 0 && bytes[i - 1] != '\n')) continue;
    std::size_t j = i + 1;
    if (j < bytes.size() && bytes[j] == '-') continue;  // -1: nil
    unsigned long long n = 0;
    while (j < bytes.size() && bytes[j] >= '0' && bytes[j] <= '9' && n <= bytes.size())
      n = n * 10 + static_cast<unsigned>(bytes[j++] - '0');
    if (n > bytes.size()) return false;
  }
  return true;
}

// A reply as the reader builds it: a redisReply head (what hiredis itself reads of a reply: its
// type, and an error's text) before the value. Only the root is a ReplyValue; every element is
// built in place inside its parent's value.
struct ReplyValue {
  redisReply head{};
  Reply value;
};

Reply& value_of(const redisReadTask& task) {
  return task.parent ? *static_cast<Reply*>(task.obj) : static_cast<ReplyValue*>(task.obj)->value;
}

// The new value's slot: a fresh root, or the next element of the array being read (elements
// come in order, and one is complete before the next begins, so growing the vector is safe).
// nullptr when out of memory: the reader reports an error instead of an exception crossing C.
void* make_value(const redisReadTask* task, Reply::Type type, std::string_view text = {},
                 long long integer = 0) noexcept {
  try {
    if (!task->parent) {
      auto root = std::make_unique<ReplyValue>();
      root->value.type = type;
      root->value.text.assign(text);
      root->value.integer = integer;
      root->head.type = task->type;
      root->head.integer = integer;
      root->head.str = root->value.text.data();
      root->head.len = root->value.text.size();
      return root.release();
    }
    auto& parent = value_of(*task->parent);
    auto& element = parent.elements.emplace_back();
    element.type = type;
    element.text.assign(text);
    element.integer = integer;
    return &element;
  } catch (const std::bad_alloc&) {
    return nullptr;
  } catch (const std::length_error&) {
    return nullptr;
  }
}

void* create_string(const redisReadTask* task, char* str, std::size_t len) {
  return make_value(task, type_of(task->type), std::string_view(str, len));
}

void* create_array(const redisReadTask* task, int elements) {
  void* made = make_value(task, Reply::Type::array);
  if (!made) return nullptr;
  try {
    // A header is no promise of data: reserve only what a modest reply holds.
    auto& value = task->parent ? *static_cast<Reply*>(made) : static_cast<ReplyValue*>(made)->value;
    value.elements.reserve(static_cast<std::size_t>(std::clamp(elements, 0, 1024)));
  } catch (const std::bad_alloc&) {  // the first elements will grow it
  }
  return made;
}

void* create_integer(const redisReadTask* task, long long value) {
  return make_value(task, Reply::Type::integer, {}, value);
}

void* create_nil(const redisReadTask* task) {
  return make_value(task, Reply::Type::nil);
}

void free_value(void* reply) {
  delete static_cast<ReplyValue*>(reply);
}

redisReplyObjectFunctions value_functions{create_string, create_array, create_integer, create_nil,
                                          free_value};

}  // namespace

void build_reply_values(redisReader& reader) {
  reader.fn = &value_functions;
}

Reply take_reply_value(void* reply) {
  return std::move(static_cast<ReplyValue*>(reply)->value);
}

bool Reply::is_error(std::string_view code) const {
  return type == Type::error && text.starts_with(code) &&
         (text.size() == code.size() || text[code.size()] == ' ');
}

Reply copy_reply(const redisReply& reply) {
  Reply out;
  out.type = type_of(reply.type);
  switch (out.type) {
    case Reply::Type::string:
    case Reply::Type::status:
    case Reply::Type::error:
      if (reply.str) out.text.assign(reply.str, reply.len);
      break;
    case Reply::Type::integer:
      out.integer = reply.integer;
      break;
    case Reply::Type::array:
      // hiredis's reader nests at most 7 levels deep, so the recursion is bounded.
      out.elements.reserve(reply.elements);
      for (std::size_t i = 0; i < reply.elements; ++i) {
        if (reply.element[i])
          out.elements.push_back(copy_reply(*reply.element[i]));
        else
          out.elements.emplace_back();
      }
      break;
    case Reply::Type::nil:
      break;
  }
  return out;
}

std::optional<std::vector<Reply>> parse_replies(std::string_view bytes) {
  if (!headers_fit(bytes)) return std::nullopt;
  std::unique_ptr<redisReader, decltype(&redisReaderFree)> reader(
      redisReaderCreateWithFunctions(&value_functions), &redisReaderFree);
  if (!reader || redisReaderFeed(reader.get(), bytes.data(), bytes.size()) != REDIS_OK)
    return std::nullopt;
  std::vector<Reply> replies;
  for (;;) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK) return std::nullopt;
    if (!raw) break;
    std::unique_ptr<ReplyValue> owned(static_cast<ReplyValue*>(raw));
    replies.push_back(std::move(owned->value));
  }
  return replies;
}

std::uint16_t key_slot(std::string_view key) {
  if (const auto open = key.find('{'); open != std::string_view::npos) {
    const auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1)
      key = key.substr(open + 1, close - open - 1);
  }
  std::uint16_t crc = 0;
  for (const char c : key) {
    crc ^= static_cast<std::uint16_t>(static_cast<unsigned char>(c) << 8);
    for (int bit = 0; bit < 8; ++bit)
      crc = static_cast<std::uint16_t>(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return static_cast<std::uint16_t>(crc % slot_count);
}

std::optional<Redirect> parse_redirect(std::string_view error) {
  Redirect redirect;
  if (error.starts_with("MOVED ")) {
    redirect.kind = Redirect::Kind::moved;
    error.remove_prefix(6);
  } else if (error.starts_with("ASK ")) {
    redirect.kind = Redirect::Kind::ask;
    error.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  const auto space = error.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto slot = parse_number<unsigned>(error.substr(0, space));
  if (!slot || *slot >= slot_count) return std::nullopt;
  redirect.slot = static_cast<std::uint16_t>(*slot);
  const auto endpoint = error.substr(space + 1);
  // The port follows the last ':' (IPv6 addresses come without brackets).
  const auto colon = endpoint.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto port = parse_number<unsigned>(endpoint.substr(colon + 1));
  if (!port || *port == 0 || *port > 65535) return std::nullopt;
  auto host = endpoint.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.size() > UrlLimits::max_host || host.find_first_of(" \r\n") != std::string_view::npos)
    return std::nullopt;
  redirect.endpoint = {std::string(host), static_cast<std::uint16_t>(*port)};
  return redirect;
}

std::optional<std::vector<SlotRange>> parse_cluster_slots(const Reply& reply,
                                                          const std::string& asked) {
  if (reply.type != Reply::Type::array) return std::nullopt;
  std::vector<SlotRange> ranges;
  for (const auto& line : reply.elements) {
    // [first, last, [host, port, id, ...], replicas...]
    if (line.type != Reply::Type::array || line.elements.size() < 3) return std::nullopt;
    const auto& first = line.elements[0];
    const auto& last = line.elements[1];
    const auto& master = line.elements[2];
    if (first.type != Reply::Type::integer || last.type != Reply::Type::integer ||
        first.integer < 0 || last.integer < first.integer || last.integer >= slot_count)
      return std::nullopt;
    if (master.type != Reply::Type::array || master.elements.size() < 2 ||
        master.elements[0].type != Reply::Type::string ||
        master.elements[1].type != Reply::Type::integer || master.elements[1].integer <= 0 ||
        master.elements[1].integer > 65535)
      return std::nullopt;
    std::string host = master.elements[0].text;
    if (host.empty() || host == "?") host = asked;
    if (host.size() > UrlLimits::max_host || host.find_first_of(" \r\n") != std::string::npos)
      return std::nullopt;
    ranges.push_back({static_cast<std::uint16_t>(first.integer),
                      static_cast<std::uint16_t>(last.integer),
                      {std::move(host), static_cast<std::uint16_t>(master.elements[1].integer)}});
  }
  return ranges;
}

}  // namespace gatehouse::redis
