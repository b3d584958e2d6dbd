// Event logs in batch: a line scanner specialised for event lines, with simdjson as the full
// parser for anything unusual, and a multi-threaded counter over whole logs.
//
// Why a specialised scanner: a general JSON parser spends most of its time on what the count
// never reads (the "text" field, unknown fields) and on building a tape. Event lines are flat
// objects, so one forward pass can find the four fields, check that the rest is valid JSON and
// stop at the line's end. The scanner is deliberately stricter than the full parser: whenever it
// is not sure (an escape in a field we read, a nested value, a missing field, a time stamp not in
// the usual form) it hands the line to simdjson, which gives the answer and the error message.
// So both paths always agree, and the scanner never needs its own error messages.
//
// Why buyers are shared out between threads rather than lines: a buyer's answer depends on the
// order of its own events only (equal time stamps are ordered by input position). Cutting the
// log into blocks and giving each thread a share of the buyers, applied block after block in
// input order, keeps that order exactly while both parsing and counting run in parallel.
#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include <simdjson.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "replyrate/replyrate.h"

namespace kefu::replyrate {
namespace {

// JSON white space but the newline (lines are split first).
constexpr auto kWs = [] {
  std::array<bool, 256> t{};
  t[' '] = t['\t'] = t['\r'] = true;
  return t;
}();
inline bool IsWs(char c) { return kWs[static_cast<unsigned char>(c)]; }
inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The first byte at or after p that ends a JSON string scan: '"', '\\' or a control character
// (< 0x20, which JSON forbids in strings and which includes the newline). There is a '\n' at or
// after p (the caller's sentinel), so the scan needs no bound; 16-byte loads never pass `hard`.
// kUtf8: also set *high when a byte >= 0x80 may lie before the stop.
template <bool kUtf8>
inline const char* FindStringStop(const char* p, const char* hard, bool* high) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), c1f = _mm_set1_epi8(0x1F);
  while (p + 16 <= hard) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i ctrl = _mm_cmpeq_epi8(_mm_min_epu8(v, c1f), v);
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)), ctrl);
    const unsigned m = unsigned(_mm_movemask_epi8(hit));
    if constexpr (kUtf8) {
      const unsigned hi = unsigned(_mm_movemask_epi8(v));
      if (m ? (hi & ((m & (0u - m)) - 1)) : hi) *high = true;
    }
    if (m) return p + __builtin_ctz(m);
    p += 16;
  }
#endif
  for (;; ++p) {
    const unsigned char c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\' || c < 0x20) return p;
    if (kUtf8 && c >= 0x80) *high = true;
  }
}

// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF (what simdjson checks).
bool ValidUtf8(const unsigned char* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    const unsigned c = s[i];
    if (c < 0x80) {
      ++i;
    } else if (c < 0xC2) {
      return false;
    } else if (c < 0xE0) {
      if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80) return false;
      i += 2;
    } else if (c < 0xF0) {
      if (i + 2 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return false;
      if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0)) return false;
      i += 3;
    } else if (c < 0xF5) {
      if (i + 3 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 ||
          (s[i + 3] & 0xC0) != 0x80)
        return false;
      if ((c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] >= 0x90)) return false;
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

inline int D2(const char* p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

// Time stamps in a log repeat their date and offset line after line: remember the last ones.
struct TsCache {
  char date[10] = {};
  int64_t days = 0;
  bool has_date = false;
  char offset[6] = {};
  int offset_minutes = 0;
  bool has_offset = false;
};

inline bool SameOffset(const char* a, const char* b) {
  uint32_t a4, b4;
  uint16_t a2, b2;
  std::memcpy(&a4, a, 4), std::memcpy(&a2, a + 4, 2);
  std::memcpy(&b4, b, 4), std::memcpy(&b2, b + 4, 2);
  return a4 == b4 && a2 == b2;
}

// The usual form only: "YYYY-MM-DDTHH:MM:SS" then "Z" or "+HH:MM"/"-HH:MM", no fraction, year >= 1;
// the same checks and value as core::ParseRfc3339. False means "ask core::ParseRfc3339".
bool FastRfc3339(std::string_view s, TsCache* cache, int64_t* us) {
  if (s.size() != 20 && s.size() != 25) return false;
  const char* p = s.data();
  if (p[10] != 'T') return false;
  // "HH:MM:SS" in one word: every digit byte ^ '0' must be 0..9, each ':' ^ ':' must be 0.
  uint64_t w;
  std::memcpy(&w, p + 11, 8);
  const uint64_t x = w ^ 0x30303a30303a3030ull;
  if ((x & 0xF0F0F0F0F0F0F0F0ull) || ((x + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) ||
      (x & 0x0000FF0000FF0000ull))
    return false;
  const int h = int(x & 0xF) * 10 + int((x >> 8) & 0xF);
  const int mi = int((x >> 24) & 0xF) * 10 + int((x >> 32) & 0xF);
  const int se = int((x >> 48) & 0xF) * 10 + int((x >> 56) & 0xF);
  if (h > 23 || mi > 59 || se > 60) return false;
  uint64_t d8, c8;
  uint16_t d2, c2;
  std::memcpy(&d8, p, 8), std::memcpy(&d2, p + 8, 2);
  std::memcpy(&c8, cache->date, 8), std::memcpy(&c2, cache->date + 8, 2);
  if (!cache->has_date || d8 != c8 || d2 != c2) {
    for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
      if (!IsDigit(p[i])) return false;
    if (p[4] != '-' || p[7] != '-') return false;
    const int y = D2(p) * 100 + D2(p + 2);
    const int mo = D2(p + 5), d = D2(p + 8);
    if (y < 1 || mo < 1 || mo > 12 || d < 1) return false;
    static constexpr int kMonthDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > kMonthDays[mo - 1] || (mo == 2 && d == 29 && !leap)) return false;
    // Days from civil (Howard Hinnant's algorithm), as in core; y >= 1 keeps the era >= 0.
    const int yy = y - (mo <= 2);
    const int era = yy / 400;
    const unsigned yoe = unsigned(yy - era * 400);
    const unsigned doy = (153 * unsigned(mo + (mo > 2 ? -3 : 9)) + 2) / 5 + unsigned(d) - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    std::memcpy(cache->date, p, 10);
    cache->days = int64_t(era) * 146097 + int64_t(doe) - 719468;
    cache->has_date = true;
  }
  int off = 0;
  if (s.size() == 20) {
    if (p[19] != 'Z') return false;
  } else if (cache->has_offset && SameOffset(p + 19, cache->offset)) {
    off = cache->offset_minutes;
  } else {
    if ((p[19] != '+' && p[19] != '-') || !IsDigit(p[20]) || !IsDigit(p[21]) || p[22] != ':' ||
        !IsDigit(p[23]) || !IsDigit(p[24]))
      return false;
    const int oh = D2(p + 20), om = D2(p + 23);
    if (oh > 23 || om > 59) return false;
    off = (oh * 60 + om) * (p[19] == '-' ? -1 : 1);
    std::memcpy(cache->offset, p + 19, 6);
    cache->offset_minutes = off;
    cache->has_offset = true;
  }
  const int64_t secs = cache->days * 86400 + h * 3600 + mi * 60 + std::min(se, 59) - off * 60;
  *us = secs * 1000000;
  return true;
}

// The sender named by v. One table look-up by first byte and length, then one comparison: the
// senders come in no predictable order, so branching on each name would mispredict.
inline std::optional<Sender> SenderOf(std::string_view v) {
  struct Name {
    const char* text;
    Sender sender;
  };
  // Indexed by first byte + length - 0x60: auto 0x05, agent 0x06, buyer 0x07, robot 0x17,
  // system 0x19.
  static constexpr auto kNames = [] {
    std::array<Name, 32> t{};
    t[0x05] = {"auto", Sender::kAuto};
    t[0x06] = {"agent", Sender::kAgent};
    t[0x07] = {"buyer", Sender::kBuyer};
    t[0x17] = {"robot", Sender::kRobot};
    t[0x19] = {"system", Sender::kSystem};
    return t;
  }();
  if (v.size() < 4 || v.size() > 6) return std::nullopt;
  const unsigned slot = unsigned(static_cast<unsigned char>(v[0]) + v.size()) - 0x60;
  if (slot >= kNames.size() || !kNames[slot].text) return std::nullopt;
  const char* t = kNames[slot].text;
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] != t[i]) return std::nullopt;
  if (t[v.size()] != '\0') return std::nullopt;
  return kNames[slot].sender;
}

enum class Scan { kEvent, kBlank, kFull };

// Without -mpopcnt the builtin is a library call.
inline size_t PopCount(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
  return size_t((x * 0x0101010101010101ull) >> 56);
}

inline const char* SkipWs(const char* p) {
  while (IsWs(*p)) ++p;
  return p;
}

// The four fields an event needs, as found by a scanner.
struct Fields {
  std::string_view value[4];  // by Index: ts, shop, buyer, from
  unsigned seen = 0;          // bit per field

  // 0 ts, 1 shop, 2 buyer, 3 from; -1 for a field the count does not read.
  static int Index(std::string_view key) {
    switch (key.size()) {
      case 2:
        if (key[0] == 't' && key[1] == 's') return 0;
        break;
      case 4:
        if (key[0] == 's' && key[1] == 'h' && key[2] == 'o' && key[3] == 'p') return 1;
        if (key[0] == 'f' && key[1] == 'r' && key[2] == 'o' && key[3] == 'm') return 3;
        break;
      case 5:
        if (key[0] == 'b' && key[1] == 'u' && key[2] == 'y' && key[3] == 'e' && key[4] == 'r') return 2;
        break;
    }
    return -1;
  }

  // A later value of the same key replaces an earlier one, as in the full parse.
  void Set(int index, std::string_view v) {
    value[index] = v;
    seen |= 1u << index;
  }

  // Where the value of `key` goes; null for a field the count does not read.
  std::string_view* Target(std::string_view key) {
    const int i = Index(key);
    if (i < 0) return nullptr;
    seen |= 1u << i;
    return &value[i];
  }

  // The event, or kFull when a field is missing or bad (the full parser words the error).
  Scan ToEvent(TsCache* cache, Event* ev) const {
    const std::string_view ts = value[0], shop = value[1], buyer = value[2], from = value[3];
    if (seen != 15 || shop.empty() || buyer.empty()) return Scan::kFull;
    const auto sender = SenderOf(from);
    if (!sender) return Scan::kFull;
    int64_t us = 0;
    if (!FastRfc3339(ts, cache, &us)) {
      auto t = core::ParseRfc3339(ts);
      if (!t.ok()) return Scan::kFull;
      us = t->time_since_epoch().count();
    }
    ev->shop = shop;
    ev->buyer = buyer;
    ev->from = *sender;
    ev->ts = core::Timestamp(core::Duration(us));
    return Scan::kEvent;
  }
};

// Skips a JSON number or true/false/null at p (the grammar exactly); null when there is none.
// Every loop stops at the '\n' sentinel.
inline const char* SkipScalar(const char* p) {
  if (*p == '-' || IsDigit(*p)) {  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    if (*p == '-') ++p;
    if (!IsDigit(*p)) return nullptr;
    if (*p == '0') ++p;
    else while (IsDigit(*p)) ++p;
    if (*p == '.') {
      ++p;
      if (!IsDigit(*p)) return nullptr;
      while (IsDigit(*p)) ++p;
    }
    if (*p == 'e' || *p == 'E') {
      ++p;
      if (*p == '+' || *p == '-') ++p;
      if (!IsDigit(*p)) return nullptr;
      while (IsDigit(*p)) ++p;
    }
    return p;
  }
  if (p[0] == 't' && p[1] == 'r' && p[2] == 'u' && p[3] == 'e') return p + 4;
  if (p[0] == 'n' && p[1] == 'u' && p[2] == 'l' && p[3] == 'l') return p + 4;
  if (p[0] == 'f' && p[1] == 'a' && p[2] == 'l' && p[3] == 's' && p[4] == 'e') return p + 5;
  return nullptr;  // nested object or array, or not JSON
}

#if defined(__SSE2__)

// The line end and where the quotes are, for a line with no backslash and no control character
// but its '\n'. One pass of 16-byte compares.
struct LineMasks {
  static constexpr size_t kWords = 4;  // lines up to 256 bytes; longer ones take another path
  uint64_t quotes[kWords];
  size_t words = 0;
  size_t line_end = 0;  // offset of the '\n'

  // False for a line this cannot describe (a backslash or control character in it, too long,
  // too close to `hard`).
  bool Read(const char* base, const char* hard) {
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), c1f = _mm_set1_epi8(0x1F);
    for (size_t w = 0; w < kWords; ++w) quotes[w] = 0;
    // 16 bytes at a time, stopping at the chunk that holds the line end.
    for (size_t off = 0; off < 64 * kWords && base + off + 16 <= hard; off += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + off));
      uint64_t qm = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)));
      const unsigned sm = unsigned(_mm_movemask_epi8(
          _mm_or_si128(_mm_cmpeq_epi8(v, bslash), _mm_cmpeq_epi8(_mm_min_epu8(v, c1f), v))));
      if (sm) {
        const unsigned i = unsigned(__builtin_ctz(sm));
        line_end = off + i;
        if (base[line_end] != '\n') return false;
        qm &= (uint64_t(1) << i) - 1;
      }
      quotes[off >> 6] |= qm << (off & 63);
      if (sm) {
        words = (off >> 6) + 1;
        return true;
      }
    }
    return false;
  }

  // The first quote at or after offset `from`; line_end when there is none.
  size_t NextQuote(size_t from) const {
    size_t w = from >> 6;
    if (w >= words) return line_end;
    uint64_t m = quotes[w] & (~uint64_t(0) << (from & 63));
    while (!m) {
      if (++w == words) return line_end;
      m = quotes[w];
    }
    return 64 * w + size_t(__builtin_ctzll(m));
  }
};

// What the usual lines of a log look like around their values: the literal bytes before each
// value (keys, quotes, separators, white space) and after the last, whether each value is a
// string, and which field it is. A line with the same literal bytes around values of the same
// kinds is the same JSON object shape, so reading it takes a few compares per field.
struct Shape {
  static constexpr size_t kMaxValues = 12, kMaxSeg = 32;
  uint8_t values = 0;
  uint8_t seg_len[kMaxValues + 1];
  bool is_string[kMaxValues];
  int8_t field[kMaxValues];  // Fields::Index, or -1
  alignas(16) char seg[kMaxValues + 1][kMaxSeg];
};

// The last few shapes learned (a log mixes e.g. lines with and without an "agent" field).
struct ShapeCache {
  static constexpr size_t kShapes = 4;
  Shape shapes[kShapes];
  size_t count = 0;
  size_t next = 0;  // where the next shape learned goes
};

// The values the quick scanner found, to make a shape of the line.
struct ValueSpans {
  size_t n = 0;
  bool ok = true;  // false when the line has too many values for a shape
  uint32_t begin[Shape::kMaxValues], end[Shape::kMaxValues];
  bool is_string[Shape::kMaxValues];
  int8_t field[Shape::kMaxValues];

  void Add(size_t b, size_t e, bool str, int f) {
    if (n == Shape::kMaxValues) {
      ok = false;
      return;
    }
    begin[n] = uint32_t(b), end[n] = uint32_t(e), is_string[n] = str, field[n] = int8_t(f);
    ++n;
  }
};

// `len` (<= 32) bytes at p equal seg; both may be read 32 bytes far.
inline bool SegEq(const char* p, const char* seg, unsigned len) {
  const unsigned m = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), _mm_load_si128(reinterpret_cast<const __m128i*>(seg)))));
  if (len <= 16) return (~m & ((1u << len) - 1)) == 0;
  const unsigned m2 = unsigned(_mm_movemask_epi8(_mm_cmpeq_epi8(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16)),
      _mm_load_si128(reinterpret_cast<const __m128i*>(seg + 16)))));
  return m == 0xFFFF && (~m2 & ((1u << (len - 16)) - 1)) == 0;
}

// Reads a line of `shape`, or kFull when it is not one (then the quick scanner reads it).
Scan ShapeWalk(const char* base, const LineMasks& lm, const Shape& shape, TsCache* cache, Event* ev,
               const char** next) {
  const char* p = base;
  Fields f;
  for (size_t i = 0; i < shape.values; ++i) {
    if (!SegEq(p, shape.seg[i], shape.seg_len[i])) return Scan::kFull;
    p += shape.seg_len[i];
    const char* v = p;
    if (shape.is_string[i]) {
      const size_t q = lm.NextQuote(size_t(p - base));
      if (q == lm.line_end) return Scan::kFull;
      p = base + q;
    } else {
      p = SkipScalar(p);
      if (!p) return Scan::kFull;
    }
    if (shape.field[i] >= 0) f.Set(shape.field[i], std::string_view(v, size_t(p - v)));
  }
  const unsigned last = shape.seg_len[shape.values];
  if (size_t(p - base) + last != lm.line_end || !SegEq(p, shape.seg[shape.values], last))
    return Scan::kFull;
  const Scan r = f.ToEvent(cache, ev);
  if (r == Scan::kEvent) *next = base + lm.line_end + 1;
  return r;
}

// Makes a shape of a line the quick scanner read; false when it does not fit one.
bool MakeShape(const char* base, size_t line_end, const ValueSpans& spans, Shape* shape) {
  if (!spans.ok || spans.n == 0) return false;
  size_t at = 0;
  for (size_t i = 0; i <= spans.n; ++i) {
    const size_t until = i < spans.n ? spans.begin[i] : line_end;
    if (until - at > Shape::kMaxSeg) return false;
    shape->seg_len[i] = uint8_t(until - at);
    std::memset(shape->seg[i], 0, Shape::kMaxSeg);
    std::memcpy(shape->seg[i], base + at, until - at);
    if (i < spans.n) {
      shape->is_string[i] = spans.is_string[i];
      shape->field[i] = spans.field[i];
      at = spans.end[i];
    }
  }
  shape->values = uint8_t(spans.n);
  return true;
}

// The quick walk over a line's bytes, for lines with no backslash and no control character but
// the final '\n' (the caller has checked the UTF-8): a string is the text up to the next quote
// bit, and only the few bytes between strings are looked at one by one.
Scan QuickWalk(const char* base, const LineMasks& lm, TsCache* cache, Event* ev, const char** next,
               ValueSpans* spans) {
  size_t quotes_seen = 0;  // every quote must be one that opens or closes a string
  const char* p = SkipWs(base);
  if (size_t(p - base) == lm.line_end) {
    *next = p + 1;
    return Scan::kBlank;
  }
  if (*p != '{') return Scan::kFull;
  ++p;
  Fields f;
  for (;;) {
    p = SkipWs(p);
    if (*p != '"') return Scan::kFull;
    const size_t k0 = size_t(p - base) + 1, k1 = lm.NextQuote(k0);
    if (k1 == lm.line_end) return Scan::kFull;
    const int field = Fields::Index(std::string_view(base + k0, k1 - k0));
    p = SkipWs(base + k1 + 1);
    if (*p != ':') return Scan::kFull;
    p = SkipWs(p + 1);
    quotes_seen += 2;
    if (*p == '"') {
      const size_t v0 = size_t(p - base) + 1, v1 = lm.NextQuote(v0);
      if (v1 == lm.line_end) return Scan::kFull;
      if (field >= 0) f.Set(field, std::string_view(base + v0, v1 - v0));
      spans->Add(v0, v1, true, field);
      p = base + v1 + 1;
      quotes_seen += 2;
    } else {
      if (field >= 0) return Scan::kFull;  // not a string: the full parser names the field
      const char* v = p;
      p = SkipScalar(p);
      if (!p) return Scan::kFull;
      spans->Add(size_t(v - base), size_t(p - base), false, -1);
    }
    p = SkipWs(p);
    if (*p == ',') {
      ++p;
      continue;
    }
    if (*p != '}') return Scan::kFull;
    ++p;
    break;
  }
  p = SkipWs(p);
  if (size_t(p - base) != lm.line_end) return Scan::kFull;
  size_t quote_bits = 0;
  for (size_t w = 0; w < lm.words; ++w) quote_bits += PopCount(lm.quotes[w]);
  if (quote_bits != quotes_seen) return Scan::kFull;
  const Scan r = f.ToEvent(cache, ev);
  if (r == Scan::kEvent) *next = p + 1;
  return r;
}

#endif  // __SSE2__

// The quick scanner: a line of a known shape, else the quick walk (which learns the line's
// shape). kFull: try the careful scanner.
Scan ScanLineQuick(const char* base, const char* hard, TsCache* cache, ShapeCache* shapes, Event* ev,
                   const char** next) {
#if defined(__SSE2__)
  LineMasks lm;
  if (!lm.Read(base, hard)) return Scan::kFull;
  // Shapes compare 32 bytes at a time: they need that much readable room after the line.
  const bool room = base + lm.line_end + Shape::kMaxSeg <= hard;
  if (room) {
    for (size_t i = 0; i < shapes->count; ++i)
      if (ShapeWalk(base, lm, shapes->shapes[i], cache, ev, next) == Scan::kEvent) return Scan::kEvent;
  }
  ValueSpans spans;
  const Scan r = QuickWalk(base, lm, cache, ev, next, &spans);
  if (r == Scan::kEvent && room) {
    Shape shape;
    if (MakeShape(base, lm.line_end, spans, &shape)) {
      shapes->shapes[shapes->next] = shape;  // replaces the oldest once full
      shapes->next = (shapes->next + 1) % ShapeCache::kShapes;
      shapes->count = std::max(shapes->count, shapes->next == 0 ? ShapeCache::kShapes : shapes->next);
    }
  }
  return r;
#else
  return Scan::kFull;
#endif
}

// The careful scanner: any JSON line of one flat object, escapes in fields it skips included.
// There must be a '\n' at or after p before `hard` (the line's end); no loop here passes it,
// since '\n' is neither white space, a digit nor allowed in a string. kUtf8: check the UTF-8 of
// strings (when the caller has not checked the whole text). kEvent/kBlank: *next is the start
// of the next line. kFull: the line needs the full parser (it may still be valid).
template <bool kUtf8>
Scan ScanLine(const char* p, const char* hard, TsCache* cache, Event* ev, const char** next) {
  p = SkipWs(p);
  if (*p == '\n') {
    *next = p + 1;
    return Scan::kBlank;
  }
  if (*p != '{') return Scan::kFull;
  ++p;
  Fields f;
  for (;;) {
    p = SkipWs(p);
    if (*p != '"') return Scan::kFull;
    // Key.
    const char* k = ++p;
    bool high = false;
    p = FindStringStop<kUtf8>(p, hard, &high);
    if (*p != '"') return Scan::kFull;
    if (kUtf8 && high) return Scan::kFull;
    const std::string_view key(k, size_t(p - k));
    p = SkipWs(p + 1);
    if (*p != ':') return Scan::kFull;
    p = SkipWs(p + 1);
    std::string_view* target = f.Target(key);
    if (*p == '"') {
      const char* v = ++p;
      bool vhigh = false;
      for (;;) {
        p = FindStringStop<kUtf8>(p, hard, &vhigh);
        if (*p == '"') break;
        if (*p != '\\' || target) return Scan::kFull;  // control character, or an escape to decode
        // An escape in a field we skip: check it is a valid one and go on.
        const char e = p[1];
        if (e == 'u') {
          if (!IsHex(p[2]) || !IsHex(p[3]) || !IsHex(p[4]) || !IsHex(p[5])) return Scan::kFull;
          p += 6;
        } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                   e == 'r' || e == 't') {
          p += 2;
        } else {
          return Scan::kFull;
        }
      }
      if (kUtf8 && vhigh && !ValidUtf8(reinterpret_cast<const unsigned char*>(v), size_t(p - v)))
        return Scan::kFull;
      if (target) *target = std::string_view(v, size_t(p - v));
      ++p;
    } else {
      if (target) return Scan::kFull;  // not a string: the full parser names the field
      p = SkipScalar(p);
      if (!p) return Scan::kFull;
    }
    p = SkipWs(p);
    if (*p == ',') {
      ++p;
      continue;
    }
    if (*p != '}') return Scan::kFull;
    ++p;
    break;
  }
  p = SkipWs(p);
  if (*p != '\n') return Scan::kFull;
  const Scan r = f.ToEvent(cache, ev);
  if (r == Scan::kEvent) *next = p + 1;
  return r;
}

// The quick scanner, else the careful one. utf8_ok: the caller has checked the text's UTF-8.
inline Scan ScanAny(const char* p, const char* hard, bool utf8_ok, TsCache* cache, ShapeCache* shapes,
                    Event* ev, const char** next) {
  if (!utf8_ok) return ScanLine<true>(p, hard, cache, ev, next);
  const Scan r = ScanLineQuick(p, hard, cache, shapes, ev, next);
  return r != Scan::kFull ? r : ScanLine<false>(p, hard, cache, ev, next);
}

}  // namespace

namespace {

// The full parse: the reference for what a line means and the source of every error message.
struct FullParser {
  simdjson::ondemand::parser parser;
  std::string padded;
  uint64_t count = 0;

  core::Result<bool> Parse(std::string_view line, Event* ev) {
    ++count;
    size_t a = 0, z = line.size();
    while (a < z && IsWs(line[a])) ++a;
    if (a == z) return false;  // blank line
    while (z > a && IsWs(line[z - 1])) --z;
    // On-Demand does not look past the object, so check its ends here.
    if (line[a] != '{' || line[z - 1] != '}') return core::InvalidArgument("not a JSON object");
    padded.assign(line.data(), line.size());
    padded.append(simdjson::SIMDJSON_PADDING, '\0');
    simdjson::ondemand::document doc;
    if (parser.iterate(padded.data(), line.size(), padded.size()).get(doc))
      return core::InvalidArgument("not JSON");
    simdjson::ondemand::object obj;
    if (doc.get_object().get(obj)) return core::InvalidArgument("not a JSON object");
    std::string_view ts, shop, buyer, from;
    bool has_ts = false, has_shop = false, has_buyer = false, has_from = false;
    for (auto field_result : obj) {
      simdjson::ondemand::field field;
      if (std::move(field_result).get(field)) return core::InvalidArgument("malformed JSON");
      std::string_view key;
      if (field.unescaped_key().get(key)) return core::InvalidArgument("malformed JSON key");
      std::string_view* target = nullptr;
      bool* seen = nullptr;
      if (key == "ts") target = &ts, seen = &has_ts;
      else if (key == "shop") target = &shop, seen = &has_shop;
      else if (key == "buyer") target = &buyer, seen = &has_buyer;
      else if (key == "from") target = &from, seen = &has_from;
      if (!target) continue;  // unknown fields are skipped by the iterator
      if (field.value().get_string().get(*target))
        return core::InvalidArgument("\"" + std::string(key) + "\" must be a string");
      *seen = true;
    }
    if (!has_ts) return core::InvalidArgument("missing \"ts\"");
    if (!has_shop || shop.empty()) return core::InvalidArgument("missing \"shop\"");
    if (!has_buyer || buyer.empty()) return core::InvalidArgument("missing \"buyer\"");
    if (!has_from) return core::InvalidArgument("missing \"from\"");
    const auto sender = ParseSender(from);
    if (!sender) return core::InvalidArgument("\"from\" must be buyer, agent, robot, auto or system");
    auto t = core::ParseRfc3339(ts);
    if (!t.ok())
      return core::InvalidArgument("\"ts\" is not RFC 3339 with an offset: " +
                                   std::string(ts.substr(0, 40)));
    // The views live in the parser's buffer until the next iterate().
    *ev = Event{shop, buyer, *sender, *t};
    return true;
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// EventLineParser

struct EventLineParser::Impl {
  bool scanner = true;
  FullParser full;
  std::string line;  // the line and its '\n' sentinel
  TsCache cache;
  ShapeCache shapes;
};

EventLineParser::EventLineParser(bool scanner) : impl_(std::make_unique<Impl>()) {
  impl_->scanner = scanner;
}
EventLineParser::~EventLineParser() = default;
EventLineParser::EventLineParser(EventLineParser&&) noexcept = default;
EventLineParser& EventLineParser::operator=(EventLineParser&&) noexcept = default;

core::Result<bool> EventLineParser::Parse(std::string_view line, Event* event) {
  Impl& m = *impl_;
  if (!m.scanner) return m.full.Parse(line, event);
  // The scanners need a '\n' after the line; the quick one reads 64 bytes at a time, and shapes
  // 32 more.
  m.line.assign(line.data(), line.size());
  m.line.push_back('\n');
  const char* end = m.line.data() + m.line.size();
  m.line.append(96, ' ');
  const char* hard = m.line.data() + m.line.size();
  const char* next = nullptr;
  const bool utf8_ok = simdjson::validate_utf8(line.data(), line.size());
  // A '\n' inside `line` stops the scanners early: then the full parser judges the line.
  switch (ScanAny(m.line.data(), hard, utf8_ok, &m.cache, &m.shapes, event, &next)) {
    case Scan::kEvent:
      if (next == end) return true;
      break;
    case Scan::kBlank:
      if (next == end) return false;
      break;
    case Scan::kFull:
      break;
  }
  return m.full.Parse(line, event);
}

uint64_t EventLineParser::full_parses() const { return impl_->full.count; }

// ---------------------------------------------------------------------------------------------
// LogCounter

namespace {

constexpr size_t kBlockBytes = 1u << 20;
constexpr size_t kReleaseBytes = 16u << 20;

// Which thread's calculator counts (shop, buyer): any fixed function of the bytes will do.
inline uint32_t ShareOf(std::string_view shop, std::string_view buyer, uint32_t shares) {
  uint64_t h = 0x9E3779B97F4A7C15ull;
  for (unsigned char c : shop) h = (h ^ c) * 0x100000001B3ull;
  h ^= 0xFF;
  for (unsigned char c : buyer) h = (h ^ c) * 0x100000001B3ull;
  h ^= h >> 29;
  return uint32_t((h * 0xBF58476D1CE4E5B9ull) >> 32) % shares;
}

// A block of lines in flight: parsed into one event list per share.
struct Slot {
  uint64_t block = UINT64_MAX;
  size_t begin = 0, end = 0;
  bool parsed = false;
  int shares_left = 0;  // shares that have not applied it yet
  std::vector<std::vector<Event>> parts;
  std::deque<std::string> copies;  // field values of fully parsed lines (the views point here)
  uint64_t lines = 0;
  bool error = false;
  std::string error_message;
};

}  // namespace

struct LogCounter::Impl {
  LogOptions options;
  std::vector<Calculator> shares;
  std::vector<std::unique_ptr<FullParser>> parsers;  // one per thread
  uint64_t lines = 0;

  // Parses slot.begin..slot.end of text into the slot.
  void ParseBlock(std::string_view text, Slot& slot, FullParser& parser) {
    const char* p = text.data() + slot.begin;
    const char* end = text.data() + slot.end;
    const char* hard = text.data() + text.size();
    for (auto& part : slot.parts) part.clear();
    slot.copies.clear();
    slot.lines = 0;
    slot.error = false;
    // The scanner needs a '\n' after each line: a last line without one goes to the full parser.
    const char* unterminated = end;
    if (end == hard && end > p && end[-1] != '\n') {
      const void* nl = ::memrchr(p, '\n', size_t(end - p));
      unterminated = nl ? static_cast<const char*>(nl) + 1 : p;
    }
    // Strings split at ASCII quotes out of valid UTF-8 are valid UTF-8: one check per piece of
    // the block (small enough to be still in cache when its lines are scanned).
    constexpr size_t kPiece = 32u << 10;
    const char* piece_end = p;
    bool utf8_ok = true;
    TsCache cache;
    ShapeCache shapes;
    while (p < end) {
      if (p >= piece_end) {  // pieces end after a '\n', so no line crosses one
        piece_end = end;
        if (size_t(end - p) > kPiece) {
          const void* nl = std::memchr(p + kPiece, '\n', size_t(end - p - kPiece));
          if (nl) piece_end = static_cast<const char*>(nl) + 1;
        }
        utf8_ok = simdjson::validate_utf8(p, size_t(piece_end - p));
      }
      ++slot.lines;
      Event ev;
      const char* next = nullptr;
      const Scan r = p < unterminated ? ScanAny(p, hard, utf8_ok, &cache, &shapes, &ev, &next) : Scan::kFull;
      if (r == Scan::kBlank) {
        p = next;
        continue;
      }
      if (r == Scan::kFull) {
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p)));
        if (!nl) nl = end;
        auto got = parser.Parse(std::string_view(p, size_t(nl - p)), &ev);
        if (!got.ok()) {
          slot.error = true;
          slot.error_message = got.status().message();
          return;
        }
        p = nl < end ? nl + 1 : end;
        if (!*got) continue;
        // The views point into the parser's buffer: keep copies for the counting step.
        slot.copies.emplace_back(ev.shop);
        ev.shop = slot.copies.back();
        slot.copies.emplace_back(ev.buyer);
        ev.buyer = slot.copies.back();
      } else {
        p = next;
      }
      if (!options.only_shop.empty() && ev.shop != options.only_shop) continue;
      const uint32_t n = uint32_t(slot.parts.size());
      slot.parts[n == 1 ? 0 : ShareOf(ev.shop, ev.buyer, n)].push_back(ev);
    }
  }

  core::Status Feed(std::string_view text) {
    const int threads = int(shares.size());
    const size_t ring = size_t(2 * threads + 2);
    std::vector<Slot> slots(ring);
    for (Slot& s : slots) s.parts.resize(shares.size());
    std::mutex mu;
    std::condition_variable cv;
    size_t claim_at = 0;        // where the next block starts
    uint64_t next_block = 0;    // number of the next block to claim
    int parsing = 0;            // blocks being parsed
    std::vector<uint64_t> next_apply(shares.size(), 0);
    std::vector<char> busy(shares.size(), 0);
    std::vector<uint64_t> block_lines;  // per block, once parsed
    std::vector<size_t> block_end;      // per block, once claimed
    uint64_t error_block = UINT64_MAX;
    size_t released_to = 0;

    auto worker = [&](int self) {
      FullParser& parser = *parsers[size_t(self)];
      std::unique_lock lk(mu);
      for (;;) {
        if (error_block != UINT64_MAX) {
          if (parsing == 0) break;
          cv.wait(lk);
          continue;
        }
        uint64_t done = next_block;  // blocks below this are applied by every share
        for (uint64_t a : next_apply) done = std::min(done, a);
        // Counting first keeps the ring moving; each share is counted by one thread at a time.
        int pick = -1;
        for (int i = 0; i < threads && pick < 0; ++i) {
          const int q = (self + i) % threads;
          const uint64_t j = next_apply[size_t(q)];
          if (!busy[size_t(q)] && j < next_block && slots[j % ring].parsed) pick = q;
        }
        if (pick >= 0) {
          const uint64_t j = next_apply[size_t(pick)];
          Slot& slot = slots[j % ring];
          busy[size_t(pick)] = 1;
          lk.unlock();
          shares[size_t(pick)].AddBatch(slot.parts[size_t(pick)]);
          lk.lock();
          busy[size_t(pick)] = 0;
          ++next_apply[size_t(pick)];
          if (--slot.shares_left == 0 && options.released) {
            uint64_t all = next_block;
            for (uint64_t a : next_apply) all = std::min(all, a);
            if (all > 0 && block_end[all - 1] >= released_to + kReleaseBytes) {
              released_to = block_end[all - 1];
              options.released(released_to);
            }
          }
          cv.notify_all();
          continue;
        }
        if (claim_at < text.size() && next_block < done + ring) {
          const uint64_t j = next_block++;
          Slot& slot = slots[j % ring];
          slot.block = j;
          slot.begin = claim_at;
          size_t cut = std::min(text.size(), claim_at + kBlockBytes);
          if (cut < text.size()) {
            const void* nl = std::memchr(text.data() + cut - 1, '\n', text.size() - (cut - 1));
            cut = nl ? size_t(static_cast<const char*>(nl) - text.data()) + 1 : text.size();
          }
          slot.end = claim_at = cut;
          slot.parsed = false;
          slot.shares_left = threads;
          block_end.push_back(cut);
          block_lines.push_back(0);
          ++parsing;
          lk.unlock();
          ParseBlock(text, slot, parser);
          lk.lock();
          --parsing;
          slot.parsed = true;
          block_lines[j] = slot.lines;
          if (slot.error) error_block = std::min(error_block, j);
          cv.notify_all();
          continue;
        }
        if (claim_at >= text.size() && done == next_block) break;
        cv.wait(lk);
      }
      cv.notify_all();
    };

    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(worker, t);
    worker(0);
    for (auto& t : pool) t.join();

    if (error_block != UINT64_MAX) {
      uint64_t line = lines;
      for (uint64_t j = 0; j < error_block; ++j) line += block_lines[j];
      const Slot& slot = slots[error_block % ring];
      lines = line + slot.lines;
      return core::InvalidArgument("line " + std::to_string(line + slot.lines) + ": " +
                                       slot.error_message,
                                   "line");
    }
    for (uint64_t n : block_lines) lines += n;
    return core::Status::Ok();
  }
};

core::Result<LogCounter> LogCounter::Create(const Profile& profile, const core::TimeZone& tz,
                                            core::LocalDate first_day, core::LocalDate last_day,
                                            LogOptions options) {
  auto impl = std::make_unique<Impl>();
  const int threads = std::clamp(options.threads, 1, 64);
  for (int t = 0; t < threads; ++t) {
    KEFU_ASSIGN_OR_RETURN(auto calc, Calculator::Create(profile, tz, first_day, last_day,
                                                        options.calculator));
    impl->shares.push_back(std::move(calc));
    impl->parsers.push_back(std::make_unique<FullParser>());
  }
  impl->options = std::move(options);
  return LogCounter(std::move(impl));
}

LogCounter::LogCounter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogCounter::LogCounter(LogCounter&&) noexcept = default;
LogCounter& LogCounter::operator=(LogCounter&&) noexcept = default;
LogCounter::~LogCounter() = default;

core::Status LogCounter::Feed(std::string_view text) {
  if (text.empty()) return core::Status::Ok();
  return impl_->Feed(text);
}

uint64_t LogCounter::lines() const { return impl_->lines; }

uint64_t LogCounter::full_parses() const {
  uint64_t n = 0;
  for (const auto& p : impl_->parsers) n += p->count;
  return n;
}

core::Result<Calculator> LogCounter::Finish() {
  if (impl_->shares.empty()) return core::FailedPrecondition("LogCounter::Finish called twice");
  Calculator out = std::move(impl_->shares[0]);
  for (size_t i = 1; i < impl_->shares.size(); ++i) KEFU_TRY(out.Merge(std::move(impl_->shares[i])));
  impl_->shares.clear();
  return out;
}

}  // namespace kefu::replyrate
