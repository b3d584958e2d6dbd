// Private to src/text: per-code-point tables built once from ICU, OpenCC and the pinyin data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kefu::text::internal {

// Code points below this have precomputed entries; the rest take the (rare) slow path.
inline constexpr char32_t kTableSize = 0x30000;

enum Kind : uint32_t { kKeep = 0, kDrop = 1, kExpand = 2 };

struct CharTable {
  // entry = (kind << 24) | value; value is the mapped code point (kKeep) or an index into
  // `expansions` (kExpand).
  std::vector<uint32_t> map;
  std::vector<std::u32string> expansions;
  std::vector<uint8_t> flags;      // kFlagHan | kFlagSeparator, of the raw code point
  std::vector<uint16_t> pinyin;    // index into `syllables`; 0 = none
  std::vector<std::string> syllables;
  std::vector<char32_t> t2s;       // traditional -> simplified per code point (identity if none)
};

inline constexpr uint8_t kFlagHan = 1;
inline constexpr uint8_t kFlagSeparator = 2;

// The tables, built on first use (thread-safe static initialisation).
const CharTable& Table();

// Decodes one code point at p (p < end). On success advances p and returns true; on failure
// leaves p at the bad byte and sets *lone_surrogate when the bytes encode a surrogate.
bool DecodeOne(const unsigned char*& p, const unsigned char* end, char32_t* cp,
               bool* lone_surrogate);

// ICU-based slow paths, for code points outside the table or non-default options.
bool SlowIsSeparator(char32_t cp);
bool SlowIsHan(char32_t cp);
std::u32string Fold(char32_t cp);

}  // namespace kefu::text::internal
