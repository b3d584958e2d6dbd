#include "server/live.h"

#include "core/time_zone.h"
#include "replyrate/replyrate.h"
#include "server/app.h"
#include "server/json.h"

namespace kefu::server {

namespace {
replyrate::Sender ToRateSender(conversation::Sender s) {
  switch (s) {
    case conversation::Sender::kBuyer: return replyrate::Sender::kBuyer;
    case conversation::Sender::kAgent: return replyrate::Sender::kAgent;
    case conversation::Sender::kRobot: return replyrate::Sender::kRobot;
    case conversation::Sender::kAuto: return replyrate::Sender::kAuto;
    case conversation::Sender::kSystem: return replyrate::Sender::kSystem;
  }
  return replyrate::Sender::kSystem;
}
}  // namespace

struct LiveGuard::Impl {
  App& app;
  std::mutex mu;  // radars are not thread-safe
  std::unordered_map<std::string, std::unique_ptr<replyrate::Radar>> radars;  // by shop

  explicit Impl(App& a) : app(a) {}

  replyrate::Radar* RadarOf(const std::string& shop_id) {
    auto it = radars.find(shop_id);
    if (it != radars.end()) return it->second.get();
    auto shop = app.ShopById(shop_id);
    const auto platform = shop.ok() ? core::ParsePlatform(shop->platform).value_or(core::Platform::kPdd)
                                    : core::Platform::kPdd;
    auto profile = replyrate::LoadProfile(platform);
    if (!profile.ok()) return nullptr;
    replyrate::RadarSettings rs;
    rs.profile = *profile;
    rs.tz = app.ZoneOf(shop_id);
    auto& slot = radars[shop_id];
    slot = std::make_unique<replyrate::Radar>(std::move(rs));
    return slot.get();
  }
};

LiveGuard::LiveGuard(App& app) : impl_(std::make_unique<Impl>(app)) {}
LiveGuard::~LiveGuard() = default;

void LiveGuard::Load(const std::vector<conversation::Conversation>& conversations) {
  std::lock_guard lock(impl_->mu);
  for (const auto& c : conversations) {
    if (c.status == conversation::ConversationStatus::kClosed || !c.waiting_since) continue;
    if (auto* r = impl_->RadarOf(c.shop_id)) r->OnBuyerMessage(c.shop_id, c.buyer, c.id, c.agent_id, *c.waiting_since);
  }
}

void LiveGuard::OnEvent(const conversation::OutEvent& ev) {
  std::lock_guard lock(impl_->mu);
  auto* r = impl_->RadarOf(ev.shop_id);
  if (!r) return;
  if (ev.type == "message.created" && ev.message) {
    const auto& m = *ev.message;
    if (m.from == conversation::Sender::kBuyer)
      r->OnBuyerMessage(m.shop_id, m.buyer, m.conversation_id, ev.conversation ? ev.conversation->agent_id : "", m.ts);
    else
      r->OnReply(m.shop_id, m.buyer, ToRateSender(m.from), m.ts);
  } else if (ev.type == "conversation.updated" && ev.conversation) {
    r->OnAssigned(ev.conversation->shop_id, ev.conversation->buyer, ev.conversation->agent_id);
  }
}

void LiveGuard::Tick(core::Timestamp now) {
  std::vector<replyrate::Warning> warnings;
  std::vector<replyrate::Escalation> escalations;
  {
    std::lock_guard lock(impl_->mu);
    for (auto& [shop, r] : impl_->radars) {
      auto w = r->Poll(now);
      warnings.insert(warnings.end(), w.begin(), w.end());
      auto e = r->Escalations(now);
      escalations.insert(escalations.end(), e.begin(), e.end());
    }
  }
  App& app = impl_->app;
  for (const auto& w : warnings) {
    conversation::OutEvent ev;
    ev.type = "sla.warning";
    ev.shop_id = w.shop;
    ev.agent_id = w.agent;  // empty: the whole shop's leads (and queue watchers) see it
    ev.buyer = w.buyer;
    const auto& tz = app.ZoneOf(w.shop);
    ev.data_json = json::serialize(json::object{
        {"conversation_id", w.conversation_id}, {"buyer", w.buyer},
        {"agent", w.agent.empty() ? json::value(nullptr) : json::value(w.agent)},
        {"threshold", w.threshold}, {"deadline", tz.Format(w.deadline)},
        {"seconds_left", std::chrono::duration_cast<std::chrono::seconds>(w.deadline - now).count()}});
    auto result = std::make_shared<core::Result<conversation::Outcome>>(core::Internal("not run"));
    app.Write([&app, result, ev] { *result = app.reception().Notice(ev); return result->ok(); },
              [&app, result](bool committed) { if (committed && result->ok()) app.Publish(**result); });
  }
  for (const auto& e : escalations) {
    if (e.agent.empty()) continue;  // queued buyers are already everyone's; leads got the warning
    auto result = std::make_shared<core::Result<conversation::Outcome>>(core::Internal("not run"));
    app.Write([&app, result, e] { *result = app.reception().Escalate(e.conversation_id, e.agent); return result->ok(); },
              [&app, result](bool committed) { if (committed && result->ok()) app.Publish(**result); });
  }
}

std::string LiveGuard::LiveJson(const std::string& shop_id, core::Timestamp now) {
  json::array items;
  const auto& tz = impl_->app.ZoneOf(shop_id);
  std::lock_guard lock(impl_->mu);
  if (auto* r = impl_->RadarOf(shop_id)) {
    for (const auto& w : r->Waiting(shop_id, now)) {
      json::object deadlines, left;
      for (const auto& l : w.lines) {
        deadlines[l.threshold] = tz.Format(l.deadline);
        left[l.threshold] = std::chrono::duration_cast<std::chrono::seconds>(l.left).count();
      }
      items.push_back(json::object{{"conversation_id", w.conversation_id}, {"buyer", w.buyer},
                                   {"agent", w.agent.empty() ? json::value(nullptr) : json::value(w.agent)},
                                   {"waiting_since", tz.Format(w.waiting_since)},
                                   {"deadlines", std::move(deadlines)}, {"seconds_left", std::move(left)}});
    }
  }
  return json::serialize(json::object{{"shop", shop_id}, {"items", std::move(items)}});
}

core::Result<std::string> LiveGuard::ReplyRateJson(const std::string& shop_id, const std::string& date_text, int days,
                                                   bool daily) {
  KEFU_ASSIGN_OR_RETURN(auto date, core::ParseLocalDate(date_text));
  KEFU_ASSIGN_OR_RETURN(auto shop, impl_->app.ShopById(shop_id));
  const auto platform = core::ParsePlatform(shop.platform).value_or(core::Platform::kPdd);
  KEFU_ASSIGN_OR_RETURN(auto profile, replyrate::LoadProfile(platform));
  const auto& tz = impl_->app.ZoneOf(shop_id);
  // Gates look at the days before `date`; read a little more than the period asked about.
  // With `daily`, the gates of the first day asked about need the days before it too.
  int gate_days = 0;
  for (const auto& g : profile.gates) gate_days = std::max(gate_days, g.days);
  const int lookback = daily ? days + gate_days : std::max(days, gate_days + 1);
  const core::LocalDate first{std::chrono::sys_days(date) - std::chrono::days(lookback - 1)};
  KEFU_ASSIGN_OR_RETURN(auto calc, replyrate::Calculator::Create(profile, tz, first, date,
                                                                 replyrate::CalculatorOptions{false, {}}));
  const core::Timestamp from = tz.At(first, {});
  const core::Timestamp to = tz.At(core::LocalDate{std::chrono::sys_days(date) + std::chrono::days(1)}, {}) +
                             profile.Horizon() + std::chrono::hours(24);
  KEFU_TRY(impl_->app.store().ForEachMessage(shop_id, from, to,
      [&](const std::string& buyer, conversation::Sender s, core::Timestamp ts) {
        calc.Add(shop_id, buyer, ToRateSender(s), ts);
      }));
  std::string out = replyrate::ReportToJson(calc.ReportFor(shop_id, date, days));
  if (!daily) return out;
  std::string list = ", \"daily\": [";
  bool first_day = true;
  for (const auto& r : calc.DailyReports(shop_id, date, days)) {
    if (!first_day) list += ", ";
    first_day = false;
    list += replyrate::ReportToJson(r);
  }
  out.insert(out.size() - 1, list + "]");
  return out;
}

}  // namespace kefu::server
