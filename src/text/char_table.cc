// Builds the per-code-point tables from the libraries (ICU for NFKC + case folding and character
// properties, OpenCC for traditional -> simplified) so the hot loop is a table lookup.
#include "text/internal/char_table.h"

#include <opencc/opencc.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/unistr.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

#include "embedded/text_data.h"
#include "text/text.h"

namespace kefu::text::internal {
namespace {

std::u32string DecodeAll(std::string_view s) {
  std::u32string out;
  auto* p = reinterpret_cast<const unsigned char*>(s.data());
  auto* end = p + s.size();
  while (p < end) {
    char32_t cp;
    bool sur;
    if (!DecodeOne(p, end, &cp, &sur)) {
      ++p;
      continue;
    }
    out.push_back(cp);
  }
  return out;
}

// Fills t2s from the embedded OpenCC table: "key<TAB>value value..." (first value wins).
void LoadEmbeddedT2s(std::vector<char32_t>* t2s) {
  std::string_view data = kefu::embedded::text_data("data/opencc/TSCharacters.txt");
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string_view::npos) nl = data.size();
    std::string_view line = data.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty() || line[0] == '#') continue;
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos) continue;
    std::u32string key = DecodeAll(line.substr(0, tab));
    std::string_view rest = line.substr(tab + 1);
    size_t sp = rest.find(' ');
    std::u32string val = DecodeAll(rest.substr(0, sp));
    if (key.size() == 1 && val.size() == 1 && key[0] < kTableSize) (*t2s)[key[0]] = val[0];
  }
}

// Overrides t2s with libopencc's answer for every BMP Han character, when its data is installed.
// Characters are converted one per line so phrase rules never span two of them.
void LoadLibOpenccT2s(const std::vector<uint8_t>& flags, std::vector<char32_t>* t2s) {
  opencc_t cc = opencc_open("t2s.json");
  if (cc == reinterpret_cast<opencc_t>(-1)) return;
  std::string input;
  std::vector<char32_t> cps;
  for (char32_t cp = 0x3400; cp < 0x10000; ++cp) {
    if (!(flags[cp] & kFlagHan)) continue;
    cps.push_back(cp);
    kefu::text::AppendUtf8(cp, &input);
    input.push_back('\n');
  }
  char* out = opencc_convert_utf8(cc, input.data(), input.size());
  if (out != nullptr) {
    std::string_view conv(out);
    std::vector<std::u32string> lines;
    size_t pos = 0;
    while (pos < conv.size()) {
      size_t nl = conv.find('\n', pos);
      if (nl == std::string_view::npos) nl = conv.size();
      lines.push_back(DecodeAll(conv.substr(pos, nl - pos)));
      pos = nl + 1;
    }
    if (lines.size() == cps.size()) {
      for (size_t i = 0; i < cps.size(); ++i) {
        if (lines[i].size() == 1) (*t2s)[cps[i]] = lines[i][0];
      }
    }
    opencc_convert_utf8_free(out);
  }
  opencc_close(cc);
}

// "wéi" -> "wei", "lǜ" -> "lv".
std::string StripTones(std::string_view s) {
  static const std::unordered_map<char32_t, char> kPlain = {
      {U'ā', 'a'}, {U'á', 'a'}, {U'ǎ', 'a'}, {U'à', 'a'}, {U'ē', 'e'}, {U'é', 'e'}, {U'ě', 'e'},
      {U'è', 'e'}, {U'ī', 'i'}, {U'í', 'i'}, {U'ǐ', 'i'}, {U'ì', 'i'}, {U'ō', 'o'}, {U'ó', 'o'},
      {U'ǒ', 'o'}, {U'ò', 'o'}, {U'ū', 'u'}, {U'ú', 'u'}, {U'ǔ', 'u'}, {U'ù', 'u'}, {U'ǖ', 'v'},
      {U'ǘ', 'v'}, {U'ǚ', 'v'}, {U'ǜ', 'v'}, {U'ü', 'v'}, {U'ń', 'n'}, {U'ň', 'n'}, {U'ǹ', 'n'},
      {U'ḿ', 'm'}, {U'ê', 'e'}, {U'ế', 'e'}, {U'ề', 'e'}};
  std::string out;
  for (char32_t c : DecodeAll(s)) {
    if (c < 0x80) {
      if (c >= 'a' && c <= 'z') out.push_back(static_cast<char>(c));
      continue;
    }
    auto it = kPlain.find(c);
    if (it != kPlain.end()) out.push_back(it->second);
  }
  return out;
}

// Lines "U+4E00: yī  # 一".
void LoadPinyin(CharTable* t) {
  std::string_view data = kefu::embedded::text_data("data/pinyin/kMandarin_8105.txt");
  std::unordered_map<std::string, uint16_t> index;
  t->syllables.push_back("");
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string_view::npos) nl = data.size();
    std::string_view line = data.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.size() < 4 || line.substr(0, 2) != "U+") continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    char32_t cp = static_cast<char32_t>(std::stoul(std::string(line.substr(2, colon - 2)), nullptr, 16));
    std::string_view rest = line.substr(colon + 1);
    size_t hash = rest.find('#');
    rest = rest.substr(0, hash);
    size_t comma = rest.find(',');
    std::string syl = StripTones(rest.substr(0, comma));
    if (syl.empty() || cp >= kTableSize) continue;
    auto [it, added] = index.emplace(syl, static_cast<uint16_t>(t->syllables.size()));
    if (added) t->syllables.push_back(syl);
    t->pinyin[cp] = it->second;
  }
}

// Variant forms (异体字) that OpenCC's t2s leaves alone: "variant<TAB>standard" lines.
void LoadVariants(std::vector<char32_t>* t2s) {
  std::string_view data = kefu::embedded::text_data("data/opencc/variants.txt");
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string_view::npos) nl = data.size();
    std::string_view line = data.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty() || line[0] == '#') continue;
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos) continue;
    std::u32string key = DecodeAll(line.substr(0, tab));
    std::u32string val = DecodeAll(line.substr(tab + 1, line.find_first_of("\t #", tab + 1) - tab - 1));
    if (key.size() == 1 && val.size() == 1 && key[0] < kTableSize) (*t2s)[key[0]] = val[0];
  }
}

// Fills the scan pass's tables from map, pinyin and the digit words.
void Pack(CharTable* t) {
  t->digit_word.assign(kTableSize, 0);
  for (char32_t cp = 0; cp < kTableSize; ++cp) {
    if (DigitWordValue(cp) >= 0) t->digit_word[cp] = 1;
  }
  auto add_unit = [&](std::string_view bytes) {
    if (bytes.size() > 8) std::abort();  // pinyin syllables are at most 6 letters
    if (bytes.size() > 6) std::abort();
    uint64_t v = 0;
    std::memcpy(&v, bytes.data(), bytes.size());
    t->unit8.push_back(v | (static_cast<uint64_t>(bytes.size()) << 56));
  };
  add_unit("\x01");  // kUnitNone
  add_unit("");       // kUnitDropped
  for (size_t i = 1; i < t->syllables.size(); ++i) add_unit(t->syllables[i]);
  const size_t ascii_base = t->unit8.size();
  const std::string alnum = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (char c : alnum) add_unit(std::string_view(&c, 1));
  if (t->unit8.size() > kPackedUnitMask + 1) std::abort();
  auto unit_of = [&](char32_t c) -> uint64_t {
    if (c < 0x80) {
      size_t pos = alnum.find(static_cast<char>(c));
      return pos == std::string::npos ? kUnitNone : ascii_base + pos;
    }
    if (c < kTableSize && t->pinyin[c] != 0) return t->pinyin[c] + kUnitSyllableBase;
    return kUnitNone;
  };
  auto is_digit_word = [&](char32_t c) { return c < kTableSize && t->digit_word[c] != 0; };
  t->packed.assign(kTableSize, 0);
  for (char32_t cp = 0; cp < kTableSize; ++cp) {
    uint32_t entry = t->map[cp];
    uint32_t kind = entry >> 24;
    uint64_t value = entry & 0xFFFFFF;
    uint64_t p = 0;
    if (kind == kDrop) {
      p = uint64_t{kUnitDropped} << kPackedUnitShift;
    } else if (kind == kKeep) {
      char32_t c = static_cast<char32_t>(value);
      if (c < 0x10000) {
        p = (value << kPackedCpShift) | kPackedKeepBit | (unit_of(c) << kPackedUnitShift);
        if (is_digit_word(c)) p |= uint64_t{1} << kPackedDigitWordShift;
        if (c >= 'a' && c <= 'z') p |= uint64_t{1} << kPackedAsciiShift;
        if (c >= '0' && c <= '9') p |= uint64_t{2} << kPackedAsciiShift;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) p |= uint64_t{1} << kPackedAlnumShift;
      } else {
        t->expansions.push_back(std::u32string(1, c));
        p = ((t->expansions.size() - 1) << kPackedCpShift) | kPackedExpandBit;
      }
    } else {
      p = (value << kPackedCpShift) | kPackedExpandBit;
    }
    if (p & ((uint64_t{1} << kPackedDigitWordShift) | (uint64_t{1} << kPackedAlnumShift))) {
      p |= uint64_t{1} << kPackedMarkShift;
    }
    t->packed[cp] = p;
  }
}

CharTable Build() {
  CharTable t;
  t.map.assign(kTableSize, 0);
  t.flags.assign(kTableSize, 0);
  t.pinyin.assign(kTableSize, 0);
  t.t2s.resize(kTableSize);
  for (char32_t cp = 0; cp < kTableSize; ++cp) {
    t.t2s[cp] = cp;
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    if (SlowIsHan(cp)) t.flags[cp] |= kFlagHan;
    if (SlowIsSeparator(cp)) t.flags[cp] |= kFlagSeparator;
  }
  LoadEmbeddedT2s(&t.t2s);
  LoadLibOpenccT2s(t.flags, &t.t2s);
  LoadPinyin(&t);
  LoadVariants(&t.t2s);
  std::unordered_map<std::u32string, uint32_t> exp_index;
  for (char32_t cp = 0; cp < kTableSize; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    if (t.flags[cp] & kFlagSeparator) {
      t.map[cp] = kDrop << 24;
      continue;
    }
    std::u32string out;
    for (char32_t c : Fold(cp)) {
      if (c < kTableSize ? (t.flags[c] & kFlagSeparator) : SlowIsSeparator(c)) continue;
      out.push_back(c < kTableSize ? t.t2s[c] : c);
    }
    if (out.empty()) {
      t.map[cp] = kDrop << 24;
    } else if (out.size() == 1) {
      t.map[cp] = (kKeep << 24) | out[0];
    } else {
      auto [it, added] = exp_index.emplace(out, static_cast<uint32_t>(t.expansions.size()));
      if (added) t.expansions.push_back(out);
      t.map[cp] = (kExpand << 24) | it->second;
    }
  }
  Pack(&t);
  return t;
}

}  // namespace

const CharTable& Table() {
  static const CharTable table = Build();
  return table;
}

bool DecodeOne(const unsigned char*& p, const unsigned char* end, char32_t* cp,
               bool* lone_surrogate) {
  *lone_surrogate = false;
  unsigned char b0 = *p;
  if (b0 < 0x80) {
    *cp = b0;
    ++p;
    return true;
  }
  int n;
  char32_t c;
  char32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 1, c = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 2, c = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 3, c = b0 & 0x07, min = 0x10000;
  } else {
    return false;
  }
  if (end - p <= n) return false;
  for (int i = 1; i <= n; ++i) {
    unsigned char b = p[i];
    if ((b & 0xC0) != 0x80) return false;
    c = (c << 6) | (b & 0x3F);
  }
  if (c < min || c > 0x10FFFF) return false;
  if (c >= 0xD800 && c <= 0xDFFF) {
    *lone_surrogate = true;
    *cp = c;
    return false;
  }
  *cp = c;
  p += n + 1;
  return true;
}

core::Status DecodeError(const unsigned char* start, const unsigned char* p, bool lone_surrogate,
                         char32_t cp) {
  size_t at = static_cast<size_t>(p - start);
  if (lone_surrogate) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
    return core::InvalidArgument("text has a lone surrogate " + std::string(buf) + " at byte " +
                                     std::to_string(at) + " (not valid UTF-8)",
                                 "text");
  }
  return core::InvalidArgument("text is not valid UTF-8 at byte " + std::to_string(at), "text");
}

bool SlowIsSeparator(char32_t cp) {
  // Emoji blocks newer than the ICU in use are unassigned to it; they are still decoration.
  if (cp >= 0x1F000 && cp <= 0x1FAFF) return true;
  if (cp >= 0xE0000 && cp <= 0xE007F) return true;  // tag characters (emoji flags)
  switch (u_charType(static_cast<UChar32>(cp))) {
    case U_SPACE_SEPARATOR:
    case U_LINE_SEPARATOR:
    case U_PARAGRAPH_SEPARATOR:
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:  // zero-width space/joiner, BOM, soft hyphen
    case U_NON_SPACING_MARK:  // variation selectors, combining accents
    case U_ENCLOSING_MARK:    // keycap
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_CONNECTOR_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
    case U_MATH_SYMBOL:
    case U_CURRENCY_SYMBOL:
    case U_MODIFIER_SYMBOL:
    case U_OTHER_SYMBOL:
      return true;
    default:
      return false;
  }
}

bool SlowIsHan(char32_t cp) {
  UErrorCode status = U_ZERO_ERROR;
  return uscript_getScript(static_cast<UChar32>(cp), &status) == USCRIPT_HAN && U_SUCCESS(status);
}

std::u32string Fold(char32_t cp) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status)) return std::u32string(1, cp);
  icu::UnicodeString src(static_cast<UChar32>(cp));
  icu::UnicodeString dst = n->normalize(src, status);
  if (U_FAILURE(status)) return std::u32string(1, cp);
  std::u32string out;
  for (int32_t i = 0; i < dst.length();) {
    UChar32 c = dst.char32At(i);
    out.push_back(static_cast<char32_t>(c));
    i += U16_LENGTH(c);
  }
  return out;
}

}  // namespace kefu::text::internal
