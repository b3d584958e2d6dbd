// text: strict UTF-8 decoding, normalisation for matching (NFKC + case folding via ICU,
// traditional -> simplified via OpenCC, separator removal, digit words) with an offset map back to
// the original text, and toneless pinyin of Han characters. It does no matching and no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
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

// A text in the forms a multi-pattern matcher scans, built by one pass of table lookups over the
// UTF-8 input (the default NormalizeOptions): the normalised code points with their original
// spans (as Normalize), the same text as UTF-8, and its pinyin form. Keep one per thread and call
// Assign for each message: the buffers are reused, so a scan allocates nothing once they have
// grown. Not thread-safe.
class ScanForms {
 public:
  ScanForms() = default;
  ScanForms(const ScanForms&) = delete;
  ScanForms& operator=(const ScanForms&) = delete;

  // Rebuilds every form for `utf8`. kInvalidArgument as Normalize (the forms are then empty).
  core::Status Assign(std::string_view utf8);

  size_t size() const { return size_; }
  // Equal to Normalize(utf8)->text.
  std::u32string_view text() const { return {text_.data(), size_}; }
  // text() as UTF-8.
  std::string_view utf8() const { return {utf8_.data(), utf8_offset_.empty() ? 0 : utf8_offset_[size_]}; }
  // The pinyin form: for each code point of text(), the toneless syllable of a Han character
  // (Pinyin), an ASCII letter or digit as it is, and '\x01' for anything else.
  std::string_view pinyin() const {
    return {pinyin_.data(), pinyin_offset_.empty() ? 0 : pinyin_offset_[size_]};
  }
  // Byte offset of code point i (0 <= i <= size()) in utf8() and in pinyin().
  uint32_t utf8_offset(size_t i) const { return utf8_offset_[i]; }
  uint32_t pinyin_offset(size_t i) const { return pinyin_offset_[i]; }
  // The index of the code point of text() that starts at `byte` of utf8() / pinyin() (size() for
  // the end), or -1 when `byte` falls inside one.
  long IndexAtUtf8Byte(size_t byte) const;
  long IndexAtPinyinByte(size_t byte) const;

  size_t original_length() const { return original_length_; }
  // As Normalized: the original span of text()[b, e), and whether a separator was dropped
  // between text()[i - 1] and text()[i].
  std::pair<size_t, size_t> OriginalSpan(size_t b, size_t e) const {
    return {begin_[b], begin_[e - 1] + 1};
  }
  bool GapBefore(size_t i) const { return i > 0 && begin_[i - 1] + 1 != begin_[i]; }
  // True when text() holds an ASCII letter / an ASCII letter or digit.
  bool has_ascii_letter() const { return has_ascii_letter_; }
  bool has_ascii_alnum() const { return has_ascii_alnum_; }

 private:
  void Reserve(size_t code_points);
  bool NeedsDigitConversion(size_t words) const;
  void EncodeForms();

  // Sized to a capacity; only the first size_ (+1 for the offsets) entries are meaningful.
  std::vector<char32_t> text_;
  std::vector<uint32_t> begin_;  // original offset of text_[i]; its end is begin_[i] + 1
  std::vector<char> utf8_;
  std::vector<char> pinyin_;
  std::vector<uint32_t> utf8_offset_;
  std::vector<uint32_t> pinyin_offset_;
  std::vector<uint32_t> digit_words_;  // indexes of digit words in text_ (ascending)
  size_t size_ = 0;
  size_t original_length_ = 0;
  bool has_ascii_letter_ = false;
  bool has_ascii_alnum_ = false;
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
