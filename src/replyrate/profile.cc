// Reads the [replyrate] table of a platform profile (and a shop's override) with toml++. This is
// the only file that includes toml++ (a heavy header).
#include <algorithm>
#include <string>

#include <toml++/toml.h>

#include "embedded/replyrate_platforms.h"
#include "replyrate/replyrate.h"

namespace kefu::replyrate {
namespace {

using core::InvalidArgument;
using core::Result;
using core::Status;

// "08:00", "23:00", "24:00" -> time since midnight.
Result<core::Duration> ParseHhMm(std::string_view s, const std::string& field) {
  if (s.size() != 5 || s[2] != ':') return InvalidArgument("want HH:MM, got " + std::string(s), field);
  for (int i : {0, 1, 3, 4})
    if (s[i] < '0' || s[i] > '9') return InvalidArgument("want HH:MM, got " + std::string(s), field);
  const int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0))
    return InvalidArgument("not a time of day: " + std::string(s), field);
  return core::Duration(std::chrono::minutes(h * 60 + m));
}

Result<std::vector<Threshold>> ParseThresholds(const toml::array& arr) {
  std::vector<Threshold> out;
  for (const auto& node : arr) {
    const toml::table* t = node.as_table();
    if (!t) return InvalidArgument("each threshold must be a table", "replyrate.thresholds");
    Threshold th;
    th.name = (*t)["name"].value_or(std::string());
    const auto secs = (*t)["seconds"].value<int64_t>();
    if (th.name.empty() || !secs || *secs <= 0)
      return InvalidArgument("a threshold needs a name and seconds > 0", "replyrate.thresholds");
    th.limit = std::chrono::seconds(*secs);
    th.human_only = (*t)["human_only"].value_or(false);
    out.push_back(std::move(th));
  }
  if (out.empty() || out.size() > 8)
    return InvalidArgument("between 1 and 8 thresholds", "replyrate.thresholds");
  return out;
}

Result<std::vector<CampaignGate>> ParseGates(const toml::array& arr) {
  std::vector<CampaignGate> out;
  for (const auto& node : arr) {
    const toml::table* t = node.as_table();
    if (!t) return InvalidArgument("each gate must be a table", "replyrate.gates");
    CampaignGate g;
    g.id = (*t)["id"].value_or(std::string());
    g.name = (*t)["name"].value_or(g.id);
    g.threshold = (*t)["threshold"].value_or(std::string());
    g.above = (*t)["above"].value_or(0.0);
    g.days = int((*t)["days"].value_or(int64_t{3}));
    if (g.id.empty() || g.threshold.empty() || g.days < 1 || g.days > 60)
      return InvalidArgument("a gate needs id, threshold and 1..60 days", "replyrate.gates");
    out.push_back(std::move(g));
  }
  return out;
}

// Lays the keys present in `rr` over `p`.
Status Apply(const toml::table& rr, Profile* p) {
  if (auto v = rr["unit"].value<std::string>()) {
    if (*v == "buyer_day") p->unit = Unit::kBuyerDay;
    else if (*v == "turn") p->unit = Unit::kTurn;
    else return InvalidArgument("unit must be buyer_day or turn", "replyrate.unit");
  }
  if (auto v = rr["window_start"].value<std::string>()) {
    KEFU_ASSIGN_OR_RETURN(p->window_start, ParseHhMm(*v, "replyrate.window_start"));
  }
  if (auto v = rr["window_end"].value<std::string>()) {
    KEFU_ASSIGN_OR_RETURN(p->window_end, ParseHhMm(*v, "replyrate.window_end"));
  }
  if (auto v = rr["robot_counts"].value<bool>()) p->robot_counts = *v;
  if (auto v = rr["effective"].value<std::string>()) p->effective = *v;
  if (auto v = rr["line"].value<double>()) p->line = *v;
  if (auto v = rr["min_buyers"].value<int64_t>()) p->min_buyers = int(*v);
  if (auto v = rr["default_days"].value<int64_t>()) p->default_days = int(*v);
  if (auto v = rr["average_cap_seconds"].value<int64_t>()) {
    if (*v <= 0) p->average_cap.reset();
    else p->average_cap = std::chrono::seconds(*v);
  }
  if (auto v = rr["tz"].value<std::string>()) p->tz_name = *v;
  if (const toml::array* a = rr["thresholds"].as_array()) {
    KEFU_ASSIGN_OR_RETURN(p->thresholds, ParseThresholds(*a));
  }
  if (const toml::array* a = rr["gates"].as_array()) {
    KEFU_ASSIGN_OR_RETURN(p->gates, ParseGates(*a));
  }
  return Status::Ok();
}

Result<toml::table> ParseToml(std::string_view text, const char* what) {
  try {
    return toml::parse(text);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(std::string(what) + " is not valid TOML: " + std::string(e.description()),
                           "replyrate");
  }
}

}  // namespace

core::Duration Profile::Horizon() const {
  core::Duration h{0};
  for (const auto& t : thresholds) h = std::max(h, t.limit);
  if (average_cap) h = std::max(h, *average_cap);
  return h;
}

int Profile::ThresholdIndex(std::string_view name) const {
  for (size_t i = 0; i < thresholds.size(); ++i)
    if (thresholds[i].name == name) return int(i);
  return -1;
}

Result<Profile> ParseProfile(std::string_view platform_toml, std::string_view shop_override_toml) {
  KEFU_ASSIGN_OR_RETURN(toml::table base, ParseToml(platform_toml, "platform profile"));
  Profile p;
  const auto id = base["platform"]["id"].value<std::string>();
  const auto platform = id ? core::ParsePlatform(*id) : std::nullopt;
  if (!platform) return InvalidArgument("[platform] id missing or unknown", "platform.id");
  p.platform = *platform;
  p.tz_name = base["platform"]["default_tz"].value_or(std::string("Asia/Shanghai"));
  const toml::table* rr = base["replyrate"].as_table();
  if (!rr) return InvalidArgument("no [replyrate] table in the platform profile", "replyrate");
  KEFU_TRY(Apply(*rr, &p));
  if (!shop_override_toml.empty()) {
    KEFU_ASSIGN_OR_RETURN(toml::table over, ParseToml(shop_override_toml, "shop override"));
    if (const toml::table* o = over["replyrate"].as_table()) KEFU_TRY(Apply(*o, &p));
  }
  if (p.thresholds.empty()) return InvalidArgument("no thresholds", "replyrate.thresholds");
  if (p.window_end <= p.window_start)
    return InvalidArgument("window_end must be after window_start", "replyrate.window_end");
  if (!p.effective.empty() && p.ThresholdIndex(p.effective) < 0)
    return InvalidArgument("effective names no threshold: " + p.effective, "replyrate.effective");
  for (const auto& g : p.gates)
    if (p.ThresholdIndex(g.threshold) < 0)
      return InvalidArgument("gate " + g.id + " names no threshold: " + g.threshold,
                             "replyrate.gates");
  if (p.default_days < 1) return InvalidArgument("default_days must be >= 1", "replyrate.default_days");
  return p;
}

Result<Profile> LoadProfile(core::Platform platform, std::string_view shop_override_toml) {
  const std::string path = "config/platforms/" + std::string(core::PlatformName(platform)) + ".toml";
  const std::string_view text = embedded::replyrate_platforms(path);
  if (text.empty()) return core::NotFound("no embedded profile " + path);
  return ParseProfile(text, shop_override_toml);
}

}  // namespace kefu::replyrate
