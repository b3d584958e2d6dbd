#include "orders/internal/json.h"

#include <cstdio>
#include <optional>

namespace kefu::orders::internal {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  core::Result<JsonValue> Document() {
    JsonValue v;
    if (!Value(v, 0)) return Error();
    Ws();
    if (i_ != s_.size()) {
      err_ = "trailing characters";
      return Error();
    }
    return v;
  }

 private:
  core::Status Error() const {
    return core::InvalidArgument("JSON 格式错误 invalid JSON at byte " + std::to_string(i_) +
                                 ": " + err_);
  }
  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  bool Lit(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) {
      err_ = "unexpected token";
      return false;
    }
    i_ += w.size();
    return true;
  }
  bool Value(JsonValue& v, int depth) {
    if (depth > 64) {
      err_ = "nesting too deep";
      return false;
    }
    Ws();
    if (i_ >= s_.size()) {
      err_ = "unexpected end";
      return false;
    }
    char c = s_[i_];
    if (c == '{') return Object(v, depth);
    if (c == '[') return Array(v, depth);
    if (c == '"') {
      v.type = JsonValue::Type::kString;
      return String(v.text);
    }
    if (c == 't') { v.type = JsonValue::Type::kBool; v.boolean = true; return Lit("true"); }
    if (c == 'f') { v.type = JsonValue::Type::kBool; v.boolean = false; return Lit("false"); }
    if (c == 'n') { v.type = JsonValue::Type::kNull; return Lit("null"); }
    if (c == '-' || (c >= '0' && c <= '9')) return Number(v);
    err_ = std::string("unexpected character '") + c + "'";
    return false;
  }
  bool Number(JsonValue& v) {
    size_t start = i_;
    if (s_[i_] == '-') ++i_;
    size_t digits = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') { ++i_; ++digits; }
    if (digits == 0) { err_ = "bad number"; return false; }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      size_t frac = 0;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') { ++i_; ++frac; }
      if (frac == 0) { err_ = "bad number"; return false; }
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      size_t e = 0;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') { ++i_; ++e; }
      if (e == 0) { err_ = "bad number"; return false; }
    }
    v.type = JsonValue::Type::kNumber;
    v.text = std::string(s_.substr(start, i_ - start));
    return true;
  }
  static void PutUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  bool Hex4(uint32_t& cp) {
    if (i_ + 4 > s_.size()) { err_ = "bad \\u escape"; return false; }
    cp = 0;
    for (int k = 0; k < 4; ++k) {
      char h = s_[i_++];
      cp <<= 4;
      if (h >= '0' && h <= '9') cp |= h - '0';
      else if (h >= 'a' && h <= 'f') cp |= h - 'a' + 10;
      else if (h >= 'A' && h <= 'F') cp |= h - 'A' + 10;
      else { err_ = "bad \\u escape"; return false; }
    }
    return true;
  }
  bool String(std::string& out) {
    ++i_;  // opening quote
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) { err_ = "control character in string"; return false; }
      if (c != '\\') { out += c; continue; }
      if (i_ >= s_.size()) break;
      char e = s_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (s_.substr(i_, 2) != "\\u") { err_ = "lone surrogate"; return false; }
            i_ += 2;
            if (!Hex4(lo) || lo < 0xDC00 || lo > 0xDFFF) { err_ = "lone surrogate"; return false; }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            err_ = "lone surrogate";
            return false;
          }
          PutUtf8(out, cp);
          break;
        }
        default: err_ = "bad escape"; return false;
      }
    }
    err_ = "unterminated string";
    return false;
  }
  bool Array(JsonValue& v, int depth) {
    v.type = JsonValue::Type::kArray;
    ++i_;
    Ws();
    if (i_ < s_.size() && s_[i_] == ']') { ++i_; return true; }
    while (true) {
      v.array.emplace_back();
      if (!Value(v.array.back(), depth + 1)) return false;
      Ws();
      if (i_ < s_.size() && s_[i_] == ',') { ++i_; continue; }
      if (i_ < s_.size() && s_[i_] == ']') { ++i_; return true; }
      err_ = "expected ',' or ']'";
      return false;
    }
  }
  bool Object(JsonValue& v, int depth) {
    v.type = JsonValue::Type::kObject;
    ++i_;
    Ws();
    if (i_ < s_.size() && s_[i_] == '}') { ++i_; return true; }
    while (true) {
      Ws();
      if (i_ >= s_.size() || s_[i_] != '"') { err_ = "expected a key"; return false; }
      std::string key;
      if (!String(key)) return false;
      Ws();
      if (i_ >= s_.size() || s_[i_] != ':') { err_ = "expected ':'"; return false; }
      ++i_;
      v.object.emplace_back(std::move(key), JsonValue());
      if (!Value(v.object.back().second, depth + 1)) return false;
      Ws();
      if (i_ < s_.size() && s_[i_] == ',') { ++i_; continue; }
      if (i_ < s_.size() && s_[i_] == '}') { ++i_; return true; }
      err_ = "expected ',' or '}'";
      return false;
    }
  }

  std::string_view s_;
  size_t i_ = 0;
  std::string err_;
};

}  // namespace

const JsonValue* JsonValue::Find(std::string_view key) const {
  if (type != Type::kObject) return nullptr;
  for (const auto& [k, v] : object)
    if (k == key) return &v;
  return nullptr;
}

core::Result<JsonValue> ParseJson(std::string_view text) { return Parser(text).Document(); }

void AppendQuoted(std::string& out, std::string_view s) {
  out += '"';
  // Runs of bytes that need no escape are appended at once (audit rows write many of these).
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      }
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void JsonWriter::Key(std::string_view key) {
  if (!first_) out_ += ',';
  first_ = false;
  AppendQuoted(out_, key);
  out_ += ':';
}
JsonWriter& JsonWriter::Str(std::string_view key, std::string_view v) {
  Key(key);
  AppendQuoted(out_, v);
  return *this;
}
JsonWriter& JsonWriter::Raw(std::string_view key, std::string_view json) {
  Key(key);
  out_ += json.empty() ? std::string_view("null") : json;
  return *this;
}
JsonWriter& JsonWriter::Int(std::string_view key, long long v) {
  Key(key);
  out_ += std::to_string(v);
  return *this;
}
JsonWriter& JsonWriter::Bool(std::string_view key, bool v) {
  Key(key);
  out_ += v ? "true" : "false";
  return *this;
}
JsonWriter& JsonWriter::Time(std::string_view key, const std::optional<core::Timestamp>& t) {
  Key(key);
  if (t) AppendQuoted(out_, core::FormatRfc3339(*t));
  else out_ += "null";
  return *this;
}

bool ValidUtf8(std::string_view s, size_t* bad_offset) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t min;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { n = 1; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { n = 2; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { n = 3; min = 0x10000; }
    else { if (bad_offset) *bad_offset = i; return false; }
    if (i + n >= s.size()) { if (bad_offset) *bad_offset = i; return false; }
    uint32_t cp = c & (0x3F >> n);
    for (size_t k = 1; k <= n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) { if (bad_offset) *bad_offset = i; return false; }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace kefu::orders::internal
