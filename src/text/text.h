// text: strict UTF-8 decoding, normalisation for matching (NFKC + case folding via ICU,
// traditional -> simplified via OpenCC, separator removal, digit words) with an offset map back to
// the original text, and toneless pinyin of Han characters. It does no matching and no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/core.h"

namespace kefu::text {

// Decodes strict UTF-8 into code points. Returns kInvalidArgument naming the byte offset for
// truncated or overlong sequences, bytes that never occur in UTF-8, code points above U+10FFFF,
// and encoded surrogates (a lone surrogate such as "\xED\xA0\x80" is reported as such).
core::Result<std::u32string> DecodeUtf8(std::string_view utf8);

// Appends the UTF-8 encoding of `cp` (a valid scalar value) to `out`.
void AppendUtf8(char32_t cp, std::string* out);
// The UTF-8 encoding of `text`.
std::string EncodeUtf8(std::u32string_view text);
// Trims ASCII whitespace and the ideographic space (U+3000, which IMEs insert) from both ends,
// as user-typed words and templates are stored.
std::string Trim(std::string_view s);

// Which steps Normalize applies. All are on by default (the compliance guard's setting).
struct NormalizeOptions {
  bool fold = true;             // NFKC (full-width -> half-width, ① -> 1) and case folding
  bool simplify = true;         // traditional -> simplified Chinese
  bool drop_separators = true;  // spaces, punctuation, symbols, emoji, zero-width/control chars
  bool digit_words = true;      // runs of >= 3 digit words (一三八, 壹贰叁, 幺) -> ASCII digits
};

// Normalised text plus, for every normalised code point, the span of the original text it came
// from (code-point offsets, end exclusive). Several normalised code points may share a span
// (an expansion such as "ﬁ" -> "fi").
struct Normalized {
  std::u32string text;
  std::vector<uint32_t> begin;  // begin[i]: original offset of text[i]
  std::vector<uint32_t> end;    // end[i]: original end (exclusive) of text[i]
  size_t original_length = 0;   // code points in the original text

  // The original span [first, last) covering normalised code points [b, e); b < e <= size.
  std::pair<size_t, size_t> OriginalSpan(size_t b, size_t e) const { return {begin[b], end[e - 1]}; }
  // True when something (a dropped separator) lay between text[i - 1] and text[i] in the original.
  bool GapBefore(size_t i) const { return i > 0 && end[i - 1] != begin[i]; }
  std::string Utf8() const { return EncodeUtf8(text); }
};

// Normalises UTF-8 text. kInvalidArgument as DecodeUtf8 for invalid input. Thread-safe; the first
// call builds the character tables (tens of milliseconds).
core::Result<Normalized> Normalize(std::string_view utf8, const NormalizeOptions& options = {});
// Normalises already decoded text (must hold valid scalar values).
Normalized Normalize(std::u32string_view text, const NormalizeOptions& options = {});

// Which pinyin-form units ScanForms spells out. A matcher of pinyin patterns only needs the
// units that can lie inside a match: those whose bytes occur in some pattern. The filter writes
// the others as '\x01' (like a character without a reading), which gives the same matches at
// unit boundaries and leaves less for the matcher to look at. Immutable; share it freely.
class PinyinFilter {
 public:
  // Keeps the syllables and ASCII letters/digits that occur inside one of `patterns`.
  explicit PinyinFilter(const std::vector<std::string>& patterns);

 private:
  friend class ScanForms;
  std::vector<uint64_t> unit8_;  // the table's units, the filtered ones replaced by '\x01'
};

// A text in the forms a multi-pattern matcher scans, built by one pass of table lookups over the
// UTF-8 input (the default NormalizeOptions): the normalised code points with their original
// spans (as Normalize), the same text with one 16-bit unit per code point, and its pinyin form.
// Keep one per thread and call Assign for each message: the buffers are reused, so a scan
// allocates nothing once they have grown. Not thread-safe.
class ScanForms {
 public:
  ScanForms() = default;
  ScanForms(const ScanForms&) = delete;
  ScanForms& operator=(const ScanForms&) = delete;

  // Rebuilds every form for `utf8`, spelling out the pinyin units `filter` keeps (all when null;
  // the filter must outlive the next Assign). kInvalidArgument as Normalize (the forms are then
  // empty).
  core::Status Assign(std::string_view utf8, const PinyinFilter* filter = nullptr);

  size_t size() const { return size_; }
  // Equal to Normalize(utf8)->text.
  std::u32string_view text() const { return {text_.data(), size_}; }
  // text() with one 16-bit unit per code point: the code point itself, or U+FFFF for one beyond
  // the BMP. Equal runs of units are equal runs of text() when the pattern sought has only BMP
  // characters other than U+FFFF; a match at byte offsets [b, e) of it covers text()[b/2, e/2)
  // when b is even.
  std::u16string_view bmp() const { return {bmp_.data(), size_}; }
  // The pinyin form: for each code point of text(), the toneless syllable of a Han character
  // (Pinyin), an ASCII letter or digit as it is, and '\x01' for anything else (and for the
  // units the filter given to Assign drops).
  std::string_view pinyin() const { return {pinyin_.data(), slot_.empty() ? 0 : slot_[size_].pinyin}; }
  // Byte offset of code point i (0 <= i <= size()) in pinyin().
  uint32_t pinyin_offset(size_t i) const { return slot_[i].pinyin; }
  // The index of the code point of text() that starts at `byte` of pinyin() (size() for the
  // end), or -1 when `byte` falls inside one.
  long IndexAtPinyinByte(size_t byte) const;
  // Indexes of the ASCII letters and digits in text(), ascending (handles, numbers).
  std::span<const uint32_t> ascii_alnum() const { return {ascii_.data(), ascii_size_}; }

  size_t original_length() const { return original_length_; }
  // As Normalized: the original span of text()[b, e), and whether a separator was dropped
  // between text()[i - 1] and text()[i].
  std::pair<size_t, size_t> OriginalSpan(size_t b, size_t e) const {
    return {slot_[b].begin, slot_[e - 1].begin + 1};
  }
  bool GapBefore(size_t i) const { return i > 0 && slot_[i - 1].begin + 1 != slot_[i].begin; }
  // The original substring text()[b, e) came from; `original` must be the text given to Assign.
  std::string_view OriginalSubstr(std::string_view original, size_t b, size_t e) const;
  // True when text() holds an ASCII letter / an ASCII letter or digit.
  bool has_ascii_letter() const { return has_ascii_letter_; }
  bool has_ascii_alnum() const { return ascii_size_ > 0; }

 private:
  // Per code point of text_ (one more at size_ for the end offsets).
  struct Slot {
    uint32_t begin;   // original code-point offset; the original end is begin + 1
    uint32_t byte;    // original byte offset + base_ (mod 2^32)
    uint32_t pinyin;  // offset in pinyin_
  };

  void Reserve(size_t code_points);
  void Clear();
  void Slow(char32_t cp, uint32_t i, uint32_t at, size_t remaining);
  bool NeedsDigitConversion() const;  // during Assign, with ascii_ holding digit words too
  void EncodeForms();

  // Sized to a capacity; only the first size_ (+1 for slot_) entries are meaningful.
  std::vector<char32_t> text_;
  std::vector<char16_t> bmp_;
  std::vector<Slot> slot_;
  std::vector<char> pinyin_;
  // Indexes of ASCII letters and digits in text_, ascending; during Assign, also of digit words.
  std::vector<uint32_t> ascii_;
  size_t size_ = 0;
  size_t ascii_size_ = 0;
  size_t original_length_ = 0;
  const uint64_t* unit8_ = nullptr;  // pinyin units in use (CharTable's or a filter's)
  uint32_t base_ = 0;  // low 32 bits of the input's address: Slot::byte is relative to it
  uint32_t plen_ = 0;  // during Assign: bytes written to pinyin_
  bool has_ascii_letter_ = false;
};

// The normalised form of one code point alone (fold + simplify; empty when it is a separator).
std::u32string NormalizeChar(char32_t cp);

// True for a character of the Han script.
bool IsHan(char32_t cp);
// True for characters Normalize drops as separators (before folding).
bool IsSeparator(char32_t cp);
// The digit 0-9 a digit word stands for (一 壹 〇 零 两 幺 ...), or -1.
int DigitWordValue(char32_t cp);

// Toneless lower-case pinyin of a simplified Han character's most common reading ("wei" for 微),
// or empty when unknown. Covers the 8,105 characters of 《通用规范汉字表》.
std::string_view Pinyin(char32_t cp);
// The pinyin of a text: each Han character's syllable, other characters as they are (UTF-8),
// separated by `sep`. Characters without pinyin are kept as they are.
std::string ToPinyin(std::u32string_view text, std::string_view sep = " ");

}  // namespace kefu::text
