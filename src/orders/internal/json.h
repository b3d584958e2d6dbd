// A small JSON reader that keeps numbers as their source text (so money like 12.30 is parsed
// exactly by core::Money), and writer helpers. Private to the orders module.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/core.h"

namespace kefu::orders::internal {

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  std::string text;  // string contents, or a number's source text
  std::vector<JsonValue> array;
  std::vector<std::pair<std::string, JsonValue>> object;

  // The member named `key`, or null when absent / not an object.
  const JsonValue* Find(std::string_view key) const;
};

// Parses one JSON document; kInvalidArgument with the byte offset on malformed input.
core::Result<JsonValue> ParseJson(std::string_view text);

// Appends `s` as a quoted JSON string.
void AppendQuoted(std::string& out, std::string_view s);
// Writes {"k":v,...} incrementally: Key("a").Str("x"); raw values are inserted as they are.
class JsonWriter {
 public:
  JsonWriter() { out_ = "{"; }
  JsonWriter& Str(std::string_view key, std::string_view v);
  JsonWriter& Raw(std::string_view key, std::string_view json);
  JsonWriter& Int(std::string_view key, long long v);
  JsonWriter& Bool(std::string_view key, bool v);
  JsonWriter& Time(std::string_view key, const std::optional<core::Timestamp>& t);
  std::string Finish() { out_ += '}'; return std::move(out_); }

 private:
  void Key(std::string_view key);
  std::string out_;
  bool first_ = true;
};

// True when `s` is well-formed UTF-8; *bad_offset gets the first bad byte otherwise.
bool ValidUtf8(std::string_view s, size_t* bad_offset = nullptr);

}  // namespace kefu::orders::internal
