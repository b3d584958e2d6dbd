#include "core/core.h"
#include "core/time_zone.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace kefu::core {
namespace {

TEST(Money, ParsesYuanTexts) {
  struct Case { const char* text; bool ok; int64_t fen; };
  const Case cases[] = {
      {"12", true, 1200}, {"12.3", true, 1230}, {"12.30", true, 1230}, {"-0.5", true, -50},
      {"0.01", true, 1},  {"12.3.4", false, 0}, {"", false, 0},          {"abc", false, 0},
      {"1.234", false, 0}, {"1.", false, 0},    {".5", false, 0},        {"99999999999999", false, 0},
  };
  for (const auto& c : cases) {
    auto m = Money::Parse(c.text);
    EXPECT_EQ(m.ok(), c.ok) << c.text;
    if (c.ok && m.ok()) {
      EXPECT_EQ(m->fen(), c.fen) << c.text;
    }
  }
  EXPECT_EQ(Money(1230).ToString(), "12.30");
  EXPECT_EQ(Money(-5).ToString(), "-0.05");
}

TEST(Time, Rfc3339RoundTripsWithOffsets) {
  int off = 0;
  auto t = ParseRfc3339("2026-03-05T09:00:00+08:00", &off);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(off, 480);
  auto z = ParseRfc3339("2026-03-05T01:00:00Z");
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(*t, *z);
  EXPECT_EQ(FormatRfc3339(*t, 480), "2026-03-05T09:00:00+08:00");
  EXPECT_EQ(FormatRfc3339(*t), "2026-03-05T01:00:00Z");
  auto f = ParseRfc3339("2026-03-05T01:00:00.25-01:30");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(FormatRfc3339(*f), "2026-03-05T02:30:00.250Z");
  for (const char* bad : {"2026-03-05", "2026-02-30T00:00:00Z", "2026-03-05T09:00:00",
                          "2026-03-05T25:00:00Z", "2026-03-05T09:00:00+0800", "x"}) {
    EXPECT_FALSE(ParseRfc3339(bad).ok()) << bad;
  }
}

TEST(TimeZone, ShanghaiDaysAndWallTimes) {
  auto tz = TimeZone::Load("Asia/Shanghai");
  ASSERT_TRUE(tz.ok());
  auto t = *ParseRfc3339("2026-03-04T16:30:00Z");  // 00:30 on the 5th in Shanghai
  EXPECT_EQ(FormatLocalDate(tz->DateOf(t)), "2026-03-05");
  EXPECT_EQ(tz->TimeOfDay(t), std::chrono::minutes(30));
  auto d = *ParseLocalDate("2026-03-05");
  EXPECT_EQ(tz->At(d, std::chrono::hours(8)), *ParseRfc3339("2026-03-05T00:00:00Z"));
  EXPECT_FALSE(TimeZone::Load("Mars/Olympus").ok());
  EXPECT_FALSE(ParseLocalDate("2026-02-30").ok());
}

TEST(TimeZone, HandlesDaylightSaving) {
  auto tz = TimeZone::Load("America/New_York");
  ASSERT_TRUE(tz.ok());
  auto d = *ParseLocalDate("2026-07-01");
  EXPECT_EQ(tz->At(d, std::chrono::hours(9)), *ParseRfc3339("2026-07-01T13:00:00Z"));
  EXPECT_EQ(tz->OffsetMinutes(*ParseRfc3339("2026-01-01T12:00:00Z")), -300);
}

TEST(Result, CarriesValueOrStatus) {
  Result<int> ok = 5;
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 5);
  Result<int> err = InvalidArgument("bad", "text");
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.status().field(), "text");
  EXPECT_EQ(err.status().error(), "invalid_argument");
  auto f = [](bool fail) -> Result<std::string> {
    KEFU_ASSIGN_OR_RETURN(int v, fail ? Result<int>(NotFound("x")) : Result<int>(7));
    return std::to_string(v);
  };
  EXPECT_EQ(*f(false), "7");
  EXPECT_EQ(f(true).status().code(), Code::kNotFound);
}

TEST(Ids, AreUniqueAndPrefixed) {
  auto a = NewId("c_"), b = NewId("c_");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("c_", 0), 0u);
  EXPECT_EQ(a.size(), 22u);
  EXPECT_EQ(NewSecret(16).size(), 32u);
}

TEST(Ids, SortableIdsSortByTheirTime) {
  const Timestamp t0 = *ParseRfc3339("2026-03-05T09:00:00.001Z");
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) ids.push_back(NewSortableId("m_", t0 + std::chrono::milliseconds(i * 37)));
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(ids[0].size(), 22u);
  EXPECT_EQ(ids[0].rfind("m_", 0), 0u);
  // The same millisecond: distinct ids sharing the time prefix.
  auto a = NewSortableId("m_", t0), b = NewSortableId("m_", t0);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.substr(0, 12), b.substr(0, 12));
  // Far apart in time still compares by time (the prefix is the whole millisecond count).
  EXPECT_LT(NewSortableId("m_", t0), NewSortableId("m_", t0 + std::chrono::hours(24 * 365 * 30)));
}

TEST(Time, FormatsMillisecondsAndOffsets) {
  const Timestamp t = *ParseRfc3339("2026-12-31T23:59:59.5-05:30");
  EXPECT_EQ(FormatRfc3339(t, -330), "2026-12-31T23:59:59.500-05:30");
  EXPECT_EQ(FormatRfc3339(t, 480), "2027-01-01T13:29:59.500+08:00");
  EXPECT_EQ(FormatRfc3339(t, 0), "2027-01-01T05:29:59.500Z");
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("1970-01-01T00:00:00Z"), 0), "1970-01-01T00:00:00Z");
  // Sub-millisecond parts are cut, not rounded.
  EXPECT_EQ(FormatRfc3339(t + std::chrono::microseconds(999), -330), "2026-12-31T23:59:59.500-05:30");
}

}  // namespace
}  // namespace kefu::core
