// replyrate: counts reply rates exactly as the marketplaces do (拼多多 有效回复率/3分钟人工回复率,
// 淘宝 三分钟人工响应率, 快手 3分钟人工回复率, 京东 30秒应答率) from message events, in batch or live, and a
// live radar that warns before a buyer's deadline. No I/O, no clock: every time is a parameter.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"
#include "core/time_zone.h"

namespace kefu::replyrate {

// ---------------------------------------------------------------------------------------------
// Messages

// Who wrote a message. Only kAgent (a human) and kRobot (智能客服) can answer a buyer; kAuto
// (自动回复) and kSystem never count as an answer.
enum class Sender { kBuyer, kAgent, kRobot, kAuto, kSystem };
// "buyer", "agent", "robot", "auto", "system"; nullopt for anything else.
std::optional<Sender> ParseSender(std::string_view name);
std::string_view SenderName(Sender s);

// One message event. The views stay valid as long as the text they point into.
struct Event {
  std::string_view shop;
  std::string_view buyer;
  Sender from = Sender::kBuyer;
  core::Timestamp ts;
};

// ---------------------------------------------------------------------------------------------
// Platform profiles (data from config/platforms/<platform>.toml, table [replyrate])

// What one counted unit is. kBuyerDay (拼多多, 快手): a buyer with >= 1 trigger on a local day is
// answered within T when EVERY trigger of that day has a reply within T. kTurn (淘宝, 京东): each
// 首问首答 turn (a trigger with no earlier unanswered trigger of the same buyer and day) counts once,
// with the delay to its first answer.
enum class Unit { kBuyerDay, kTurn };

// One "answered within T" line. human_only: only agent messages answer (3分钟人工回复率);
// otherwise agent and, when the profile says robot_counts, robot messages answer.
struct Threshold {
  std::string name;  // output key, e.g. "3m_human", "60m", "30s"
  core::Duration limit{};
  bool human_only = false;
};

// A campaign entry requirement: the rate of `threshold` above `above` (strictly) on each of the
// `days` days before the day asked about. A day without consulting buyers does not fail a gate.
struct CampaignGate {
  std::string id;    // "xinpin"
  std::string name;  // "新品推荐"
  std::string threshold;
  double above = 0;
  int days = 3;
};

struct Profile {
  core::Platform platform = core::Platform::kPdd;
  std::string tz_name = "Asia/Shanghai";
  Unit unit = Unit::kBuyerDay;
  // Service window, local time since midnight: a buyer message is a trigger only inside
  // [window_start, window_end). window_end may be 24h.
  core::Duration window_start{};
  core::Duration window_end{};
  bool robot_counts = true;
  std::vector<Threshold> thresholds;  // at most 8
  // The threshold whose rate is the "effective" rate (拼多多 有效回复率 = "60m"); empty: none.
  std::string effective;
  double line = 0;     // the platform's penalty line for the effective rate (0: none)
  int min_buyers = 0;  // a period is assessed with >= this many consulting buyers
  int default_days = 1;
  // 淘宝 平均响应时长: each turn's delay is capped here for the average; unset: no average.
  std::optional<core::Duration> average_cap;
  std::vector<CampaignGate> gates;

  // The longest threshold (and average cap): no reply later than this after a trigger matters.
  core::Duration Horizon() const;
  // Index of the threshold named `name`, or -1.
  int ThresholdIndex(std::string_view name) const;
};

// The built-in profile of `platform` (embedded config/platforms/<p>.toml), with the [replyrate]
// values of `shop_override_toml` (a TOML text; may be empty) laid over it: scalar keys replace,
// and a given `thresholds` or `gates` array replaces the whole list. kInvalidArgument (field set)
// for a bad value or unparsable TOML.
core::Result<Profile> LoadProfile(core::Platform platform, std::string_view shop_override_toml = {});
// The same from explicit TOML texts (for tests and shops with their own file).
core::Result<Profile> ParseProfile(std::string_view platform_toml,
                                   std::string_view shop_override_toml = {});

// ---------------------------------------------------------------------------------------------
// Calculator (batch and live)

struct CalculatorOptions {
  // true: assume each buyer's events arrive in time order up to `disorder_tolerance` late and
  // settle older triggers (and finished days) as they go, so memory stays per buyer (not per
  // event). An event later than that clears exact() and is applied only as far as the settled
  // state allows (the counts are then not to be trusted); run again with false to be exact for
  // any order (then memory holds, per buyer and day, only triggers not yet answered within the
  // shortest threshold plus merged reply intervals).
  bool assume_nearly_sorted = true;
  core::Duration disorder_tolerance = std::chrono::minutes(10);
};

// Counts of one shop on one local day.
struct DayCounts {
  int64_t consulting_buyers = 0;  // distinct buyers with >= 1 trigger
  int64_t units = 0;              // kBuyerDay: = consulting_buyers; kTurn: turns
  std::vector<int64_t> answered;  // per profile threshold: units answered within it
  int64_t capped_delay_us = 0;    // kTurn with average_cap: sum of capped delays
};

struct GateResult {
  std::string id;
  std::string name;
  bool passed = false;
};

// The figure for one shop over `days` local days ending at `date`.
struct Report {
  std::string shop;
  core::Platform platform = core::Platform::kPdd;
  Unit unit = Unit::kBuyerDay;
  core::LocalDate date;
  int days = 1;
  int64_t consulting_buyers = 0;  // buyer-days summed over the days
  int64_t units = 0;              // turns for kTurn profiles
  int64_t invalid_buyers = 0;     // consulting - answered(effective); 0 without `effective`
  bool assessed = false;          // consulting_buyers >= min_buyers
  std::optional<double> effective_rate;
  std::vector<std::pair<std::string, int64_t>> answered;               // profile order
  std::vector<std::pair<std::string, std::optional<double>>> rates;    // null: no unit
  std::optional<double> average_delay_seconds;  // kTurn with average_cap
  std::vector<GateResult> gates;  // evaluated for `date` (looks at the days before it)
};

// One JSON object (one line, no newline) with the fields of the CLI contract:
// {"shop","platform","date","days","consulting_buyers","invalid_buyers","assessed",
//  "effective_reply_rate","answered":{...},"rates":{...}} plus "gates" (and "turns",
// "average_delay_seconds" for kTurn profiles).
std::string ReportToJson(const Report& r);

// A pure, streaming reply-rate calculator over message events in any order. Feed it every
// message (or only those near the days asked about); ask for reports at any time (live: the
// figure so far). Not thread-safe. Movable.
class Calculator {
 public:
  // Counts triggers on local days [first_day, last_day] in `tz`. kInvalidArgument when
  // last_day < first_day, the span exceeds 4000 days, or the profile has no threshold.
  static core::Result<Calculator> Create(const Profile& profile, const core::TimeZone& tz,
                                         core::LocalDate first_day, core::LocalDate last_day,
                                         CalculatorOptions options = {});
  Calculator(Calculator&&) noexcept;
  Calculator& operator=(Calculator&&) noexcept;
  ~Calculator();

  // Applies one message. Events with equal timestamps are ordered by the order of Add calls
  // (a reply answers a trigger of the same instant only when added after it).
  void Add(std::string_view shop, std::string_view buyer, Sender from, core::Timestamp ts);
  // The same as Add for each event in order; faster for many (buyers are looked up ahead).
  void AddBatch(std::span<const Event> events);
  // Takes over the state of `other`, which counted other buyers over the same days with the same
  // profile and zone (e.g. a share of the buyers counted on another thread). Afterwards this
  // calculator answers as if it had been fed both streams. kInvalidArgument when the day ranges
  // or thresholds differ or a (shop, buyer) was counted by both (nothing is moved then).
  core::Status Merge(Calculator&& other);

  // False when assume_nearly_sorted and some event came later than the tolerance allows.
  bool exact() const;
  // Shop ids seen, sorted.
  std::vector<std::string> Shops() const;
  // Counts of `shop` on `day` (zeros for an unknown shop or a day outside the range).
  DayCounts Counts(std::string_view shop, core::LocalDate day) const;
  // The report of `shop` over `days` days ending at `date` (days clipped to the range).
  Report ReportFor(std::string_view shop, core::LocalDate date, int days) const;
  // One report per shop seen, sorted by shop id.
  std::vector<Report> Reports(core::LocalDate date, int days) const;
  // The one-day reports of `shop` for the `days` days ending at `last`, oldest first.
  std::vector<Report> DailyReports(std::string_view shop, core::LocalDate last, int days) const;
  // Approximate bytes of per-buyer state (for tests and benchmarks of streaming memory).
  size_t StateBytes() const;

 private:
  struct Impl;
  explicit Calculator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------------
// Event logs (batch): JSON lines {"ts": RFC 3339 with offset, "shop", "buyer",
// "from": "buyer"|"agent"|"robot"|"auto"|"system", ...}; unknown fields are ignored.

// Reads one event-log line. Usual lines are read by a specialised scanner; anything it is not
// sure of (escapes or a non-string in the four fields, nested values, a missing field, an odd
// time stamp) goes through a full JSON parse, so both give the same answer and the same error.
// Not thread-safe: one per thread. Movable.
class EventLineParser {
 public:
  // scanner = false: every line goes through the full JSON parse (the reference, for tests).
  explicit EventLineParser(bool scanner = true);
  ~EventLineParser();
  EventLineParser(EventLineParser&&) noexcept;
  EventLineParser& operator=(EventLineParser&&) noexcept;

  // Parses `line` (without its newline). Returns true and fills *event, or false for a blank
  // line. The views in *event point into `line` or into this parser (valid until the next call).
  // kInvalidArgument with a short reason (e.g. `missing "buyer"`) for a malformed line.
  core::Result<bool> Parse(std::string_view line, Event* event);
  // Lines that needed the full JSON parse so far.
  uint64_t full_parses() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct LogOptions {
  CalculatorOptions calculator;
  std::string only_shop;  // empty: every shop
  int threads = 1;        // threads that parse and count (each counts a share of the buyers)
  // Called now and then, one call at a time, with an offset into the text being fed below which
  // it will not be read again (lets a caller drop pages of a mapped file). May be empty.
  std::function<void(size_t offset)> released;
};

// Counts an event log on several threads. The text is cut into blocks at line ends; blocks are
// parsed in parallel and each thread counts its share of the buyers (by a hash of shop and
// buyer), taking the blocks in input order, so every buyer sees its events in input order and
// the answer equals one Calculator fed line by line, for any order of the lines and any number
// of threads. Memory: a few blocks in flight plus the calculators' state. Not thread-safe itself.
class LogCounter {
 public:
  static core::Result<LogCounter> Create(const Profile& profile, const core::TimeZone& tz,
                                         core::LocalDate first_day, core::LocalDate last_day,
                                         LogOptions options = {});
  LogCounter(LogCounter&&) noexcept;
  LogCounter& operator=(LogCounter&&) noexcept;
  ~LogCounter();

  // Counts the lines of `text` (whole lines; the last may lack its newline). Lines are numbered
  // on from earlier calls. At the first malformed line returns kInvalidArgument with the message
  // "line N: reason" (field "line"); the counts are incomplete then.
  core::Status Feed(std::string_view text);
  // Lines read so far (blank lines included).
  uint64_t lines() const;
  // Lines that needed the full JSON parse so far.
  uint64_t full_parses() const;
  // All counts as one calculator. Call once, at the end.
  core::Result<Calculator> Finish();

 private:
  struct Impl;
  explicit LogCounter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------------
// Live radar

struct RadarWarnAt {
  std::string threshold;  // a profile threshold name, e.g. "3m_human", "60m"
  core::Duration lead{};  // warn this long before the line
};

struct RadarSettings {
  Profile profile;
  core::TimeZone tz = core::TimeZone::Fixed(8 * 60);
  // Default: 60 s before the first human-only line (3 minutes on 拼多多) and 10 min before the
  // effective line (1 hour); filled by Radar when empty.
  std::vector<RadarWarnAt> warn_at;
  // A buyer with no agent answer this long after the wait began is escalated (once per wait).
  core::Duration escalate_after = std::chrono::seconds(150);
};

struct Warning {
  std::string conversation_id;
  std::string shop;
  std::string buyer;
  std::string agent;  // assigned agent; empty when unassigned (goes to the leads)
  std::string threshold;
  core::Timestamp deadline;
};

struct Escalation {
  std::string conversation_id;
  std::string shop;
  std::string buyer;
  std::string agent;  // the agent who did not answer; empty when unassigned
  core::Timestamp waiting_since;
};

struct TimeLeft {
  std::string threshold;
  core::Timestamp deadline;
  core::Duration left{};  // negative: the line is already missed
};

struct WaitingBuyer {
  std::string conversation_id;
  std::string buyer;
  std::string agent;
  core::Timestamp waiting_since;
  std::vector<TimeLeft> lines;  // the profile's thresholds still open for this wait
};

// Live deadlines of waiting buyers: which buyer misses which line when, warnings before a
// breach (each once per wait) and escalations. A wait starts at a trigger (a buyer message
// inside the service window) with no open wait; an agent reply ends it, a robot reply ends only
// the lines robots may answer; auto/system messages change nothing. Not thread-safe: the server
// serialises calls. Time comes only from the arguments.
class Radar {
 public:
  explicit Radar(RadarSettings settings);
  ~Radar();
  Radar(Radar&&) noexcept;
  Radar& operator=(Radar&&) noexcept;

  void OnBuyerMessage(const std::string& shop, const std::string& buyer,
                      const std::string& conversation_id, const std::string& agent_id,
                      core::Timestamp ts);
  void OnReply(const std::string& shop, const std::string& buyer, Sender from, core::Timestamp ts);
  void OnAssigned(const std::string& shop, const std::string& buyer, const std::string& agent_id);
  // Warnings whose time (deadline - lead) is <= now and not yet returned for this wait.
  std::vector<Warning> Poll(core::Timestamp now);
  // Waits with no agent answer escalate_after past their start, once per wait.
  std::vector<Escalation> Escalations(core::Timestamp now);
  // The waiting buyers of `shop`, longest wait first, with time left per open line.
  std::vector<WaitingBuyer> Waiting(const std::string& shop, core::Timestamp now) const;
  const RadarSettings& settings() const { return settings_; }

 private:
  struct Wait;
  RadarSettings settings_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Wait>> waits_;
};

}  // namespace kefu::replyrate
