// A minimal JSON object writer for the after-sales records (audit before/after). Private.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "core/core.h"

namespace kefu::aftersales::internal {

inline void AppendQuoted(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

class JsonWriter {
 public:
  JsonWriter& Str(std::string_view k, std::string_view v) { Key(k); AppendQuoted(out_, v); return *this; }
  JsonWriter& Raw(std::string_view k, std::string_view v) { Key(k); out_ += v.empty() ? "null" : v; return *this; }
  JsonWriter& Int(std::string_view k, long long v) { Key(k); out_ += std::to_string(v); return *this; }
  JsonWriter& Bool(std::string_view k, bool v) { Key(k); out_ += v ? "true" : "false"; return *this; }
  JsonWriter& Time(std::string_view k, const std::optional<core::Timestamp>& t) {
    Key(k);
    if (t) AppendQuoted(out_, core::FormatRfc3339(*t));
    else out_ += "null";
    return *this;
  }
  std::string Finish() { return out_ + "}"; }

 private:
  void Key(std::string_view k) {
    if (out_.size() > 1) out_ += ',';
    AppendQuoted(out_, k);
    out_ += ':';
  }
  std::string out_ = "{";
};

}  // namespace kefu::aftersales::internal
