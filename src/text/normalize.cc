// Decoding and normalisation. The default options run as one pass of table lookups over the
// UTF-8 bytes (the compliance guard's hot path); other options take per-character ICU calls.
#include <string>

#include "text/internal/char_table.h"
#include "text/text.h"

namespace kefu::text {
namespace {

using internal::CharTable;
using internal::kTableSize;

inline void Push(Normalized* n, char32_t c, uint32_t b, uint32_t e) {
  n->text.push_back(c);
  n->begin.push_back(b);
  n->end.push_back(e);
}

// Maps one code point with the default options.
inline void MapDefault(const CharTable& t, char32_t cp, uint32_t i, Normalized* n) {
  if (cp < kTableSize) {
    uint32_t entry = t.map[cp];
    uint32_t kind = entry >> 24;
    if (kind == internal::kKeep) {
      Push(n, entry & 0xFFFFFF, i, i + 1);
    } else if (kind == internal::kExpand) {
      for (char32_t c : t.expansions[entry & 0xFFFFFF]) Push(n, c, i, i + 1);
    }
    return;
  }
  if (internal::SlowIsSeparator(cp)) return;
  for (char32_t c : internal::Fold(cp)) {
    if (!internal::SlowIsSeparator(c)) Push(n, c, i, i + 1);
  }
}

void MapWithOptions(const CharTable& t, char32_t cp, uint32_t i, const NormalizeOptions& o,
                    Normalized* n) {
  if (o.drop_separators && IsSeparator(cp)) return;
  std::u32string folded = o.fold ? internal::Fold(cp) : std::u32string(1, cp);
  for (char32_t c : folded) {
    if (o.drop_separators && IsSeparator(c)) continue;
    if (o.simplify && c < kTableSize) c = t.t2s[c];
    Push(n, c, i, i + 1);
  }
}

// Runs of at least 3 digits/digit words that contain a digit word become ASCII digits, so
// 一三八 and 壹叁捌 read as 138 while 第一 or 一两天 keep their characters.
void ConvertDigitWords(Normalized* n) {
  std::u32string& s = n->text;
  size_t i = 0;
  while (i < s.size()) {
    auto is_digitish = [&](char32_t c) { return (c >= '0' && c <= '9') || DigitWordValue(c) >= 0; };
    if (!is_digitish(s[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    bool has_word = false;
    while (j < s.size() && is_digitish(s[j])) {
      if (s[j] > 0x7F) has_word = true;
      ++j;
    }
    if (has_word && j - i >= 3) {
      for (size_t k = i; k < j; ++k) {
        int v = DigitWordValue(s[k]);
        if (v >= 0) s[k] = static_cast<char32_t>('0' + v);
      }
    }
    i = j;
  }
}

}  // namespace

core::Result<std::u32string> DecodeUtf8(std::string_view utf8) {
  std::u32string out;
  out.reserve(utf8.size());
  auto* start = reinterpret_cast<const unsigned char*>(utf8.data());
  auto* p = start;
  auto* end = start + utf8.size();
  while (p < end) {
    char32_t cp = 0;
    bool sur = false;
    if (!internal::DecodeOne(p, end, &cp, &sur)) return internal::DecodeError(start, p, sur, cp);
    out.push_back(cp);
  }
  return out;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string Trim(std::string_view s) {
  constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";
  for (bool changed = true; changed;) {
    changed = false;
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
      s.remove_prefix(1);
      changed = true;
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
      s.remove_suffix(1);
      changed = true;
    }
    if (s.starts_with(kIdeographicSpace)) {
      s.remove_prefix(kIdeographicSpace.size());
      changed = true;
    }
    if (s.ends_with(kIdeographicSpace)) {
      s.remove_suffix(kIdeographicSpace.size());
      changed = true;
    }
  }
  return std::string(s);
}

std::string EncodeUtf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size() * 3);
  for (char32_t c : text) AppendUtf8(c, &out);
  return out;
}

core::Result<Normalized> Normalize(std::string_view utf8, const NormalizeOptions& options) {
  const CharTable& t = internal::Table();
  const bool fast = options.fold && options.simplify && options.drop_separators;
  Normalized n;
  n.text.reserve(utf8.size() / 2 + 8);
  n.begin.reserve(utf8.size() / 2 + 8);
  n.end.reserve(utf8.size() / 2 + 8);
  auto* start = reinterpret_cast<const unsigned char*>(utf8.data());
  auto* p = start;
  auto* end = start + utf8.size();
  uint32_t i = 0;
  while (p < end) {
    char32_t cp;
    if (*p < 0x80) {
      cp = *p++;
    } else {
      bool sur = false;
      cp = 0;
      if (!internal::DecodeOne(p, end, &cp, &sur)) return internal::DecodeError(start, p, sur, cp);
    }
    if (fast) {
      MapDefault(t, cp, i, &n);
    } else {
      MapWithOptions(t, cp, i, options, &n);
    }
    ++i;
  }
  n.original_length = i;
  if (options.digit_words) ConvertDigitWords(&n);
  return n;
}

Normalized Normalize(std::u32string_view text, const NormalizeOptions& options) {
  const CharTable& t = internal::Table();
  const bool fast = options.fold && options.simplify && options.drop_separators;
  Normalized n;
  uint32_t i = 0;
  for (char32_t cp : text) {
    if (fast) {
      MapDefault(t, cp, i, &n);
    } else {
      MapWithOptions(t, cp, i, options, &n);
    }
    ++i;
  }
  n.original_length = i;
  if (options.digit_words) ConvertDigitWords(&n);
  return n;
}

std::u32string NormalizeChar(char32_t cp) {
  Normalized n;
  MapDefault(internal::Table(), cp, 0, &n);
  return n.text;
}

bool IsHan(char32_t cp) {
  if (cp < kTableSize) return internal::Table().flags[cp] & internal::kFlagHan;
  return internal::SlowIsHan(cp);
}

bool IsSeparator(char32_t cp) {
  if (cp < kTableSize) return internal::Table().flags[cp] & internal::kFlagSeparator;
  return internal::SlowIsSeparator(cp);
}

int DigitWordValue(char32_t cp) {
  switch (cp) {
    case U'〇': case U'零': return 0;
    case U'一': case U'壹': case U'幺': return 1;
    case U'二': case U'贰': case U'貳': case U'两': case U'兩': return 2;
    case U'三': case U'叁': case U'參': return 3;
    case U'四': case U'肆': return 4;
    case U'五': case U'伍': return 5;
    case U'六': case U'陆': case U'陸': return 6;
    case U'七': case U'柒': return 7;
    case U'八': case U'捌': return 8;
    case U'九': case U'玖': return 9;
    default: return -1;
  }
}

std::string_view Pinyin(char32_t cp) {
  const CharTable& t = internal::Table();
  if (cp >= kTableSize) return {};
  return t.syllables[t.pinyin[cp]];
}

std::string ToPinyin(std::u32string_view text, std::string_view sep) {
  std::string out;
  bool first = true;
  for (char32_t c : text) {
    if (!first) out.append(sep);
    first = false;
    std::string_view py = Pinyin(c);
    if (!py.empty()) {
      out.append(py);
    } else {
      AppendUtf8(c, &out);
    }
  }
  return out;
}

}  // namespace kefu::text
