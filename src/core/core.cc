#include "core/core.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace kefu::core {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kNotFound: return "not_found";
    case Code::kAlreadyExists: return "already_exists";
    case Code::kFailedPrecondition: return "failed_precondition";
    case Code::kPermissionDenied: return "permission_denied";
    case Code::kUnauthenticated: return "unauthenticated";
    case Code::kUnavailable: return "unavailable";
    case Code::kInternal: return "internal";
  }
  return "internal";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s(error());
  s += ": ";
  s += message_;
  if (!field_.empty()) s += " (field " + field_ + ")";
  return s;
}

Status InvalidArgument(std::string m, std::string f) {
  return Status(Code::kInvalidArgument, std::move(m), std::move(f));
}
Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
Status AlreadyExists(std::string m, std::string f) {
  return Status(Code::kAlreadyExists, std::move(m), std::move(f));
}
Status FailedPrecondition(std::string m, std::string f) {
  return Status(Code::kFailedPrecondition, std::move(m), std::move(f));
}
Status PermissionDenied(std::string m) { return Status(Code::kPermissionDenied, std::move(m)); }
Status Unauthenticated(std::string m) { return Status(Code::kUnauthenticated, std::move(m)); }
Status Unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }

void DcheckFailed(const char* cond, const char* why, const char* file, int line) {
  std::fprintf(stderr, "KEFU_DCHECK failed at %s:%d: %s (%s)\n", file, line, cond, why);
  std::abort();
}

Timestamp SystemClock::Now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

namespace {

// Days from civil date (Howard Hinnant's public-domain algorithm, restated).
constexpr int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ParseDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::string FormatRfc3339(Timestamp t, int offset_minutes) {
  // Written digit by digit: every message event carries several timestamps.
  using namespace std::chrono;
  const auto local = t + minutes(offset_minutes);
  const auto day = floor<days>(local);
  const year_month_day ymd{day};
  const int64_t us = (local - day).count();
  const int64_t secs = us / 1'000'000, ms = (us / 1000) % 1000;
  char buf[40];
  char* p = buf;
  auto put = [&p](int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10) p[i] = char('0' + v % 10);
    p += width;
  };
  const int year = int(ymd.year());
  if (year < 0 || year > 9999) return "0000-01-01T00:00:00Z";  // outside RFC 3339's range
  put(year, 4);
  *p++ = '-';
  put(unsigned(ymd.month()), 2);
  *p++ = '-';
  put(unsigned(ymd.day()), 2);
  *p++ = 'T';
  put(secs / 3600, 2);
  *p++ = ':';
  put(secs / 60 % 60, 2);
  *p++ = ':';
  put(secs % 60, 2);
  if (ms != 0) {
    *p++ = '.';
    put(ms, 3);
  }
  if (offset_minutes == 0) {
    *p++ = 'Z';
  } else {
    const int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    *p++ = offset_minutes < 0 ? '-' : '+';
    put(a / 60, 2);
    *p++ = ':';
    put(a % 60, 2);
  }
  return std::string(buf, size_t(p - buf));
}

Result<Timestamp> ParseRfc3339(std::string_view s, int* offset_minutes) {
  auto bad = [&] { return InvalidArgument("not an RFC 3339 timestamp: " + std::string(s.substr(0, 40))); };
  int y, mo, d, h, mi, se;
  if (s.size() < 20 || !ParseDigits(s, 0, 4, &y) || s[4] != '-' || !ParseDigits(s, 5, 2, &mo) ||
      s[7] != '-' || !ParseDigits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !ParseDigits(s, 11, 2, &h) || s[13] != ':' || !ParseDigits(s, 14, 2, &mi) || s[16] != ':' ||
      !ParseDigits(s, 17, 2, &se))
    return bad();
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 60) return bad();
  static constexpr int kMonthDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > kMonthDays[mo - 1] || (mo == 2 && d == 29 && !leap)) return bad();
  size_t pos = 19;
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 6) micros = micros * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad();
    for (int i = digits; i < 6; ++i) micros *= 10;
  }
  int off = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!ParseDigits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ParseDigits(s, pos + 4, 2, &om) || oh > 23 || om > 59)
      return bad();
    off = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  const int64_t days = DaysFromCivil(y, unsigned(mo), unsigned(d));
  const int64_t secs = days * 86400 + h * 3600 + mi * 60 + std::min(se, 59) - off * 60;
  if (offset_minutes) *offset_minutes = off;
  return Timestamp(Duration(secs * 1000000 + micros));
}

int64_t ToUnixMillis(Timestamp t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
Timestamp FromUnixMillis(int64_t ms) { return Timestamp(Duration(ms * 1000)); }

Result<Money> Money::Parse(std::string_view s) {
  auto bad = [&] {
    return InvalidArgument("not an amount in yuan (e.g. 12.30): \"" + std::string(s.substr(0, 32)) + "\"");
  };
  if (s.empty()) return bad();
  bool neg = false;
  size_t i = 0;
  if (s[0] == '-') { neg = true; i = 1; }
  int64_t yuan = 0;
  size_t int_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    yuan = yuan * 10 + (s[i] - '0');
    if (yuan > 100000000000LL) return bad();
    ++i;
    ++int_digits;
  }
  if (int_digits == 0) return bad();
  int64_t fen = 0;
  if (i < s.size()) {
    if (s[i] != '.') return bad();
    ++i;
    size_t dec = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (++dec > 2) return bad();
      fen = fen * 10 + (s[i] - '0');
      ++i;
    }
    if (dec == 0 || i != s.size()) return bad();
    if (dec == 1) fen *= 10;
  }
  const int64_t total = yuan * 100 + fen;
  return Money(neg ? -total : total);
}

std::string Money::ToString() const {
  const int64_t a = fen_ < 0 ? -fen_ : fen_;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%lld.%02lld", fen_ < 0 ? "-" : "",
                static_cast<long long>(a / 100), static_cast<long long>(a % 100));
  return buf;
}

namespace {
std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }());
  return rng;
}
}  // namespace

std::string NewId(std::string_view prefix) {
  static constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
  std::string id(prefix);
  uint64_t a = Rng()(), b = Rng()();
  for (int i = 0; i < 12; ++i, a >>= 5) id += kAlphabet[a & 31];
  for (int i = 0; i < 8; ++i, b >>= 5) id += kAlphabet[b & 31];
  return id;
}

std::string NewSortableId(std::string_view prefix, Timestamp at) {
  // Digits before letters in ASCII, so the alphabet's order is the characters' byte order.
  static constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
  const uint64_t ms = uint64_t(std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count()));
  std::string id(prefix);
  id.resize(prefix.size() + 20);
  char* p = id.data() + prefix.size();
  for (int i = 9; i >= 0; --i) p[9 - i] = kAlphabet[(ms >> (5 * i)) & 31];
  uint64_t r = Rng()();
  for (int i = 10; i < 20; ++i, r >>= 5) p[i] = kAlphabet[r & 31];
  return id;
}

std::string NewSecret(size_t bytes) {
  // random_device reads the OS entropy source; secrets must not come from a seeded PRNG.
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (size_t i = 0; i < bytes; ++i) {
    const unsigned v = rd() & 0xff;
    out += kHex[v >> 4];
    out += kHex[v & 15];
  }
  return out;
}

std::string_view PlatformName(Platform p) {
  switch (p) {
    case Platform::kPdd: return "pdd";
    case Platform::kTaobao: return "taobao";
    case Platform::kKuaishou: return "kuaishou";
    case Platform::kJd: return "jd";
  }
  return "pdd";
}

std::optional<Platform> ParsePlatform(std::string_view name) {
  if (name == "pdd") return Platform::kPdd;
  if (name == "taobao") return Platform::kTaobao;
  if (name == "kuaishou") return Platform::kKuaishou;
  if (name == "jd") return Platform::kJd;
  return std::nullopt;
}

}  // namespace kefu::core
