#include "conversation/conversation.h"

#include <tuple>

#include <algorithm>
#include <array>
#include <mutex>
#include <unordered_map>

namespace kefu::conversation {

namespace {
template <typename E, size_t N>
std::optional<E> ParseName(std::string_view s, const std::array<std::string_view, N>& names) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == s) return static_cast<E>(i);
  return std::nullopt;
}
constexpr std::array<std::string_view, 5> kSenders = {"buyer", "agent", "robot", "auto", "system"};
constexpr std::array<std::string_view, 3> kStatuses = {"waiting", "open", "closed"};
constexpr std::array<std::string_view, 2> kSkills = {"presale", "aftersale"};
constexpr std::array<std::string_view, 4> kPresences = {"online", "busy", "away", "offline"};
constexpr std::array<std::string_view, 3> kRoles = {"owner", "lead", "agent"};

// Words that mark an after-sale question when no paid order is known yet. Until the orders
// module feeds order state, an order card (order_id) also counts as an after-sale contact.
constexpr std::string_view kAftersaleWords[] = {
    "退款", "退货", "换货", "售后", "破损", "坏了", "少发", "漏发", "发错", "没收到",
    "物流", "快递", "签收", "补发", "质量问题", "退钱", "投诉", "仅退款", "运单"};

Skill DetectSkill(const std::string& text, const std::string& order_id) {
  if (!order_id.empty()) return Skill::kAftersale;
  for (auto w : kAftersaleWords)
    if (text.find(w) != std::string::npos) return Skill::kAftersale;
  return Skill::kPresale;
}
}  // namespace

std::string_view SenderName(Sender s) { return kSenders[static_cast<size_t>(s)]; }
std::optional<Sender> ParseSender(std::string_view s) { return ParseName<Sender>(s, kSenders); }
std::string_view StatusName(ConversationStatus s) { return kStatuses[static_cast<size_t>(s)]; }
std::optional<ConversationStatus> ParseStatus(std::string_view s) {
  return ParseName<ConversationStatus>(s, kStatuses);
}
std::string_view SkillName(Skill s) { return kSkills[static_cast<size_t>(s)]; }
std::optional<Skill> ParseSkill(std::string_view s) { return ParseName<Skill>(s, kSkills); }
std::string_view PresenceName(Presence p) { return kPresences[static_cast<size_t>(p)]; }
std::optional<Presence> ParsePresence(std::string_view s) {
  return ParseName<Presence>(s, kPresences);
}
std::string_view RoleName(Role r) { return kRoles[static_cast<size_t>(r)]; }
std::optional<Role> ParseRole(std::string_view s) { return ParseName<Role>(s, kRoles); }

struct ReceptionService::Impl {
  core::Clock& clock;
  ReceptionRepository& repo;
  const EventEncoder& encoder;
  RoutingSettings settings;

  mutable std::shared_mutex mu;
  std::unordered_map<std::string, Conversation> conversations;     // by id
  std::unordered_map<std::string, std::string> by_buyer;           // shop \x1f buyer -> id
  std::unordered_map<std::string, AgentState> agents;              // by user id

  Impl(core::Clock& c, ReceptionRepository& r, const EventEncoder& e, RoutingSettings s)
      : clock(c), repo(r), encoder(e), settings(s) {}

  static std::string BuyerKey(const std::string& shop, const std::string& buyer) {
    return shop + '\x1f' + buyer;
  }

  bool Available(const AgentState& a) const {
    // An explicit status wins; without one, an open workbench socket means online.
    const Presence p = a.explicit_presence ? a.presence
                                           : (a.sockets > 0 ? Presence::kOnline : Presence::kOffline);
    return p == Presence::kOnline && a.agent.role == Role::kAgent;
  }

  Presence EffectivePresence(const AgentState& a) const {
    if (a.explicit_presence) return a.presence;
    return a.sockets > 0 ? Presence::kOnline : Presence::kOffline;
  }

  bool CanTake(const AgentState& a, const Conversation& c) const {
    return Available(a) && a.agent.shop_ids.count(c.shop_id) && a.agent.skills.count(c.skill) &&
           a.load < a.agent.max_concurrent;
  }

  // Sticky first, then the least-loaded agent with the skill; among equals, the one who got a
  // new conversation least recently, then the one available longest (so equals take turns),
  // then by id. nullptr when nobody can take it. `exclude` is never picked.
  AgentState* PickAgent(const Conversation& c, const std::string& exclude = {}) {
    if (!c.last_agent_id.empty() && c.last_agent_id != exclude &&
        clock.Now() - c.last_agent_at <= settings.sticky_window) {
      auto it = agents.find(c.last_agent_id);
      if (it != agents.end() && CanTake(it->second, c)) return &it->second;
    }
    AgentState* best = nullptr;
    for (auto& [id, a] : agents) {
      if (id == exclude || !CanTake(a, c)) continue;
      if (!best || std::tie(a.load, a.last_assigned_at, a.available_since, a.agent.id) <
                       std::tie(best->load, best->last_assigned_at, best->available_since, best->agent.id))
        best = &a;
    }
    return best;
  }

  core::Status Persist(Outcome& out) {
    for (auto& ev : out.events) {
      ev.ts = clock.Now();
      ev.data_json = encoder.Encode(ev);
      KEFU_TRY(repo.AppendEvent(ev, ev.data_json));
    }
    return core::Status::Ok();
  }

  void EmitConversation(Outcome& out, const Conversation& c, const std::string& previous_agent) {
    OutEvent ev;
    ev.type = "conversation.updated";
    ev.shop_id = c.shop_id;
    // A closed conversation concerns only the agent who had it (and the leads); an empty
    // audience would tell every agent of the shop.
    ev.agent_id = c.status == ConversationStatus::kClosed ? previous_agent : c.agent_id;
    ev.buyer = c.buyer;
    ev.conversation = c;
    if (c.status == ConversationStatus::kClosed && previous_agent.empty()) ev.agent_id = kLeadsOnly;
    out.events.push_back(ev);
    // The agent who lost it must hear that too.
    if (!previous_agent.empty() && previous_agent != ev.agent_id) {
      ev.agent_id = previous_agent;
      out.events.push_back(ev);
    }
  }

  void EmitPresence(Outcome& out, const AgentState& a) {
    for (const auto& shop : a.agent.shop_ids) {
      OutEvent ev;
      ev.type = "presence.updated";
      ev.shop_id = shop;
      ev.presence_agent = a.agent.id;
      ev.presence = EffectivePresence(a);
      ev.load = a.load;
      out.events.push_back(ev);
    }
  }

  // Assigns `c` to an agent if one can take it; records the change. Returns true if assigned.
  bool Route(Conversation& c) {
    AgentState* a = PickAgent(c);
    if (!a) {
      c.status = ConversationStatus::kWaiting;
      c.agent_id.clear();
      return false;
    }
    c.status = ConversationStatus::kOpen;
    c.agent_id = a->agent.id;
    c.last_agent_id = a->agent.id;
    c.last_agent_at = clock.Now();
    a->last_assigned_at = clock.Now();
    a->load++;
    return true;
  }

  void Release(Conversation& c) {
    if (c.agent_id.empty()) return;
    auto it = agents.find(c.agent_id);
    if (it != agents.end() && it->second.load > 0) it->second.load--;
  }

  // Hands waiting conversations (oldest first) to agents who became free.
  core::Status DrainQueue(Outcome& out) {
    std::vector<Conversation*> waiting;
    for (auto& [id, c] : conversations)
      if (c.status == ConversationStatus::kWaiting) waiting.push_back(&c);
    std::sort(waiting.begin(), waiting.end(), [](const Conversation* a, const Conversation* b) {
      const auto ta = a->waiting_since.value_or(a->updated_at);
      const auto tb = b->waiting_since.value_or(b->updated_at);
      return ta < tb || (ta == tb && a->id < b->id);
    });
    for (Conversation* c : waiting) {
      if (!Route(*c)) continue;
      c->updated_at = clock.Now();
      KEFU_TRY(repo.SaveConversation(*c));
      EmitConversation(out, *c, "");
    }
    return core::Status::Ok();
  }

  bool Visible(const Actor& actor, const Conversation& c) const {
    if (!actor.shop_ids.count(c.shop_id)) return false;
    if (actor.role != Role::kAgent) return true;
    return c.agent_id == actor.user_id || c.status == ConversationStatus::kWaiting ||
           c.last_agent_id == actor.user_id;
  }

  core::Result<Conversation*> Lookup(const Actor& actor, const std::string& id) {
    auto it = conversations.find(id);
    if (it == conversations.end() || !Visible(actor, it->second))
      return core::NotFound("conversation " + id + " not found");
    return &it->second;
  }

  core::Result<Outcome> AppendMessage(Conversation& c, Sender from, const std::string& agent_id,
                                      const std::string& text, core::Timestamp ts,
                                      const std::string& client_msg_id, const std::string& order_id,
                                      const std::string& dedupe_key) {
    Outcome out;
    Message m;
    m.id = core::NewSortableId("m_", clock.Now());
    m.conversation_id = c.id;
    m.shop_id = c.shop_id;
    m.buyer = c.buyer;
    m.from = from;
    m.agent_id = agent_id;
    m.text = text;
    m.ts = ts;
    m.client_msg_id = client_msg_id;
    m.order_id = order_id;
    KEFU_TRY(repo.InsertMessage(m, dedupe_key));
    c.last_text = text;
    c.last_from = from;
    c.last_ts = ts;
    c.updated_at = clock.Now();
    KEFU_TRY(repo.SaveConversation(c));
    OutEvent ev;
    ev.type = "message.created";
    ev.shop_id = c.shop_id;
    ev.agent_id = c.agent_id;
    ev.buyer = c.buyer;
    // System notes are for the team; the buyer's channel gets agent, robot and auto messages.
    ev.buyer_visible = from == Sender::kAgent || from == Sender::kRobot || from == Sender::kAuto;
    ev.message = m;
    ev.conversation = c;
    out.events.push_back(std::move(ev));
    out.message = std::move(m);
    out.conversation = c;
    return out;
  }
};

ReceptionService::ReceptionService(core::Clock& clock, ReceptionRepository& repo,
                                   const EventEncoder& encoder, RoutingSettings settings)
    : impl_(std::make_unique<Impl>(clock, repo, encoder, settings)) {}

ReceptionService::~ReceptionService() = default;

void ReceptionService::LoadAgent(const Agent& a) { UpsertAgent(a); }

void ReceptionService::UpsertAgent(const Agent& a) {
  std::unique_lock lock(impl_->mu);
  auto& st = impl_->agents[a.id];
  st.agent = a;
}

void ReceptionService::LoadConversation(const Conversation& c) {
  std::unique_lock lock(impl_->mu);
  impl_->by_buyer[Impl::BuyerKey(c.shop_id, c.buyer)] = c.id;
  auto& slot = impl_->conversations[c.id];
  slot = c;
  if (c.status == ConversationStatus::kOpen && !c.agent_id.empty()) {
    auto it = impl_->agents.find(c.agent_id);
    if (it != impl_->agents.end()) it->second.load++;
  }
}

core::Result<Outcome> ReceptionService::IngestBuyerMessage(
    const std::string& shop_id, const std::string& buyer, const std::string& text,
    std::optional<core::Timestamp> ts, const std::string& client_msg_id,
    const std::string& order_id) {
  if (buyer.empty()) return core::InvalidArgument("buyer must not be empty", "buyer");
  if (text.empty()) return core::InvalidArgument("text must not be empty", "text");
  std::unique_lock lock(impl_->mu);
  std::string dedupe;
  if (!client_msg_id.empty()) {
    dedupe = "b\x1f" + shop_id + '\x1f' + client_msg_id;
    KEFU_ASSIGN_OR_RETURN(auto existing, impl_->repo.FindMessageByDedupeKey(dedupe));
    if (existing) {
      Outcome out;
      out.duplicate = true;
      out.message = *existing;
      auto it = impl_->conversations.find(existing->conversation_id);
      if (it != impl_->conversations.end()) out.conversation = it->second;
      return out;
    }
  }
  const core::Timestamp now = impl_->clock.Now();
  const core::Timestamp at = ts.value_or(now);
  const std::string key = Impl::BuyerKey(shop_id, buyer);
  Conversation* c = nullptr;
  if (auto it = impl_->by_buyer.find(key); it != impl_->by_buyer.end())
    c = &impl_->conversations[it->second];
  bool routed_now = false;
  if (!c) {
    Conversation fresh;
    fresh.id = core::NewId("c_");
    fresh.shop_id = shop_id;
    fresh.buyer = buyer;
    fresh.created_at = now;
    fresh.updated_at = now;
    fresh.skill = DetectSkill(text, order_id);
    c = &impl_->conversations.emplace(fresh.id, fresh).first->second;
    impl_->by_buyer[key] = c->id;
    impl_->Route(*c);
    routed_now = true;
  } else if (c->status == ConversationStatus::kClosed) {
    // A closed conversation reopens; it may need the other skill now.
    c->skill = DetectSkill(text, order_id);
    c->transfer_note.clear();
    impl_->Route(*c);
    routed_now = true;
  }
  if (!c->waiting_since) c->waiting_since = at;
  c->unread++;
  KEFU_ASSIGN_OR_RETURN(Outcome out, impl_->AppendMessage(*c, Sender::kBuyer, "", text, at,
                                                          client_msg_id, order_id, dedupe));
  if (routed_now) impl_->EmitConversation(out, *c, "");
  KEFU_TRY(impl_->Persist(out));
  return out;
}

core::Result<Outcome> ReceptionService::Reply(const Actor& actor, const std::string& conv_id,
                                              const std::string& text,
                                              const std::string& client_msg_id) {
  if (text.empty()) return core::InvalidArgument("text must not be empty", "text");
  std::unique_lock lock(impl_->mu);
  KEFU_ASSIGN_OR_RETURN(Conversation * c, impl_->Lookup(actor, conv_id));
  std::string dedupe;
  if (!client_msg_id.empty()) {
    dedupe = "a\x1f" + actor.user_id + '\x1f' + client_msg_id;
    KEFU_ASSIGN_OR_RETURN(auto existing, impl_->repo.FindMessageByDedupeKey(dedupe));
    if (existing) {
      Outcome out;
      out.duplicate = true;
      out.message = *existing;
      out.conversation = *c;
      return out;
    }
  }
  if (actor.role == Role::kAgent && !c->agent_id.empty() && c->agent_id != actor.user_id)
    return core::PermissionDenied("conversation is assigned to another agent");
  Outcome extra;
  if (c->status != ConversationStatus::kOpen || c->agent_id.empty()) {
    // Answering a queued or closed conversation takes it.
    impl_->Release(*c);
    c->status = ConversationStatus::kOpen;
    if (actor.role == Role::kAgent || c->agent_id.empty()) {
      c->agent_id = actor.user_id;
      auto it = impl_->agents.find(actor.user_id);
      if (it != impl_->agents.end()) it->second.load++;
    }
    impl_->EmitConversation(extra, *c, "");
  }
  c->waiting_since.reset();
  c->unread = 0;
  if (actor.role == Role::kAgent) {
    c->last_agent_id = actor.user_id;
    c->last_agent_at = impl_->clock.Now();
  }
  KEFU_ASSIGN_OR_RETURN(Outcome out, impl_->AppendMessage(*c, Sender::kAgent, actor.user_id, text,
                                                          impl_->clock.Now(), client_msg_id, "",
                                                          dedupe));
  for (auto& e : extra.events) out.events.push_back(std::move(e));
  KEFU_TRY(impl_->Persist(out));
  return out;
}

core::Result<Outcome> ReceptionService::PostAs(Sender from, const std::string& conv_id,
                                               const std::string& text) {
  if (text.empty()) return core::InvalidArgument("text must not be empty", "text");
  std::unique_lock lock(impl_->mu);
  auto it = impl_->conversations.find(conv_id);
  if (it == impl_->conversations.end()) return core::NotFound("conversation " + conv_id + " not found");
  Conversation& c = it->second;
  // Robot answers count as replies for the platforms; auto-replies and system notes do not.
  if (from == Sender::kRobot) c.waiting_since.reset();
  KEFU_ASSIGN_OR_RETURN(Outcome out, impl_->AppendMessage(c, from, "", text, impl_->clock.Now(),
                                                          "", "", ""));
  KEFU_TRY(impl_->Persist(out));
  return out;
}

core::Result<Outcome> ReceptionService::Accept(const Actor& actor, const std::string& conv_id) {
  std::unique_lock lock(impl_->mu);
  KEFU_ASSIGN_OR_RETURN(Conversation * c, impl_->Lookup(actor, conv_id));
  if (c->status == ConversationStatus::kOpen && c->agent_id == actor.user_id) {
    Outcome out;
    out.conversation = *c;
    return out;
  }
  if (c->status != ConversationStatus::kWaiting)
    return core::FailedPrecondition("only a waiting conversation can be accepted");
  auto it = impl_->agents.find(actor.user_id);
  if (it == impl_->agents.end()) return core::PermissionDenied("only agents accept conversations");
  c->status = ConversationStatus::kOpen;
  c->agent_id = actor.user_id;
  c->last_agent_id = actor.user_id;
  c->last_agent_at = impl_->clock.Now();
  c->updated_at = impl_->clock.Now();
  it->second.last_assigned_at = impl_->clock.Now();
  it->second.load++;
  KEFU_TRY(impl_->repo.SaveConversation(*c));
  Outcome out;
  out.conversation = *c;
  impl_->EmitConversation(out, *c, "");
  KEFU_TRY(impl_->Persist(out));
  return out;
}

core::Result<Outcome> ReceptionService::Transfer(const Actor& actor, const std::string& conv_id,
                                                 const std::string& to_agent,
                                                 std::optional<Skill> to_skill,
                                                 const std::string& note) {
  std::unique_lock lock(impl_->mu);
  KEFU_ASSIGN_OR_RETURN(Conversation * c, impl_->Lookup(actor, conv_id));
  if (actor.role == Role::kAgent && c->agent_id != actor.user_id)
    return core::PermissionDenied("only the assigned agent or a lead can transfer");
  if (c->status == ConversationStatus::kClosed)
    return core::FailedPrecondition("a closed conversation cannot be transferred");
  if (to_agent.empty() && !to_skill)
    return core::InvalidArgument("give to_agent or to_skill", "to_agent");
  const std::string previous = c->agent_id;
  Outcome out;
  if (!to_agent.empty()) {
    auto it = impl_->agents.find(to_agent);
    if (it == impl_->agents.end() || !it->second.agent.shop_ids.count(c->shop_id) ||
        it->second.agent.role != Role::kAgent)
      return core::InvalidArgument("no agent " + to_agent + " in this shop", "to_agent");
    if (to_agent == previous) return core::InvalidArgument("already assigned to this agent", "to_agent");
    impl_->Release(*c);
    c->agent_id = to_agent;
    c->status = ConversationStatus::kOpen;
    c->last_agent_id = to_agent;
    c->last_agent_at = impl_->clock.Now();
    it->second.last_assigned_at = impl_->clock.Now();
    it->second.load++;
  } else {
    impl_->Release(*c);
    c->skill = *to_skill;
    c->agent_id.clear();
    c->last_agent_id.clear();  // a group transfer must not stick to the same agent
    if (!impl_->Route(*c)) c->status = ConversationStatus::kWaiting;
  }
  c->transfer_note = note;
  c->updated_at = impl_->clock.Now();
  KEFU_TRY(impl_->repo.SaveConversation(*c));
  out.conversation = *c;
  impl_->EmitConversation(out, *c, previous);
  KEFU_TRY(impl_->DrainQueue(out));
  KEFU_TRY(impl_->Persist(out));
  return out;
}

core::Result<Outcome> ReceptionService::Close(const Actor& actor, const std::string& conv_id) {
  std::unique_lock lock(impl_->mu);
  KEFU_ASSIGN_OR_RETURN(Conversation * c, impl_->Lookup(actor, conv_id));
  if (actor.role == Role::kAgent && c->agent_id != actor.user_id)
    return core::PermissionDenied("only the assigned agent or a lead can close");
  Outcome out;
  if (c->status == ConversationStatus::kClosed) {
    out.conversation = *c;
    return out;
  }
  const std::string previous = c->agent_id;
  if (c->status == ConversationStatus::kOpen) impl_->Release(*c);
  c->status = ConversationStatus::kClosed;
  c->agent_id.clear();
  c->waiting_since.reset();
  c->unread = 0;
  c->updated_at = impl_->clock.Now();
  KEFU_TRY(impl_->repo.SaveConversation(*c));
  out.conversation = *c;
  impl_->EmitConversation(out, *c, previous);
  KEFU_TRY(impl_->DrainQueue(out));
  KEFU_TRY(impl_->Persist(out));
  return out;
}

core::Result<Outcome> ReceptionService::MarkRead(const Actor& actor, const std::string& conv_id) {
  std::unique_lock lock(impl_->mu);
  KEFU_ASSIGN_OR_RETURN(Conversation * c, impl_->Lookup(actor, conv_id));
  Outcome out;
  if (c->unread != 0 && c->agent_id == actor.user_id) {
    c->unread = 0;
    KEFU_TRY(impl_->repo.SaveConversation(*c));
  }
  out.conversation = *c;
  return out;
}

core::Result<Outcome> ReceptionService::SetPresence(const std::string& user_id, Presence p) {
  std::unique_lock lock(impl_->mu);
  auto it = impl_->agents.find(user_id);
  if (it == impl_->agents.end()) return core::NotFound("user " + user_id + " not found");
  const bool was_available = impl_->Available(it->second);
  it->second.presence = p;
  it->second.explicit_presence = true;
  if (!was_available && impl_->Available(it->second)) it->second.available_since = impl_->clock.Now();
  Outcome out;
  impl_->EmitPresence(out, it->second);
  if (p == Presence::kOnline) KEFU_TRY(impl_->DrainQueue(out));
  KEFU_TRY(impl_->Persist(out));
  return out;
}

core::Result<Outcome> ReceptionService::SocketChanged(const std::string& user_id, int delta) {
  std::unique_lock lock(impl_->mu);
  auto it = impl_->agents.find(user_id);
  if (it == impl_->agents.end()) return core::NotFound("user " + user_id + " not found");
  const Presence before = impl_->EffectivePresence(it->second);
  const bool was_available = impl_->Available(it->second);
  it->second.sockets = std::max(0, it->second.sockets + delta);
  if (!was_available && impl_->Available(it->second)) it->second.available_since = impl_->clock.Now();
  Outcome out;
  if (impl_->EffectivePresence(it->second) != before) {
    impl_->EmitPresence(out, it->second);
    if (impl_->Available(it->second)) KEFU_TRY(impl_->DrainQueue(out));
    KEFU_TRY(impl_->Persist(out));
  }
  return out;
}

core::Result<Outcome> ReceptionService::Escalate(const std::string& conv_id,
                                                 const std::string& agent_id) {
  std::unique_lock lock(impl_->mu);
  Outcome out;
  auto it = impl_->conversations.find(conv_id);
  if (it == impl_->conversations.end()) return core::NotFound("conversation " + conv_id + " not found");
  Conversation& c = it->second;
  out.conversation = c;
  if (c.status != ConversationStatus::kOpen || c.agent_id != agent_id || !c.waiting_since) return out;
  AgentState* next = impl_->PickAgent(c, agent_id);
  if (!next) return out;
  impl_->Release(c);
  c.agent_id = next->agent.id;
  c.last_agent_id = next->agent.id;
  c.last_agent_at = impl_->clock.Now();
  c.transfer_note = "超时未回复，系统自动转接 / reassigned: no reply in time";
  c.updated_at = impl_->clock.Now();
  next->last_assigned_at = impl_->clock.Now();
  next->load++;
  KEFU_TRY(impl_->repo.SaveConversation(c));
  out.conversation = c;
  impl_->EmitConversation(out, c, agent_id);
  KEFU_TRY(impl_->Persist(out));
  return out;
}

core::Result<Outcome> ReceptionService::Notice(OutEvent ev) {
  std::unique_lock lock(impl_->mu);
  Outcome out;
  ev.ts = impl_->clock.Now();
  KEFU_TRY(impl_->repo.AppendEvent(ev, ev.data_json));
  out.events.push_back(std::move(ev));
  return out;
}

std::optional<Conversation> ReceptionService::Find(const Actor& actor, const std::string& id) const {
  std::shared_lock lock(impl_->mu);
  auto it = impl_->conversations.find(id);
  if (it == impl_->conversations.end() || !impl_->Visible(actor, it->second)) return std::nullopt;
  return it->second;
}

bool ReceptionService::CanSee(const Actor& actor, const Conversation& c) const {
  return impl_->Visible(actor, c);
}

std::vector<Conversation> ReceptionService::List(const Actor& actor,
                                                 std::optional<ConversationStatus> status,
                                                 bool mine_only, const std::string& shop_id) const {
  std::shared_lock lock(impl_->mu);
  std::vector<Conversation> out;
  for (const auto& [id, c] : impl_->conversations) {
    if (!impl_->Visible(actor, c)) continue;
    if (status && c.status != *status) continue;
    if (mine_only && c.agent_id != actor.user_id) continue;
    if (!shop_id.empty() && c.shop_id != shop_id) continue;
    out.push_back(c);
  }
  std::sort(out.begin(), out.end(), [](const Conversation& a, const Conversation& b) {
    return a.updated_at > b.updated_at || (a.updated_at == b.updated_at && a.id > b.id);
  });
  return out;
}

std::vector<AgentState> ReceptionService::Agents(const std::string& shop_id) const {
  std::shared_lock lock(impl_->mu);
  std::vector<AgentState> out;
  for (const auto& [id, a] : impl_->agents) {
    if (!shop_id.empty() && !a.agent.shop_ids.count(shop_id)) continue;
    AgentState s = a;
    s.presence = impl_->EffectivePresence(a);
    out.push_back(s);
  }
  std::sort(out.begin(), out.end(),
            [](const AgentState& a, const AgentState& b) { return a.agent.username < b.agent.username; });
  return out;
}

std::optional<AgentState> ReceptionService::AgentById(const std::string& user_id) const {
  std::shared_lock lock(impl_->mu);
  auto it = impl_->agents.find(user_id);
  if (it == impl_->agents.end()) return std::nullopt;
  AgentState s = it->second;
  s.presence = impl_->EffectivePresence(it->second);
  return s;
}

size_t ReceptionService::WaitingCount() const {
  std::shared_lock lock(impl_->mu);
  size_t n = 0;
  for (const auto& [id, c] : impl_->conversations) n += c.status == ConversationStatus::kWaiting;
  return n;
}

}  // namespace kefu::conversation
