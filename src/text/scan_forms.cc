// ScanForms: the compliance guard's hot path. The input is validated with SIMD first, then one
// pass decodes it and does one lookup per code point in CharTable::packed, which gives the folded
// and simplified code point, its pinyin-form unit and whether it is a digit word or ASCII
// alphanumeric; the normalised text, its 16-bit form, its pinyin form and the offsets are written
// together, without branches for kept/dropped characters, into buffers sized before the pass.
// Expansions (ﬁ -> fi), outputs beyond the BMP and code points beyond the table take Slow, which
// gives the same result as Normalize; runs of digit words are converted afterwards (rare).
#include <simdjson.h>

#include <algorithm>
#include <cstring>

#include "text/internal/char_table.h"
#include "text/text.h"

namespace kefu::text {
namespace {

using internal::CharTable;
using internal::kTableSize;

// After a huge message, buffers above this many code points are released by the next message
// that needs less than an eighth of them.
constexpr size_t kShrinkAbove = size_t{1} << 16;

inline bool IsAsciiAlnum(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

inline bool IsDigitish(const CharTable& tb, char32_t c) {
  return (c >= '0' && c <= '9') || (c < kTableSize && tb.digit_word[c] != 0);
}

// The pinyin-form unit of any code point (for the slow paths).
// A character reached through an expansion may itself have an expanding entry (no unit in
// `packed`), so a Han character's syllable is read from the pinyin table directly.
inline unsigned UnitOf(const CharTable& tb, char32_t c) {
  if (c < kTableSize) {
    if (c >= 0x80 && tb.pinyin[c] != 0) return tb.pinyin[c] + internal::kUnitSyllableBase;
    return static_cast<unsigned>(tb.packed[c] >> internal::kPackedUnitShift) & internal::kPackedUnitMask;
  }
  return internal::kUnitNone;
}

// Runs of at least 3 digits/digit words that contain a digit word become ASCII digits (as
// Normalize does).
void ConvertDigitWords(char32_t* s, size_t n) {
  auto is_digitish = [](char32_t c) { return (c >= '0' && c <= '9') || DigitWordValue(c) >= 0; };
  size_t i = 0;
  while (i < n) {
    if (!is_digitish(s[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    bool has_word = false;
    while (j < n && is_digitish(s[j])) {
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

void ScanForms::Reserve(size_t code_points) {
  size_t cap = code_points + 1;
  if (text_.size() > kShrinkAbove && cap < text_.size() / 8) {
    std::vector<char32_t>().swap(text_);
    std::vector<Slot>().swap(slot_);
    std::vector<char16_t>().swap(bmp_);
    std::vector<char>().swap(pinyin_);
    std::vector<uint32_t>().swap(ascii_);
  }
  if (text_.size() >= cap) return;
  text_.resize(cap);
  slot_.resize(cap + 1);
  ascii_.resize(cap);
  bmp_.resize(cap);
  pinyin_.resize(6 * cap + 8);  // <= 6 bytes per unit, +slack for 8-byte stores
}

void ScanForms::Clear() {
  size_ = ascii_size_ = original_length_ = 0;
  plen_ = 0;
  slot_[0] = Slot{0, 0, 0};
  has_ascii_letter_ = false;
}

// Appends what code point cp (the i-th of the original, at byte `at` + base_) becomes, for the cases the
// packed table does not cover, exactly as Normalize's MapDefault does. `remaining`: input bytes
// after cp, each of which may still add one code point.
void ScanForms::Slow(char32_t cp, uint32_t i, uint32_t at, size_t remaining) {
  const CharTable& tb = internal::Table();
  std::u32string out;
  if (cp < kTableSize) {
    out = tb.expansions[(tb.packed[cp] >> internal::kPackedCpShift) & 0x1FFFFF];
  } else if (!internal::SlowIsSeparator(cp)) {
    for (char32_t c : internal::Fold(cp)) {
      if (!internal::SlowIsSeparator(c)) out.push_back(c);
    }
  }
  size_t need = size_ + out.size() + remaining;
  if (need + 1 > text_.size()) Reserve(2 * need);
  for (char32_t c : out) {
    unsigned unit = UnitOf(tb, c);
    size_t n = size_;
    text_[n] = c;
    bmp_[n] = c < 0x10000 ? static_cast<char16_t>(c) : u'\uFFFF';
    slot_[n] = Slot{i, at, plen_};
    std::memcpy(pinyin_.data() + plen_, &unit8_[unit], 8);
    plen_ += static_cast<uint32_t>(unit8_[unit] >> 56);
    if (DigitWordValue(c) >= 0 || IsAsciiAlnum(c)) ascii_[ascii_size_++] = static_cast<uint32_t>(n);
    ++size_;
  }
}

core::Status ScanForms::Assign(std::string_view in, const PinyinFilter* filter) {
  const CharTable& tb = internal::Table();
  unit8_ = filter != nullptr ? filter->unit8_.data() : tb.unit8.data();
  Reserve(in.size());  // one code point per byte at most, expansions aside
  Clear();
  const auto* start = reinterpret_cast<const unsigned char*>(in.data());
  const auto* end = start + in.size();

  // Validate first (SIMD, many GB/s) so the pass decodes without checks; on invalid input the
  // checking decoder finds the first bad sequence and reports it as Normalize does.
  if (!simdjson::validate_utf8(in.data(), in.size())) {
    for (const unsigned char* q = start; q < end;) {
      char32_t cp = 0;
      bool sur = false;
      if (!internal::DecodeOne(q, end, &cp, &sur)) return internal::DecodeError(start, q, sur, cp);
    }
    return core::InvalidArgument("text is not valid UTF-8", "text");  // the validators disagree
  }

  const uint64_t* packed = tb.packed.data();
  const uint64_t* unit8 = unit8_;
  char32_t* t = text_.data();
  char16_t* b16 = bmp_.data();
  Slot* sl = slot_.data();
  char* py = pinyin_.data();
  uint32_t* mk = ascii_.data();
  size_t n = 0;       // code points written
  size_t nm = 0;      // ASCII letters/digits and digit words seen (marks)
  uint32_t i = 0;     // original code points read
  uint32_t plen = 0;  // bytes of pinyin written

  // Slot::byte holds the low 32 bits of the character's address (one register fewer in the
  // loop); base_ turns it back into an offset.
  base_ = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(start));
  for (const unsigned char* p = start; p < end; ++i) {
    char32_t cp;
    unsigned b0 = p[0];
    auto at = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p));
    if (b0 < 0x80) {
      cp = b0;
      p += 1;
    } else if (b0 >= 0xE0 && b0 < 0xF0) {  // the common case: a BMP character such as CJK
      // Valid UTF-8: continuation bytes are 10xxxxxx, so the marker bits are a constant.
      cp = (b0 << 12) + (static_cast<unsigned>(p[1]) << 6) + p[2] - ((0xE0u << 12) + (0x80u << 6) + 0x80u);
      p += 3;
    } else if (b0 < 0xE0) {
      cp = (b0 << 6) + p[1] - ((0xC0u << 6) + 0x80u);
      p += 2;
    } else {
      cp = ((b0 & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
      p += 4;
    }
    uint64_t e = cp < kTableSize ? packed[cp] : internal::kPackedExpandBit;
    if (e & internal::kPackedExpandBit) [[unlikely]] {
      size_ = n;
      plen_ = plen;
      ascii_size_ = nm;
      Slow(cp, i, at, static_cast<size_t>(end - p));
      n = size_;
      plen = plen_;
      nm = ascii_size_;
      t = text_.data();
      b16 = bmp_.data();
      sl = slot_.data();
      py = pinyin_.data();
      mk = ascii_.data();
      continue;
    }
    // Kept or dropped: write unconditionally, advance only when kept (no branch).
    unsigned unit = static_cast<unsigned>(e >> internal::kPackedUnitShift) & internal::kPackedUnitMask;
    auto c = static_cast<char32_t>(e >> internal::kPackedCpShift) & 0x1FFFFF;
    t[n] = c;
    b16[n] = static_cast<char16_t>(c);  // a BMP code point (others take Slow)
    sl[n] = Slot{i, at, plen};
    uint64_t pu = unit8[unit];
    std::memcpy(py + plen, &pu, 8);
    mk[nm] = static_cast<uint32_t>(n);
    plen += static_cast<uint32_t>(pu >> 56);
    nm += e >> internal::kPackedMarkShift;
    n += (e & internal::kPackedKeepBit) ? 1 : 0;
  }
  sl[n] = Slot{i, static_cast<uint32_t>(reinterpret_cast<uintptr_t>(end)), plen};
  size_ = n;
  ascii_size_ = nm;
  original_length_ = i;
  if (NeedsDigitConversion()) {
    ConvertDigitWords(t, n);
    EncodeForms();
    return core::Status::Ok();
  }
  // Drop the digit words from the marks, leaving the ASCII letters and digits.
  size_t na = 0;
  has_ascii_letter_ = false;
  for (size_t k = 0; k < nm; ++k) {
    char32_t c = t[mk[k]];
    if (c >= 0x80) continue;
    mk[na++] = mk[k];
    has_ascii_letter_ = has_ascii_letter_ || c >= 'a';
  }
  ascii_size_ = na;
  return core::Status::Ok();
}

// True when a digit word lies in a run of >= 3 digits / digit words (ConvertDigitWords would
// change the text). Looks only around the digit words: most texts have none or a few (一下).
bool ScanForms::NeedsDigitConversion() const {
  const CharTable& tb = internal::Table();
  size_t covered = 0;  // the run around the previous digit word ends here
  for (size_t w = 0; w < ascii_size_; ++w) {
    size_t k = ascii_[w];
    if (k < covered || text_[k] < 0x80) continue;
    size_t l = k;
    while (l > 0 && IsDigitish(tb, text_[l - 1])) --l;
    size_t r = k + 1;
    while (r < size_ && IsDigitish(tb, text_[r])) ++r;
    if (r - l >= 3) return true;
    covered = r;
  }
  return false;
}

// Re-derives the 16-bit and pinyin forms, their offsets and the ASCII indexes from text_.
void ScanForms::EncodeForms() {
  const CharTable& tb = internal::Table();
  uint32_t plen = 0;
  ascii_size_ = 0;
  has_ascii_letter_ = false;
  for (size_t k = 0; k < size_; ++k) {
    char32_t c = text_[k];
    unsigned unit = UnitOf(tb, c);
    bmp_[k] = c < 0x10000 ? static_cast<char16_t>(c) : u'\uFFFF';
    slot_[k].pinyin = plen;
    std::memcpy(pinyin_.data() + plen, &unit8_[unit], 8);
    plen += static_cast<uint32_t>(unit8_[unit] >> 56);
    if (IsAsciiAlnum(c)) ascii_[ascii_size_++] = static_cast<uint32_t>(k);
    has_ascii_letter_ = has_ascii_letter_ || (c >= 'a' && c <= 'z');
  }
  slot_[size_].pinyin = plen;
}

std::string_view ScanForms::OriginalSubstr(std::string_view original, size_t b, size_t e) const {
  size_t first = slot_[b].byte - base_;
  size_t last = slot_[e - 1].byte - base_;
  auto lead = static_cast<unsigned char>(original[last]);
  last += lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
  return original.substr(first, last - first);
}

long ScanForms::IndexAtPinyinByte(size_t byte) const {
  const Slot* first = slot_.data();
  const Slot* last = first + size_ + 1;
  const Slot* it = std::lower_bound(first, last, byte, [](const Slot& s, size_t b) { return s.pinyin < b; });
  if (it == last || it->pinyin != byte) return -1;
  return it - first;
}

PinyinFilter::PinyinFilter(const std::vector<std::string>& patterns) {
  const CharTable& tb = internal::Table();
  unit8_ = tb.unit8;
  for (size_t u = internal::kUnitDropped + 1; u < unit8_.size(); ++u) {
    char bytes[8];
    std::memcpy(bytes, &unit8_[u], 8);
    std::string_view unit(bytes, static_cast<size_t>(unit8_[u] >> 56));
    bool inside = false;
    for (const std::string& p : patterns) inside = inside || p.find(unit) != std::string::npos;
    if (!inside) unit8_[u] = tb.unit8[internal::kUnitNone];
  }
}

}  // namespace kefu::text
