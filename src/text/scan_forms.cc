// ScanForms: the compliance guard's hot path. One pass over the UTF-8 bytes; per code point one
// lookup in CharTable::packed gives the folded and simplified code point, its UTF-8 bytes, its
// pinyin syllable and whether it is a digit word, so the normalised text, its UTF-8, its pinyin
// form and the offsets are written together into buffers sized before the pass. Expansions
// (ﬁ -> fi) and code points beyond the table take a slower path that gives the same result as
// Normalize; runs of digit words (rare) are converted afterwards and the forms re-encoded.
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

// Writes the UTF-8 of c at out (room for 4 bytes); returns its length.
inline unsigned EncodeAt(char32_t c, char* out) {
  if (c < 0x80) {
    out[0] = static_cast<char>(c);
    return 1;
  }
  if (c < 0x800) {
    out[0] = static_cast<char>(0xC0 | (c >> 6));
    out[1] = static_cast<char>(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (c >> 12));
    out[1] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (c >> 18));
  out[1] = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (c & 0x3F));
  return 4;
}

// The packed entry of a code point that is not in the table or comes out of an expansion:
// kept as it is, with its pinyin unit (no UTF-8 bytes: the caller encodes it).
inline uint64_t UnitOf(const CharTable& tb, char32_t c) {
  if (c < kTableSize) {
    return (tb.packed[c] >> internal::kPackedUnitShift) & internal::kPackedUnitMask;
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
    std::vector<uint32_t>().swap(begin_);
    std::vector<char>().swap(utf8_);
    std::vector<char>().swap(pinyin_);
    std::vector<uint32_t>().swap(utf8_offset_);
    std::vector<uint32_t>().swap(pinyin_offset_);
    std::vector<uint32_t>().swap(digit_words_);
  }
  if (text_.size() >= cap) return;
  text_.resize(cap);
  begin_.resize(cap);
  digit_words_.resize(cap);
  utf8_offset_.resize(cap + 1);
  pinyin_offset_.resize(cap + 1);
  utf8_.resize(4 * cap + 8);    // <= 4 bytes per code point, +slack for 4-byte stores
  pinyin_.resize(8 * cap + 8);  // <= 6 bytes per unit, +slack for 8-byte stores
}

namespace {

// The write position of a pass. Plain values (never address-taken) so they live in registers.
struct Out {
  char32_t* t;
  uint32_t* bg;
  uint32_t* uo;
  uint32_t* po;
  uint32_t* dw;
  char* u;
  char* py;
};

}  // namespace

core::Status ScanForms::Assign(std::string_view in) {
  const CharTable& tb = internal::Table();
  Reserve(in.size());  // one code point per byte at most, expansions aside
  const uint64_t* packed = tb.packed.data();
  const uint64_t* unit8 = tb.unit8.data();
  const uint8_t* unit_len = tb.unit_len.data();
  const auto* start = reinterpret_cast<const unsigned char*>(in.data());
  const auto* p = start;
  const auto* end = start + in.size();

  Out o{text_.data(), begin_.data(), utf8_offset_.data(), pinyin_offset_.data(),
        digit_words_.data(), utf8_.data(), pinyin_.data()};
  size_t n = 0;       // code points written
  size_t nw = 0;      // digit words seen
  uint32_t i = 0;     // original code points read
  uint32_t ulen = 0;  // bytes of UTF-8 written
  uint32_t plen = 0;  // bytes of pinyin written
  uint64_t ascii = 0;  // kPackedAscii bits seen

  while (p < end) {
    char32_t cp;
    unsigned b0 = p[0];
    if (b0 < 0x80) {
      cp = b0;
      ++p;
    } else {
      bool ok = false;
      if ((b0 & 0xF0) == 0xE0 && end - p >= 3) {  // the common case: a BMP character such as CJK
        unsigned b1 = p[1];
        unsigned b2 = p[2];
        cp = ((b0 & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (b2 & 0x3F);
        ok = ((b1 & 0xC0) == 0x80) & ((b2 & 0xC0) == 0x80) & (cp >= 0x800) & (cp - 0xD800 >= 0x800);
      }
      if (ok) {
        p += 3;
      } else {
        bool sur = false;
        cp = 0;
        if (!internal::DecodeOne(p, end, &cp, &sur)) {
          size_ = 0;
          original_length_ = 0;
          utf8_offset_[0] = pinyin_offset_[0] = 0;
          has_ascii_letter_ = has_ascii_alnum_ = false;
          return internal::DecodeError(start, p, sur, cp);
        }
      }
    }
    uint64_t e = cp < kTableSize ? packed[cp] : internal::kPackedExpandBit;
    if (!(e & internal::kPackedExpandBit)) {
      // Kept or dropped: write unconditionally, advance only when kept (no branch).
      unsigned unit = static_cast<unsigned>(e >> internal::kPackedUnitShift) & internal::kPackedUnitMask;
      o.t[n] = static_cast<char32_t>(e >> internal::kPackedCpShift) & 0x1FFFFF;
      o.bg[n] = i;
      o.uo[n] = ulen;
      o.po[n] = plen;
      o.dw[nw] = static_cast<uint32_t>(n);
      uint32_t bytes = static_cast<uint32_t>(e);
      std::memcpy(o.u + ulen, &bytes, 4);
      std::memcpy(o.py + plen, &unit8[unit], 8);
      ulen += static_cast<uint32_t>(e >> internal::kPackedUtf8LenShift) & 3;
      plen += unit_len[unit];
      nw += (e >> internal::kPackedDigitWordShift) & 1;
      ascii |= e;
      n += (e >> 46) & 1;  // kPackedKeepBit
    } else {
      // Expansions, 4-byte outputs and code points beyond the table: as Normalize's MapDefault.
      std::u32string slow;
      if (cp < kTableSize) {
        slow = tb.expansions[(e >> internal::kPackedCpShift) & 0x1FFFFF];
      } else if (!internal::SlowIsSeparator(cp)) {
        for (char32_t c : internal::Fold(cp)) {
          if (!internal::SlowIsSeparator(c)) slow.push_back(c);
        }
      }
      size_t need = n + slow.size() + static_cast<size_t>(end - p) + 1;
      if (need > text_.size()) {
        Reserve(2 * need);
        o = Out{text_.data(), begin_.data(), utf8_offset_.data(), pinyin_offset_.data(),
                digit_words_.data(), utf8_.data(), pinyin_.data()};
      }
      for (char32_t c : slow) {
        unsigned unit = static_cast<unsigned>(UnitOf(tb, c));
        o.t[n] = c;
        o.bg[n] = i;
        o.uo[n] = ulen;
        o.po[n] = plen;
        ulen += EncodeAt(c, o.u + ulen);
        std::memcpy(o.py + plen, &unit8[unit], 8);
        plen += unit_len[unit];
        if (DigitWordValue(c) >= 0) o.dw[nw++] = static_cast<uint32_t>(n);
        if (c >= 'a' && c <= 'z') ascii |= uint64_t{1} << internal::kPackedAsciiShift;
        if (c >= '0' && c <= '9') ascii |= uint64_t{2} << internal::kPackedAsciiShift;
        ++n;
      }
    }
    ++i;
  }
  o.uo[n] = ulen;
  o.po[n] = plen;
  size_ = n;
  original_length_ = i;
  has_ascii_letter_ = (ascii >> internal::kPackedAsciiShift) & 1;
  has_ascii_alnum_ = (ascii >> internal::kPackedAsciiShift) & 3;
  if (nw > 0 && NeedsDigitConversion(nw)) {
    ConvertDigitWords(text_.data(), n);
    EncodeForms();
  }
  return core::Status::Ok();
}

// True when a digit word lies in a run of >= 3 digits / digit words (ConvertDigitWords would
// change the text). Looks only around the digit words: most texts have none or a few (一下).
bool ScanForms::NeedsDigitConversion(size_t words) const {
  const CharTable& tb = internal::Table();
  auto digitish = [&](char32_t c) {
    return (c >= '0' && c <= '9') || (c < kTableSize && tb.digit_word[c] != 0);
  };
  size_t covered = 0;  // the run around the previous digit word ends here
  for (size_t w = 0; w < words; ++w) {
    size_t k = digit_words_[w];
    if (k < covered) continue;
    size_t l = k;
    while (l > 0 && digitish(text_[l - 1])) --l;
    size_t r = k + 1;
    while (r < size_ && digitish(text_[r])) ++r;
    if (r - l >= 3) return true;
    covered = r;
  }
  return false;
}

void ScanForms::EncodeForms() {
  const CharTable& tb = internal::Table();
  uint32_t ulen = 0;
  uint32_t plen = 0;
  has_ascii_alnum_ = has_ascii_letter_ = false;
  for (size_t k = 0; k < size_; ++k) {
    char32_t c = text_[k];
    unsigned unit = static_cast<unsigned>(UnitOf(tb, c));
    utf8_offset_[k] = ulen;
    pinyin_offset_[k] = plen;
    ulen += EncodeAt(c, utf8_.data() + ulen);
    std::memcpy(pinyin_.data() + plen, &tb.unit8[unit], 8);
    plen += tb.unit_len[unit];
    has_ascii_alnum_ = has_ascii_alnum_ || IsAsciiAlnum(c);
    has_ascii_letter_ = has_ascii_letter_ || (c >= 'a' && c <= 'z');
  }
  utf8_offset_[size_] = ulen;
  pinyin_offset_[size_] = plen;
}

long ScanForms::IndexAtUtf8Byte(size_t byte) const {
  const uint32_t* first = utf8_offset_.data();
  const uint32_t* last = first + size_ + 1;
  const uint32_t* it = std::lower_bound(first, last, static_cast<uint32_t>(byte));
  if (it == last || *it != byte) return -1;
  return it - first;
}

long ScanForms::IndexAtPinyinByte(size_t byte) const {
  const uint32_t* first = pinyin_offset_.data();
  const uint32_t* last = first + size_ + 1;
  const uint32_t* it = std::lower_bound(first, last, static_cast<uint32_t>(byte));
  if (it == last || *it != byte) return -1;
  return it - first;
}

}  // namespace kefu::text
