// Table-driven reply-rate tests: every case in tests/replyrate/cases/*.jsonl is run as given, in
// exact mode, and (unless order_sensitive) reversed and shuffled; plus a randomised comparison
// with a brute-force reading of the 拼多多 definitions.
#include <algorithm>
#include <filesystem>
#include <map>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "replyrate/replyrate.h"

namespace rr = kefu::replyrate;
namespace json = boost::json;
using kefu::core::Timestamp;

namespace {

struct Ev {
  std::string shop, buyer;
  rr::Sender from;
  Timestamp ts;
};

struct Case {
  std::string file, name, platform, date, tz, override_toml;
  int days = 0;
  bool order_sensitive = false;
  std::vector<Ev> events;
  json::object expect;
};

Timestamp Ts(const std::string& date, const std::string& text) {
  const std::string full = text.find('T') != std::string::npos ? text : date + "T" + text + "+08:00";
  auto t = kefu::core::ParseRfc3339(full);
  EXPECT_TRUE(t.ok()) << full;
  return t.ok() ? *t : Timestamp{};
}

std::vector<Case> LoadCases() {
  std::vector<Case> out;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator("tests/replyrate/cases"))
    if (e.path().extension() == ".jsonl") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      json::object o = json::parse(line).as_object();
      if (header) {
        EXPECT_TRUE(o.contains("name") && o.contains("description")) << f << " needs a header";
        header = false;
        continue;
      }
      Case c;
      c.file = f.filename().string();
      c.name = std::string(o.at("case").as_string());
      c.platform = std::string(o.at("platform").as_string());
      c.date = std::string(o.at("date").as_string());
      if (o.contains("days")) c.days = int(o.at("days").as_int64());
      if (o.contains("tz")) c.tz = std::string(o.at("tz").as_string());
      if (o.contains("override")) c.override_toml = std::string(o.at("override").as_string());
      if (o.contains("order_sensitive")) c.order_sensitive = o.at("order_sensitive").as_bool();
      for (const auto& ev : o.at("events").as_array()) {
        const auto& a = ev.as_array();
        Ev e;
        e.ts = Ts(c.date, std::string(a.at(0).as_string()));
        e.buyer = std::string(a.at(1).as_string());
        auto s = rr::ParseSender(std::string(a.at(2).as_string()));
        EXPECT_TRUE(s.has_value()) << c.name;
        e.from = s.value_or(rr::Sender::kSystem);
        e.shop = a.size() > 3 ? std::string(a.at(3).as_string()) : "s";
        c.events.push_back(std::move(e));
      }
      c.expect = o.at("expect").as_object();
      out.push_back(std::move(c));
    }
  }
  return out;
}

// The report of shop "s" for the case, events fed in `order`.
json::object RunCase(const Case& c, const std::vector<Ev>& events, bool nearly_sorted, bool* exact) {
  auto platform = kefu::core::ParsePlatform(c.platform);
  auto profile = rr::LoadProfile(*platform, c.override_toml);
  EXPECT_TRUE(profile.ok()) << profile.status().ToString();
  auto tz = kefu::core::TimeZone::Load(c.tz.empty() ? profile->tz_name : c.tz);
  EXPECT_TRUE(tz.ok());
  const int days = c.days > 0 ? c.days : profile->default_days;
  int gate_days = 0;
  for (const auto& g : profile->gates) gate_days = std::max(gate_days, g.days);
  auto date = kefu::core::ParseLocalDate(c.date);
  const kefu::core::LocalDate first{std::chrono::sys_days(*date) -
                                    std::chrono::days(days - 1 + gate_days)};
  rr::CalculatorOptions opt;
  opt.assume_nearly_sorted = nearly_sorted;
  auto calc = rr::Calculator::Create(*profile, *tz, first, *date, opt);
  EXPECT_TRUE(calc.ok());
  for (const Ev& e : events) calc->Add(e.shop, e.buyer, e.from, e.ts);
  *exact = calc->exact();
  return json::parse(rr::ReportToJson(calc->ReportFor("s", *date, days))).as_object();
}

void ExpectMatches(const json::value& want, const json::value& got, const std::string& where) {
  if (want.is_object()) {
    ASSERT_TRUE(got.is_object()) << where;
    for (const auto& [k, v] : want.as_object()) {
      ASSERT_TRUE(got.as_object().contains(k)) << where << "." << k << " missing";
      ExpectMatches(v, got.as_object().at(k), where + "." + std::string(k));
    }
  } else if (want.is_null()) {
    EXPECT_TRUE(got.is_null()) << where << " = " << json::serialize(got) << ", want null";
  } else if (want.is_double() || got.is_double()) {
    ASSERT_TRUE(got.is_number()) << where << " = " << json::serialize(got);
    EXPECT_NEAR(got.to_number<double>(), want.to_number<double>(), 1e-9) << where;
  } else {
    EXPECT_EQ(json::serialize(got), json::serialize(want)) << where;
  }
}

void Check(const Case& c, const json::object& got, const std::string& how) {
  const std::string where = c.file + ":" + c.name + " (" + how + ")";
  for (const auto& [k, v] : c.expect) {
    if (k == "gates") {  // {"id": passed}
      const auto& arr = got.at("gates").as_array();
      for (const auto& [id, passed] : v.as_object()) {
        auto it = std::find_if(arr.begin(), arr.end(),
                               [&](const json::value& g) { return g.at("id").as_string() == id; });
        ASSERT_NE(it, arr.end()) << where << " gate " << id << " missing";
        EXPECT_EQ(it->at("passed").as_bool(), passed.as_bool()) << where << " gate " << id;
      }
      continue;
    }
    ASSERT_TRUE(got.contains(k)) << where << ": " << k << " missing in " << json::serialize(got);
    ExpectMatches(v, got.at(k), where + " " + std::string(k));
  }
}

TEST(ReplyRate, CasesMatchInEveryOrder) {
  const auto cases = LoadCases();
  ASSERT_GE(cases.size(), 40u) << "case files not found (run from the repo root)";
  for (const Case& c : cases) {
    bool exact = false;
    // Nearly-sorted mode either is exact or says it is not (then the CLI counts again exactly).
    const json::object given = RunCase(c, c.events, true, &exact);
    if (exact) Check(c, given, "as given");
    Check(c, RunCase(c, c.events, false, &exact), "exact mode");
    if (c.order_sensitive) continue;
    std::vector<Ev> ev = c.events;
    std::reverse(ev.begin(), ev.end());
    Check(c, RunCase(c, ev, false, &exact), "reversed");
    std::mt19937 rng(42);
    for (int k = 0; k < 5; ++k) {
      std::shuffle(ev.begin(), ev.end(), rng);
      Check(c, RunCase(c, ev, false, &exact), "shuffled " + std::to_string(k));
      const json::object nearly = RunCase(c, ev, true, &exact);
      if (exact) Check(c, nearly, "shuffled, nearly sorted");
    }
  }
}

// A brute-force reading of the 拼多多 definitions, for random comparisons.
struct RefCounts {
  int consulting = 0;
  int answered[4] = {0, 0, 0, 0};  // 3m_human, 5m, 15m, 60m
};

RefCounts Reference(const std::vector<Ev>& ev, Timestamp lo, Timestamp hi) {
  RefCounts r;
  std::map<std::string, std::vector<size_t>> by_buyer;
  for (size_t i = 0; i < ev.size(); ++i) by_buyer[ev[i].buyer].push_back(i);
  const std::chrono::seconds lim[4] = {std::chrono::seconds(180), std::chrono::seconds(300),
                                       std::chrono::seconds(900), std::chrono::seconds(3600)};
  for (const auto& [buyer, idx] : by_buyer) {
    bool consulting = false, ok[4] = {true, true, true, true};
    for (size_t i : idx) {
      const Ev& t = ev[i];
      if (t.from != rr::Sender::kBuyer || t.ts < lo || t.ts >= hi) continue;
      consulting = true;
      for (int k = 0; k < 4; ++k) {
        bool answered = false;
        for (size_t j : idx) {
          const Ev& r = ev[j];
          const bool counts = r.from == rr::Sender::kAgent || (k > 0 && r.from == rr::Sender::kRobot);
          const bool after = r.ts > t.ts || (r.ts == t.ts && j > i);
          if (counts && after && r.ts - t.ts <= lim[k]) answered = true;
        }
        ok[k] = ok[k] && answered;
      }
    }
    if (!consulting) continue;
    ++r.consulting;
    for (int k = 0; k < 4; ++k) r.answered[k] += ok[k];
  }
  return r;
}

TEST(ReplyRate, AgreesWithBruteForceOnRandomLogs) {
  auto profile = rr::LoadProfile(kefu::core::Platform::kPdd);
  ASSERT_TRUE(profile.ok());
  auto tz = kefu::core::TimeZone::Load("Asia/Shanghai");
  const auto day = *kefu::core::ParseLocalDate("2026-03-05");
  const Timestamp lo = tz->At(day, std::chrono::hours(8)), hi = tz->At(day, std::chrono::hours(23));
  std::mt19937 rng(7);
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<Ev> ev;
    const int n = 1 + int(rng() % 60);
    for (int i = 0; i < n; ++i) {
      Ev e;
      e.shop = "s";
      e.buyer = "b" + std::to_string(rng() % 4);
      const uint32_t f = rng() % 10;
      e.from = f < 4 ? rr::Sender::kBuyer : f < 7 ? rr::Sender::kAgent : f < 8 ? rr::Sender::kRobot
               : f < 9 ? rr::Sender::kAuto : rr::Sender::kSystem;
      // Around the window edges and with many equal timestamps (whole minutes).
      const int64_t base = iter % 2 ? 7 * 3600 + 50 * 60 : 22 * 3600 + 30 * 60;
      e.ts = tz->At(day, std::chrono::seconds(base + 60 * int64_t(rng() % 90)));
      ev.push_back(e);
    }
    const RefCounts want = Reference(ev, lo, hi);
    for (int mode = 0; mode < 2; ++mode) {
      std::vector<Ev> feed = ev;
      if (mode == 1)  // sorted (stable: ties keep their order) in nearly-sorted mode
        std::stable_sort(feed.begin(), feed.end(), [](const Ev& a, const Ev& b) { return a.ts < b.ts; });
      rr::CalculatorOptions opt;
      opt.assume_nearly_sorted = mode == 1;
      opt.disorder_tolerance = std::chrono::seconds(0);
      auto calc = rr::Calculator::Create(*profile, *tz, day, day, opt);
      for (const Ev& e : feed) calc->Add(e.shop, e.buyer, e.from, e.ts);
      // Sorting may reorder ties between different buyers only; within a buyer the reference
      // order is kept by stable_sort, so the answer is the same.
      EXPECT_TRUE(calc->exact());
      const auto c = calc->Counts("s", day);
      ASSERT_EQ(c.consulting_buyers, want.consulting) << "iter " << iter << " mode " << mode;
      for (int k = 0; k < 4; ++k)
        EXPECT_EQ(c.answered[size_t(k)], want.answered[k]) << "iter " << iter << " mode " << mode << " k " << k;
    }
  }
}

TEST(ReplyRate, SortedStreamKeepsStatePerBuyerNotPerEvent) {
  auto profile = rr::LoadProfile(kefu::core::Platform::kPdd);
  auto tz = kefu::core::TimeZone::Load("Asia/Shanghai");
  const auto first = *kefu::core::ParseLocalDate("2026-03-01");
  const auto last = *kefu::core::ParseLocalDate("2026-03-30");
  // The same traffic per buyer and hour for 20x longer: 20x the events, the same state.
  auto measure = [&](int per_buyer) {
    auto calc = rr::Calculator::Create(*profile, *tz, first, last);
    Timestamp t = tz->At(first, std::chrono::hours(8));
    for (int i = 0; i < per_buyer; ++i) {
      for (int b = 0; b < 100; ++b) {
        const std::string buyer = "b" + std::to_string(b);
        calc->Add("s", buyer, rr::Sender::kBuyer, t);
        // Every other wait is answered late: those triggers stay pending until settled.
        calc->Add("s", buyer, rr::Sender::kAgent, t + std::chrono::seconds(i % 2 ? 30 : 400));
      }
      t += std::chrono::seconds(600);
    }
    EXPECT_TRUE(calc->exact());
    return calc->StateBytes();
  };
  const size_t small = measure(100), large = measure(2000);
  EXPECT_LT(double(large), 1.5 * double(small)) << small << " vs " << large;
}

TEST(ReplyRate, ProfilesLoadForEveryPlatformWithSources) {
  for (auto p : {kefu::core::Platform::kPdd, kefu::core::Platform::kTaobao,
                 kefu::core::Platform::kKuaishou, kefu::core::Platform::kJd}) {
    auto profile = rr::LoadProfile(p);
    ASSERT_TRUE(profile.ok()) << profile.status().ToString();
    EXPECT_FALSE(profile->thresholds.empty());
    EXPECT_EQ(profile->platform, p);
  }
  auto pdd = rr::LoadProfile(kefu::core::Platform::kPdd);
  EXPECT_EQ(pdd->window_start, std::chrono::hours(8));
  EXPECT_EQ(pdd->window_end, std::chrono::hours(23));
  EXPECT_EQ(pdd->min_buyers, 100);
  EXPECT_EQ(pdd->effective, "60m");
  EXPECT_EQ(pdd->gates.size(), 3u);
}

TEST(ReplyRate, BadOverrideIsAnError) {
  auto r = rr::LoadProfile(kefu::core::Platform::kPdd, "[replyrate]\nwindow_start = \"25:00\"\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "replyrate.window_start");
  EXPECT_FALSE(rr::LoadProfile(kefu::core::Platform::kPdd, "[replyrate\n").ok());
  EXPECT_FALSE(rr::LoadProfile(kefu::core::Platform::kPdd, "[replyrate]\neffective = \"7m\"\n").ok());
  auto ok = rr::LoadProfile(kefu::core::Platform::kPdd, "[replyrate]\nmin_buyers = 5\n");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->min_buyers, 5);
  EXPECT_EQ(ok->thresholds.size(), 4u);  // untouched keys stay
}

}  // namespace
