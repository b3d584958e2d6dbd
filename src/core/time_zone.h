// core/time_zone: local days and wall-clock times in an IANA time zone (the shop's), from the
// system tz database. No I/O after Load; instances are immutable and thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/core.h"

namespace kefu::core {

// A calendar date, e.g. 2026-03-05.
using LocalDate = std::chrono::year_month_day;

// Parses "YYYY-MM-DD"; kInvalidArgument otherwise (including 2026-02-30).
Result<LocalDate> ParseLocalDate(std::string_view text);
std::string FormatLocalDate(LocalDate d);

class TimeZone {
 public:
  // Looks a zone up by IANA name ("Asia/Shanghai"); kInvalidArgument when unknown.
  static Result<TimeZone> Load(std::string_view name);
  // A fixed offset from UTC, in minutes (for inputs that carry only an offset).
  static TimeZone Fixed(int offset_minutes);

  const std::string& name() const { return name_; }
  // The UTC offset in minutes in force at `t`.
  int OffsetMinutes(Timestamp t) const;
  // The local calendar date at `t`.
  LocalDate DateOf(Timestamp t) const;
  // Time since local midnight at `t`.
  Duration TimeOfDay(Timestamp t) const;
  // The instant of local time `time_of_day` on `date` (the earlier one if ambiguous; for a
  // skipped local time, the instant just after the gap).
  Timestamp At(LocalDate date, Duration time_of_day) const;
  // RFC 3339 in this zone's offset.
  std::string Format(Timestamp t) const { return FormatRfc3339(t, OffsetMinutes(t)); }

 private:
  TimeZone() = default;
  std::string name_;
  const void* zone_ = nullptr;  // const date::time_zone*, or null for a fixed offset
  int fixed_offset_ = 0;
};

}  // namespace kefu::core
