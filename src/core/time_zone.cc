#include "core/time_zone.h"

#include <cstdio>

#include <date/tz.h>

namespace kefu::core {

namespace {
const date::time_zone* Zone(const void* z) { return static_cast<const date::time_zone*>(z); }
}  // namespace

Result<LocalDate> ParseLocalDate(std::string_view s) {
  auto bad = [&] { return InvalidArgument("not a date YYYY-MM-DD: " + std::string(s.substr(0, 20))); };
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return bad();
  int v[3] = {0, 0, 0};
  const size_t pos[3] = {0, 5, 8}, len[3] = {4, 2, 2};
  for (int k = 0; k < 3; ++k) {
    for (size_t i = pos[k]; i < pos[k] + len[k]; ++i) {
      if (s[i] < '0' || s[i] > '9') return bad();
      v[k] = v[k] * 10 + (s[i] - '0');
    }
  }
  LocalDate d{std::chrono::year(v[0]), std::chrono::month(unsigned(v[1])),
              std::chrono::day(unsigned(v[2]))};
  if (!d.ok()) return bad();
  return d;
}

std::string FormatLocalDate(LocalDate d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(d.year()), unsigned(d.month()),
                unsigned(d.day()));
  return buf;
}

Result<TimeZone> TimeZone::Load(std::string_view name) {
  try {
    const date::time_zone* z = date::locate_zone(name);
    TimeZone tz;
    tz.name_ = std::string(name);
    tz.zone_ = z;
    return tz;
  } catch (const std::exception&) {
    return InvalidArgument("unknown time zone: " + std::string(name), "tz");
  }
}

TimeZone TimeZone::Fixed(int offset_minutes) {
  TimeZone tz;
  tz.fixed_offset_ = offset_minutes;
  char buf[16];
  const int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
  tz.name_ = buf;
  return tz;
}

int TimeZone::OffsetMinutes(Timestamp t) const {
  if (!zone_) return fixed_offset_;
  // The tz database lookup searches the zone's transitions and allocates the abbreviation;
  // each thread remembers the last interval it found, which nearly every call falls into.
  struct Cached {
    const void* zone = nullptr;
    Timestamp begin, end;
    int offset = 0;
  };
  thread_local Cached cached;
  if (cached.zone == zone_ && t >= cached.begin && t < cached.end) return cached.offset;
  const auto info = Zone(zone_)->get_info(std::chrono::time_point_cast<std::chrono::seconds>(t));
  const int offset = static_cast<int>(info.offset.count() / 60);
  // Interval ends far in the past or future do not fit microseconds; clamp them.
  auto micros = [](date::sys_seconds s) {
    constexpr int64_t kLimit = INT64_MAX / 1'000'000;
    const int64_t v = s.time_since_epoch().count();
    if (v >= kLimit) return Timestamp::max();
    if (v <= -kLimit) return Timestamp::min();
    return Timestamp(s);
  };
  cached = Cached{zone_, micros(info.begin), micros(info.end), offset};
  return offset;
}

LocalDate TimeZone::DateOf(Timestamp t) const {
  const auto local = t + std::chrono::minutes(OffsetMinutes(t));
  return LocalDate{std::chrono::floor<std::chrono::days>(local)};
}

Duration TimeZone::TimeOfDay(Timestamp t) const {
  const auto local = t + std::chrono::minutes(OffsetMinutes(t));
  return local - std::chrono::floor<std::chrono::days>(local);
}

Timestamp TimeZone::At(LocalDate date, Duration time_of_day) const {
  const auto local_as_utc = std::chrono::sys_days(date) + time_of_day;
  if (!zone_) return local_as_utc - std::chrono::minutes(fixed_offset_);
  // Try the offset in force a day either side; the first that maps back to the same local
  // time wins (handles DST transitions).
  const Timestamp guess = local_as_utc - std::chrono::minutes(OffsetMinutes(local_as_utc));
  const Timestamp g2 = local_as_utc - std::chrono::minutes(OffsetMinutes(guess));
  if (g2 + std::chrono::minutes(OffsetMinutes(g2)) == local_as_utc) return g2;
  return guess;
}

}  // namespace kefu::core
