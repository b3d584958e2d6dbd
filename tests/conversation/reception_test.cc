#include "conversation/conversation.h"

#include <gtest/gtest.h>

#include <map>

namespace kefu::conversation {
namespace {

using namespace std::chrono_literals;

// An in-memory repository: the fake the domain tests run against.
class MemoryRepo final : public ReceptionRepository {
 public:
  core::Result<std::optional<Message>> FindMessageByDedupeKey(const std::string& key) override {
    auto it = by_key.find(key);
    if (it == by_key.end()) return std::optional<Message>();
    return std::optional<Message>(messages[it->second]);
  }
  core::Status InsertMessage(Message& m, const std::string& key) override {
    m.seq = int64_t(messages.size()) + 1;
    messages.push_back(m);
    if (!key.empty()) by_key[key] = messages.size() - 1;
    return core::Status::Ok();
  }
  core::Status SaveConversation(const Conversation& c) override {
    saved[c.id] = c;
    return core::Status::Ok();
  }
  core::Status AppendEvent(OutEvent& ev, const std::string&) override {
    ev.seq = ++event_seq;
    events.push_back(ev);
    return core::Status::Ok();
  }
  std::vector<Message> messages;
  std::map<std::string, size_t> by_key;
  std::map<std::string, Conversation> saved;
  std::vector<OutEvent> events;
  int64_t event_seq = 0;
};

class NullEncoder final : public EventEncoder {
 public:
  std::string Encode(const OutEvent& ev) const override { return "{\"type\":\"" + ev.type + "\"}"; }
};

class ReceptionTest : public ::testing::Test {
 protected:
  ReceptionTest() : clock(core::ParseRfc3339("2026-03-05T09:00:00+08:00").value()), rx(clock, repo, enc) {}

  void AddAgent(const std::string& id, std::set<Skill> skills, int cap = 8, Role role = Role::kAgent,
                const std::string& shop = "s1") {
    Agent a;
    a.id = id;
    a.username = id;
    a.display_name = id;
    a.role = role;
    a.shop_ids = {shop};
    a.skills = skills;
    a.max_concurrent = cap;
    rx.LoadAgent(a);
  }
  Actor ActorOf(const std::string& id, Role role = Role::kAgent, const std::string& shop = "s1") {
    return Actor{id, role, {shop}};
  }
  Conversation Ingest(const std::string& buyer, const std::string& text, const std::string& order = "",
                      const std::string& cmid = "") {
    auto r = rx.IngestBuyerMessage("s1", buyer, text, std::nullopt, cmid, order);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return *r->conversation;
  }

  core::ManualClock clock;
  MemoryRepo repo;
  NullEncoder enc;
  ReceptionService rx;
};

TEST_F(ReceptionTest, RoutesToLeastLoadedOnlineAgentWithSkill) {
  AddAgent("a1", {Skill::kPresale});
  AddAgent("a2", {Skill::kPresale});
  AddAgent("after", {Skill::kAftersale});
  for (auto id : {"a1", "a2", "after"}) ASSERT_TRUE(rx.SetPresence(id, Presence::kOnline).ok());
  EXPECT_EQ(Ingest("b1", "有M码吗").agent_id, "a1");
  EXPECT_EQ(Ingest("b2", "有L码吗").agent_id, "a2");  // a1 has one, a2 none
  EXPECT_EQ(Ingest("b3", "有S码吗").agent_id, "a1");  // tie again: by id
  // After-sale words and order cards need the after-sale skill.
  const auto c = Ingest("b4", "我要退款");
  EXPECT_EQ(c.skill, Skill::kAftersale);
  EXPECT_EQ(c.agent_id, "after");
  EXPECT_EQ(Ingest("b5", "[订单卡片]", "o-1").agent_id, "after");
}

TEST_F(ReceptionTest, EquallyLoadedAgentsTakeTurnsFirstCameFirstServed) {
  AddAgent("zed", {Skill::kPresale});
  AddAgent("amy", {Skill::kPresale});
  // zed came online first: of two agents with nothing to do, the one waiting longer gets the
  // first buyer, whatever their ids.
  ASSERT_TRUE(rx.SetPresence("zed", Presence::kOnline).ok());
  clock.Advance(1min);
  ASSERT_TRUE(rx.SetPresence("amy", Presence::kOnline).ok());
  clock.Advance(1min);
  const auto c1 = Ingest("b1", "在吗");
  EXPECT_EQ(c1.agent_id, "zed");
  clock.Advance(1min);
  EXPECT_EQ(Ingest("b2", "在吗").agent_id, "amy");
  // zed finishes his: he now holds none, amy one.
  ASSERT_TRUE(rx.Close(ActorOf("zed"), c1.id).ok());
  clock.Advance(1min);
  EXPECT_EQ(Ingest("b3", "在吗").agent_id, "zed");  // least loaded wins over turns
  clock.Advance(1min);
  // Equal load again (one each): amy got hers longer ago, so she is next.
  EXPECT_EQ(Ingest("b4", "在吗").agent_id, "amy");
}

TEST_F(ReceptionTest, RespectsCapAndQueuesUntilAgentFrees) {
  AddAgent("a1", {Skill::kPresale}, /*cap=*/1);
  ASSERT_TRUE(rx.SetPresence("a1", Presence::kOnline).ok());
  const auto first = Ingest("b1", "在吗");
  EXPECT_EQ(first.agent_id, "a1");
  const auto second = Ingest("b2", "在吗");
  EXPECT_EQ(second.status, ConversationStatus::kWaiting);
  EXPECT_TRUE(second.agent_id.empty());
  EXPECT_EQ(rx.WaitingCount(), 1u);
  auto closed = rx.Close(ActorOf("a1"), first.id);
  ASSERT_TRUE(closed.ok());
  auto now = rx.Find(ActorOf("a1"), second.id);
  ASSERT_TRUE(now.has_value());
  EXPECT_EQ(now->agent_id, "a1");
  EXPECT_EQ(now->status, ConversationStatus::kOpen);
  EXPECT_EQ(rx.WaitingCount(), 0u);
}

TEST_F(ReceptionTest, OfflineBusyAndAwayAgentsGetNothing) {
  AddAgent("a1", {Skill::kPresale});
  EXPECT_EQ(Ingest("b1", "在吗").status, ConversationStatus::kWaiting);
  ASSERT_TRUE(rx.SetPresence("a1", Presence::kBusy).ok());
  EXPECT_EQ(Ingest("b2", "在吗").status, ConversationStatus::kWaiting);
  // Going online pulls the queue, oldest first.
  ASSERT_TRUE(rx.SetPresence("a1", Presence::kOnline).ok());
  EXPECT_EQ(rx.WaitingCount(), 0u);
  EXPECT_EQ(rx.AgentById("a1")->load, 2);
}

TEST_F(ReceptionTest, OpenSocketWithoutExplicitStatusCountsAsOnline) {
  AddAgent("a1", {Skill::kPresale});
  ASSERT_TRUE(rx.SocketChanged("a1", +1).ok());
  EXPECT_EQ(rx.AgentById("a1")->presence, Presence::kOnline);
  EXPECT_EQ(Ingest("b1", "在吗").agent_id, "a1");
  ASSERT_TRUE(rx.SocketChanged("a1", -1).ok());
  EXPECT_EQ(rx.AgentById("a1")->presence, Presence::kOffline);
  EXPECT_EQ(Ingest("b2", "在吗").status, ConversationStatus::kWaiting);
}

TEST_F(ReceptionTest, ReturningBuyerSticksToLastAgentWithinWindow) {
  AddAgent("a1", {Skill::kPresale});
  AddAgent("a2", {Skill::kPresale});
  ASSERT_TRUE(rx.SetPresence("a2", Presence::kOnline).ok());
  const auto c = Ingest("b1", "在吗");
  EXPECT_EQ(c.agent_id, "a2");
  ASSERT_TRUE(rx.Close(ActorOf("a2"), c.id).ok());
  ASSERT_TRUE(rx.SetPresence("a1", Presence::kOnline).ok());
  Ingest("x1", "load a1? no: a1 gets it as least loaded");
  ASSERT_TRUE(rx.Close(ActorOf("a1"), rx.List(ActorOf("a1"), ConversationStatus::kOpen, true, "")[0].id).ok());
  // Both idle now; b1 returns to a2 although a1 sorts first.
  EXPECT_EQ(Ingest("b1", "又来了").agent_id, "a2");
  ASSERT_TRUE(rx.Close(ActorOf("a2"), c.id).ok());
  clock.Advance(25h);  // past the 24 h sticky window
  EXPECT_EQ(Ingest("b1", "隔天再问").agent_id, "a1");
}

TEST_F(ReceptionTest, TransfersToAgentOrSkillGroupWithNote) {
  AddAgent("a1", {Skill::kPresale});
  AddAgent("a2", {Skill::kPresale, Skill::kAftersale});
  AddAgent("lead", {Skill::kPresale}, 8, Role::kLead);
  for (auto id : {"a1", "a2"}) ASSERT_TRUE(rx.SetPresence(id, Presence::kOnline).ok());
  const auto c = Ingest("b1", "在吗");
  ASSERT_EQ(c.agent_id, "a1");
  // Another agent may not move it.
  EXPECT_EQ(rx.Transfer(ActorOf("a2"), c.id, "a2", std::nullopt, "").status().code(), core::Code::kNotFound);
  auto t = rx.Transfer(ActorOf("a1"), c.id, "a2", std::nullopt, "买家要开发票");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->conversation->agent_id, "a2");
  EXPECT_EQ(t->conversation->transfer_note, "买家要开发票");
  EXPECT_EQ(rx.AgentById("a1")->load, 0);
  EXPECT_EQ(rx.AgentById("a2")->load, 1);
  // The one who lost it hears about it too.
  int to_a1 = 0;
  for (const auto& ev : t->events) to_a1 += ev.agent_id == "a1";
  EXPECT_EQ(to_a1, 1);
  // A lead moves it to the after-sale group; a2 is the only after-sale agent.
  auto g = rx.Transfer(ActorOf("lead", Role::kLead), c.id, "", Skill::kAftersale, "售后处理");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->conversation->skill, Skill::kAftersale);
  EXPECT_EQ(g->conversation->agent_id, "a2");
  EXPECT_FALSE(rx.Transfer(ActorOf("a2"), c.id, "nobody", std::nullopt, "").ok());
}

TEST_F(ReceptionTest, IngestIsIdempotentByClientMsgId) {
  AddAgent("a1", {Skill::kPresale});
  auto r1 = rx.IngestBuyerMessage("s1", "b1", "在吗", std::nullopt, "cm-1", "");
  auto r2 = rx.IngestBuyerMessage("s1", "b1", "在吗", std::nullopt, "cm-1", "");
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_TRUE(r2->duplicate);
  EXPECT_EQ(r1->message->id, r2->message->id);
  EXPECT_EQ(repo.messages.size(), 1u);
  // The same id from another shop is another message.
  auto r3 = rx.IngestBuyerMessage("s2", "b1", "在吗", std::nullopt, "cm-1", "");
  ASSERT_TRUE(r3.ok());
  EXPECT_FALSE(r3->duplicate);
}

TEST_F(ReceptionTest, ReplyAnswersWaitAndRobotCountsButAutoDoesNot) {
  AddAgent("a1", {Skill::kPresale});
  ASSERT_TRUE(rx.SetPresence("a1", Presence::kOnline).ok());
  const auto c = Ingest("b1", "在吗");
  ASSERT_TRUE(c.waiting_since.has_value());
  ASSERT_TRUE(rx.PostAs(Sender::kAuto, c.id, "您好，客服稍后回复").ok());
  EXPECT_TRUE(rx.Find(ActorOf("a1"), c.id)->waiting_since.has_value());
  ASSERT_TRUE(rx.PostAs(Sender::kRobot, c.id, "亲，48小时内发货").ok());
  EXPECT_FALSE(rx.Find(ActorOf("a1"), c.id)->waiting_since.has_value());
  Ingest("b1", "好的，那今天能发吗");
  clock.Advance(30s);
  auto r = rx.Reply(ActorOf("a1"), c.id, "亲，今天16点前发出", "");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->conversation->waiting_since.has_value());
  EXPECT_EQ(r->conversation->unread, 0);
  ASSERT_EQ(r->events.size(), 1u);
  EXPECT_TRUE(r->events[0].buyer_visible);
}

TEST_F(ReceptionTest, ShopsAreIsolated) {
  AddAgent("a1", {Skill::kPresale});
  AddAgent("other", {Skill::kPresale}, 8, Role::kAgent, "s2");
  ASSERT_TRUE(rx.SetPresence("a1", Presence::kOnline).ok());
  ASSERT_TRUE(rx.SetPresence("other", Presence::kOnline).ok());
  const auto c = Ingest("b1", "在吗");
  EXPECT_EQ(c.agent_id, "a1");
  const Actor stranger = ActorOf("other", Role::kAgent, "s2");
  EXPECT_FALSE(rx.Find(stranger, c.id).has_value());
  EXPECT_EQ(rx.Reply(stranger, c.id, "hi", "").status().code(), core::Code::kNotFound);
  EXPECT_EQ(rx.Close(stranger, c.id).status().code(), core::Code::kNotFound);
  EXPECT_TRUE(rx.List(stranger, std::nullopt, false, "").empty());
  const Actor lead_elsewhere = ActorOf("x", Role::kOwner, "s2");
  EXPECT_FALSE(rx.Find(lead_elsewhere, c.id).has_value());
}

TEST_F(ReceptionTest, ClosedConversationReopensOnNewBuyerMessage) {
  AddAgent("a1", {Skill::kPresale, Skill::kAftersale});
  ASSERT_TRUE(rx.SetPresence("a1", Presence::kOnline).ok());
  const auto c = Ingest("b1", "在吗");
  ASSERT_TRUE(rx.Close(ActorOf("a1"), c.id).ok());
  EXPECT_EQ(rx.AgentById("a1")->load, 0);
  const auto again = Ingest("b1", "收到货了，想退货");
  EXPECT_EQ(again.id, c.id);
  EXPECT_EQ(again.status, ConversationStatus::kOpen);
  EXPECT_EQ(again.skill, Skill::kAftersale);
  EXPECT_EQ(rx.AgentById("a1")->load, 1);
}

TEST_F(ReceptionTest, RejectsEmptyInput) {
  EXPECT_EQ(rx.IngestBuyerMessage("s1", "", "x", std::nullopt, "", "").status().field(), "buyer");
  EXPECT_EQ(rx.IngestBuyerMessage("s1", "b", "", std::nullopt, "", "").status().field(), "text");
  EXPECT_TRUE(repo.messages.empty());
}

}  // namespace
}  // namespace kefu::conversation

namespace kefu::conversation {
namespace {

TEST_F(ReceptionTest, EscalatesToAnotherAgentOnlyWhileUnanswered) {
  AddAgent("a1", {Skill::kPresale});
  AddAgent("a2", {Skill::kPresale});
  ASSERT_TRUE(rx.SetPresence("a1", Presence::kOnline).ok());
  const auto c = Ingest("b1", "在吗");
  ASSERT_EQ(c.agent_id, "a1");
  // Nobody else online: it stays.
  auto none = rx.Escalate(c.id, "a1");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->conversation->agent_id, "a1");
  ASSERT_TRUE(rx.SetPresence("a2", Presence::kOnline).ok());
  auto moved = rx.Escalate(c.id, "a1");
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->conversation->agent_id, "a2");
  EXPECT_EQ(rx.AgentById("a1")->load, 0);
  // Answered meanwhile: nothing to do.
  ASSERT_TRUE(rx.Reply(ActorOf("a2"), c.id, "亲，在的", "").ok());
  auto answered = rx.Escalate(c.id, "a2");
  ASSERT_TRUE(answered.ok());
  EXPECT_EQ(answered->conversation->agent_id, "a2");
  EXPECT_TRUE(answered->events.empty());
}

}  // namespace
}  // namespace kefu::conversation

namespace kefu::conversation {
namespace {

TEST_F(ReceptionTest, ClosingTellsOnlyTheAgentWhoHadIt) {
  AddAgent("a1", {Skill::kPresale});
  ASSERT_TRUE(rx.SetPresence("a1", Presence::kOnline).ok());
  const auto c = Ingest("b1", "在吗");
  auto closed = rx.Close(ActorOf("a1"), c.id);
  ASSERT_TRUE(closed.ok());
  ASSERT_FALSE(closed->events.empty());
  for (const auto& ev : closed->events) EXPECT_EQ(ev.agent_id, "a1") << ev.type;
  // A queued conversation closed by a lead concerns the leads only.
  const auto q = Ingest("b2", "在吗");
  ASSERT_TRUE(rx.SetPresence("a1", Presence::kBusy).ok());
  const auto waiting = Ingest("b3", "在吗");
  auto by_lead = rx.Close(Actor{"lead", Role::kLead, {"s1"}}, waiting.id);
  ASSERT_TRUE(by_lead.ok());
  for (const auto& ev : by_lead->events) EXPECT_EQ(ev.agent_id, kLeadsOnly);
  (void)q;
}

}  // namespace
}  // namespace kefu::conversation

namespace kefu::conversation {
namespace {

TEST_F(ReceptionTest, SystemNotesNeverReachTheBuyer) {
  AddAgent("a1", {Skill::kPresale});
  const auto c = Ingest("b1", "在吗");
  auto note = rx.PostAs(Sender::kSystem, c.id, "请客服处理：买家要求开票");
  ASSERT_TRUE(note.ok());
  for (const auto& ev : note->events) EXPECT_FALSE(ev.buyer_visible);
  auto robot = rx.PostAs(Sender::kRobot, c.id, "亲，可以开电子发票哦");
  ASSERT_TRUE(robot.ok());
  EXPECT_TRUE(robot->events.front().buyer_visible);
}

}  // namespace
}  // namespace kefu::conversation
