// The live radar: one open wait per (shop, buyer), its lines computed from the profile.
// Waits are few (buyers waiting right now), so Poll/Escalations scan them all.
#include <algorithm>

#include "replyrate/replyrate.h"

namespace kefu::replyrate {

struct Radar::Wait {
  std::string conversation_id;
  std::string agent;
  bool human_open = false;      // no agent answer yet
  bool countable_open = false;  // no agent (or robot, when robots count) answer yet
  core::Timestamp human_since{};
  core::Timestamp countable_since{};
  std::vector<bool> fired;  // per settings_.warn_at
  bool escalated = false;
};

Radar::Radar(RadarSettings settings) : settings_(std::move(settings)) {
  const Profile& p = settings_.profile;
  if (settings_.warn_at.empty()) {
    // Defaults from the issue: 60 s before the first human-only line (3 min), 10 min before the
    // effective line (1 hour).
    for (const Threshold& t : p.thresholds) {
      if (t.human_only) {
        settings_.warn_at.push_back({t.name, std::chrono::seconds(60)});
        break;
      }
    }
    std::string eff = p.effective;
    if (eff.empty() && !p.thresholds.empty()) {
      eff = std::max_element(p.thresholds.begin(), p.thresholds.end(),
                             [](const Threshold& a, const Threshold& b) { return a.limit < b.limit; })
                ->name;
    }
    const bool dup = !settings_.warn_at.empty() && settings_.warn_at[0].threshold == eff;
    if (!eff.empty() && !dup) settings_.warn_at.push_back({eff, std::chrono::minutes(10)});
  }
}

Radar::~Radar() = default;
Radar::Radar(Radar&&) noexcept = default;
Radar& Radar::operator=(Radar&&) noexcept = default;

void Radar::OnBuyerMessage(const std::string& shop, const std::string& buyer,
                           const std::string& conversation_id, const std::string& agent_id,
                           core::Timestamp ts) {
  const Profile& p = settings_.profile;
  const core::Duration tod = settings_.tz.TimeOfDay(ts);
  // Outside the service window a message is not a trigger: no countdown starts.
  if (tod < p.window_start || tod >= p.window_end) return;
  auto& slot = waits_[{shop, buyer}];
  if (!slot) {
    slot = std::make_unique<Wait>();
    slot->fired.assign(settings_.warn_at.size(), false);
  }
  Wait& w = *slot;
  w.conversation_id = conversation_id;
  if (!agent_id.empty()) w.agent = agent_id;
  if (!w.human_open) {
    w.human_open = true;
    w.human_since = ts;
    w.escalated = false;
    for (size_t i = 0; i < settings_.warn_at.size(); ++i) {
      const int k = p.ThresholdIndex(settings_.warn_at[i].threshold);
      if (k >= 0 && p.thresholds[size_t(k)].human_only) w.fired[i] = false;
    }
  }
  if (!w.countable_open) {
    w.countable_open = true;
    w.countable_since = ts;
    for (size_t i = 0; i < settings_.warn_at.size(); ++i) {
      const int k = p.ThresholdIndex(settings_.warn_at[i].threshold);
      if (k >= 0 && !p.thresholds[size_t(k)].human_only) w.fired[i] = false;
    }
  }
}

void Radar::OnReply(const std::string& shop, const std::string& buyer, Sender from,
                    core::Timestamp ts) {
  auto it = waits_.find({shop, buyer});
  if (it == waits_.end()) return;
  Wait& w = *it->second;
  if (from == Sender::kAgent) {
    if (!w.human_open || ts >= w.human_since) w.human_open = false;
    if (!w.countable_open || ts >= w.countable_since) w.countable_open = false;
  } else if (from == Sender::kRobot && settings_.profile.robot_counts) {
    if (ts >= w.countable_since) w.countable_open = false;
  } else {
    return;  // auto replies and system messages answer nobody
  }
  if (!w.human_open && !w.countable_open) waits_.erase(it);
}

void Radar::OnAssigned(const std::string& shop, const std::string& buyer,
                       const std::string& agent_id) {
  auto it = waits_.find({shop, buyer});
  if (it != waits_.end()) it->second->agent = agent_id;
}

std::vector<Warning> Radar::Poll(core::Timestamp now) {
  const Profile& p = settings_.profile;
  std::vector<Warning> out;
  for (auto& [key, wp] : waits_) {
    Wait& w = *wp;
    for (size_t i = 0; i < settings_.warn_at.size(); ++i) {
      if (w.fired[i]) continue;
      const int k = p.ThresholdIndex(settings_.warn_at[i].threshold);
      if (k < 0) continue;
      const Threshold& t = p.thresholds[size_t(k)];
      const bool open = t.human_only ? w.human_open : w.countable_open;
      if (!open) continue;
      const core::Timestamp deadline = (t.human_only ? w.human_since : w.countable_since) + t.limit;
      if (now < deadline - settings_.warn_at[i].lead) continue;
      w.fired[i] = true;
      out.push_back(Warning{w.conversation_id, key.first, key.second, w.agent, t.name, deadline});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Warning& a, const Warning& b) { return a.deadline < b.deadline; });
  return out;
}

std::vector<Escalation> Radar::Escalations(core::Timestamp now) {
  std::vector<Escalation> out;
  for (auto& [key, wp] : waits_) {
    Wait& w = *wp;
    if (!w.human_open || w.escalated || now < w.human_since + settings_.escalate_after) continue;
    w.escalated = true;
    out.push_back(Escalation{w.conversation_id, key.first, key.second, w.agent, w.human_since});
  }
  return out;
}

std::vector<WaitingBuyer> Radar::Waiting(const std::string& shop, core::Timestamp now) const {
  const Profile& p = settings_.profile;
  std::vector<WaitingBuyer> out;
  for (auto it = waits_.lower_bound({shop, std::string()});
       it != waits_.end() && it->first.first == shop; ++it) {
    const Wait& w = *it->second;
    WaitingBuyer wb{w.conversation_id, it->first.second, w.agent, {}, {}};
    wb.waiting_since = w.human_open && w.countable_open
                           ? std::min(w.human_since, w.countable_since)
                           : (w.human_open ? w.human_since : w.countable_since);
    for (const Threshold& t : p.thresholds) {
      const bool open = t.human_only ? w.human_open : w.countable_open;
      if (!open) continue;
      const core::Timestamp deadline = (t.human_only ? w.human_since : w.countable_since) + t.limit;
      wb.lines.push_back(TimeLeft{t.name, deadline, deadline - now});
    }
    out.push_back(std::move(wb));
  }
  std::sort(out.begin(), out.end(), [](const WaitingBuyer& a, const WaitingBuyer& b) {
    return a.waiting_since < b.waiting_since;
  });
  return out;
}

}  // namespace kefu::replyrate
