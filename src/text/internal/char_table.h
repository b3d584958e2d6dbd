// Private to src/text: per-code-point tables built once from ICU, OpenCC and the pinyin data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

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

  // The scan pass's one lookup per code point (layout: kPacked*): what `map` says plus, for a
  // kept code point, its UTF-8 bytes, its pinyin-form unit and whether it is a digit word.
  std::vector<uint64_t> packed;
  // Pinyin-form units: 0 = "\x01" (no reading), 1 = "" (dropped), then every syllable (index
  // = syllable index + kUnitSyllableBase), then ASCII letters and digits. Each is its bytes
  // (<= 6) with its length in the top byte, so one unaligned 8-byte store writes a unit.
  std::vector<uint64_t> unit8;
  std::vector<uint8_t> digit_word;  // 1 per code point DigitWordValue knows
};

// Layout of CharTable::packed entries. A kept code point beyond the BMP is packed as an
// expansion of one code point (the slow path).
inline constexpr int kPackedCpShift = 24;         // bits 24-44: kept code point / expansion index
inline constexpr uint64_t kPackedExpandBit = uint64_t{1} << 45;
inline constexpr uint64_t kPackedKeepBit = uint64_t{1} << 46;
inline constexpr int kPackedDigitWordShift = 47;  // bit 47: the output holds a digit word
inline constexpr int kPackedUnitShift = 50;       // bits 50-59: pinyin-form unit
inline constexpr uint64_t kPackedUnitMask = 0x3FF;
inline constexpr int kPackedAsciiShift = 60;      // bit 60: ASCII letter, bit 61: ASCII digit
inline constexpr int kPackedAlnumShift = 62;      // bit 62: ASCII letter or digit
inline constexpr int kPackedMarkShift = 63;       // bit 63: ASCII letter or digit, or digit word
inline constexpr unsigned kUnitNone = 0;
inline constexpr unsigned kUnitDropped = 1;
inline constexpr unsigned kUnitSyllableBase = 1;  // syllable s (>= 1) is unit s + 1

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

// The error Normalize reports for the undecodable sequence at p (start: the text's first byte).
core::Status DecodeError(const unsigned char* start, const unsigned char* p, bool lone_surrogate,
                         char32_t cp);

}  // namespace kefu::text::internal
