// After-sales state machine and platform timelines with a manual clock.
#include <gtest/gtest.h>

#include "aftersales/aftersales.h"

namespace kefu::aftersales {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

core::Timestamp T(const char* rfc3339) { return *core::ParseRfc3339(rfc3339); }
const core::Timestamp kStart = T("2026-03-05T10:00:00+08:00");

NewCase Req(CaseType type, bool shipped = true, std::string reason = "quality") {
  NewCase n;
  n.shop_id = "s1";
  n.order_id = "o1";
  n.buyer = "b1";
  n.type = type;
  n.reason_code = std::move(reason);
  n.amount = core::Money(2990);
  n.order_shipped = shipped;
  if (type == CaseType::kProblemParcel) n.problem = ProblemKind::kLost;
  return n;
}

TEST(Timeline, PlatformDeadlinesTable) {
  struct Row {
    const char* rule;
    core::Platform platform;
    CaseType type;
    bool shipped;
    core::Duration due_in;       // expected deadline after opening
    CaseState on_expiry;
  };
  const Row rows[] = {
      {"淘宝: seller answers a shipped refund within 5 days or it is refunded",
       core::Platform::kTaobao, CaseType::kRefundOnly, true, hours(24 * 5), CaseState::kRefunded},
      {"淘宝: unshipped refund goes through after 2 days", core::Platform::kTaobao,
       CaseType::kRefundOnly, false, hours(48), CaseState::kRefunded},
      {"淘宝: return request agreed automatically after 5 days", core::Platform::kTaobao,
       CaseType::kReturnRefund, true, hours(24 * 5), CaseState::kAwaitingReturn},
      {"拼多多: seller answers within 48 h", core::Platform::kPdd, CaseType::kRefundOnly, true,
       hours(48), CaseState::kRefunded},
      {"拼多多: unshipped refund after 24 h", core::Platform::kPdd, CaseType::kRefundOnly, false,
       hours(24), CaseState::kRefunded},
      {"快手: seller answers within 48 h", core::Platform::kKuaishou, CaseType::kReturnRefund, true,
       hours(48), CaseState::kAwaitingReturn},
      {"快手: unshipped refund after 48 h", core::Platform::kKuaishou, CaseType::kRefundOnly, false,
       hours(48), CaseState::kRefunded},
      {"京东 (placeholder): seller answers within 48 h", core::Platform::kJd, CaseType::kRefundOnly,
       true, hours(48), CaseState::kRefunded},
      {"京东 (placeholder): unshipped refund after 24 h", core::Platform::kJd,
       CaseType::kRefundOnly, false, hours(24), CaseState::kRefunded},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.rule);
    const auto prof = DefaultProfile(r.platform).aftersales;
    core::ManualClock clock(kStart);
    auto c = OpenCase(Req(r.type, r.shipped), clock.Now(), prof);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    auto cd = CountdownAt(*c, prof, clock.Now());
    ASSERT_TRUE(cd.deadline);
    EXPECT_EQ(cd.deadline->at, kStart + r.due_in);
    EXPECT_EQ(cd.remaining, r.due_in);
    clock.Advance(r.due_in - minutes(1));
    EXPECT_FALSE(ApplyDeadlines(*c, prof, clock.Now()));
    EXPECT_FALSE(CountdownAt(*c, prof, clock.Now()).overdue);
    clock.Advance(minutes(2));
    EXPECT_TRUE(CountdownAt(*c, prof, clock.Now()).overdue);
    EXPECT_EQ(CountdownAt(*c, prof, clock.Now()).remaining, -minutes(1));
    auto after = ApplyDeadlines(*c, prof, clock.Now());
    ASSERT_TRUE(after);
    EXPECT_EQ(after->state, r.on_expiry);
    EXPECT_TRUE(after->auto_resolved);
    EXPECT_EQ(after->state_since, kStart + r.due_in);  // the platform acted at the deadline
  }
}

// Every platform's return timeline from its file: after approval the buyer must send the goods
// back (else the case closes), then the seller must confirm receipt (else the platform refunds).
TEST(Timeline, ReturnDeadlinesPerPlatformTable) {
  struct Row {
    const char* rule;
    core::Platform platform;
    core::Duration buyer_return;
    core::Duration confirm_receipt;
  };
  const Row rows[] = {
      {"淘宝: 7 days to send back, 10 days to confirm", core::Platform::kTaobao, hours(24 * 7),
       hours(24 * 10)},
      {"拼多多 (not verified): 7 days, 7 days", core::Platform::kPdd, hours(24 * 7), hours(24 * 7)},
      {"快手 (not verified): 7 days, 7 days", core::Platform::kKuaishou, hours(24 * 7),
       hours(24 * 7)},
      {"京东 (placeholders): 7 days, 7 days", core::Platform::kJd, hours(24 * 7), hours(24 * 7)},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.rule);
    const auto prof = DefaultProfile(r.platform).aftersales;
    core::ManualClock clock(kStart);
    auto c = *ApplyEvent(*OpenCase(Req(CaseType::kReturnRefund), clock.Now(), prof),
                         {CaseEvent::kSellerApprove}, clock.Now(), prof);
    auto d = NextDeadline(c, prof);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->who, Party::kBuyer);
    EXPECT_EQ(d->at, kStart + r.buyer_return);
    EXPECT_FALSE(ApplyDeadlines(c, prof, kStart + r.buyer_return - minutes(1)));
    auto closed = ApplyDeadlines(c, prof, kStart + r.buyer_return);
    ASSERT_TRUE(closed);
    EXPECT_EQ(closed->state, CaseState::kClosed);
    EXPECT_TRUE(closed->auto_resolved);

    clock.Advance(hours(30));
    c = *ApplyEvent(c, {CaseEvent::kBuyerShipReturn, "", "SF1", "顺丰"}, clock.Now(), prof);
    d = NextDeadline(c, prof);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->who, Party::kSeller);
    EXPECT_EQ(d->at, clock.Now() + r.confirm_receipt);
    EXPECT_FALSE(ApplyDeadlines(c, prof, clock.Now() + r.confirm_receipt - minutes(1)));
    auto refunded = ApplyDeadlines(c, prof, clock.Now() + r.confirm_receipt);
    ASSERT_TRUE(refunded);
    EXPECT_EQ(refunded->state, CaseState::kRefunded);
  }
}

TEST(Timeline, ReturnFlowWithBuyerAndReceiptDeadlines) {
  const auto prof = DefaultProfile(core::Platform::kTaobao).aftersales;
  core::ManualClock clock(kStart);
  auto c = *OpenCase(Req(CaseType::kReturnRefund), clock.Now(), prof);
  c = *ApplyEvent(c, {CaseEvent::kSellerApprove}, clock.Now(), prof);
  EXPECT_EQ(c.state, CaseState::kAwaitingReturn);
  // 淘宝: buyer returns within 7 days, else the case closes.
  auto d = NextDeadline(c, prof);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->who, Party::kBuyer);
  EXPECT_EQ(d->at, kStart + hours(24 * 7));
  auto closed = ApplyDeadlines(c, prof, kStart + hours(24 * 7));
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->state, CaseState::kClosed);

  clock.Advance(hours(24 * 3));
  EXPECT_EQ(ApplyEvent(c, {CaseEvent::kBuyerShipReturn}, clock.Now(), prof).status().code(),
            core::Code::kInvalidArgument);  // tracking number required
  c = *ApplyEvent(c, {CaseEvent::kBuyerShipReturn, "", "SF123", "顺丰"}, clock.Now(), prof);
  EXPECT_EQ(c.state, CaseState::kReturnShipped);
  // 淘宝: seller confirms receipt within 10 days or the refund goes through.
  EXPECT_EQ(NextDeadline(c, prof)->at, clock.Now() + hours(24 * 10));
  clock.Advance(hours(24 * 2));
  CaseEventData arrived{CaseEvent::kReturnArrived};
  arrived.condition = ReturnCondition::kDamaged;
  c = *ApplyEvent(c, arrived, clock.Now(), prof);
  EXPECT_EQ(c.state, CaseState::kReturnReceived);
  EXPECT_EQ(c.return_condition, ReturnCondition::kDamaged);
  EXPECT_FALSE(NextDeadline(c, prof));
  c = *ApplyEvent(c, {CaseEvent::kRefund}, clock.Now(), prof);
  EXPECT_EQ(c.state, CaseState::kRefunded);
  EXPECT_FALSE(ApplyEvent(c, {CaseEvent::kBuyerCancel}, clock.Now(), prof).ok());
}

TEST(Timeline, TransitionTable) {
  const auto prof = DefaultProfile(core::Platform::kPdd).aftersales;
  struct Row {
    const char* rule;
    CaseType type;
    CaseEventData event;
    bool ok;
    CaseState want;
  };
  const Row rows[] = {
      {"approve refund-only refunds", CaseType::kRefundOnly, {CaseEvent::kSellerApprove}, true,
       CaseState::kRefunded},
      {"approve exchange waits for the return", CaseType::kExchange, {CaseEvent::kSellerApprove},
       true, CaseState::kAwaitingReturn},
      {"reject needs a reason", CaseType::kRefundOnly, {CaseEvent::kSellerReject}, false,
       CaseState::kRequested},
      {"reject with reason", CaseType::kRefundOnly, {CaseEvent::kSellerReject, "", "已发货且买家已签收"},
       true, CaseState::kRejected},
      {"补发 ships a replacement", CaseType::kResend, {CaseEvent::kShipReplacement, "", "YT1"}, true,
       CaseState::kReplacementShipped},
      {"补发 cannot be 'approved'", CaseType::kResend, {CaseEvent::kSellerApprove}, false,
       CaseState::kRequested},
      {"cannot refund a return before it arrives", CaseType::kReturnRefund, {CaseEvent::kRefund},
       false, CaseState::kRequested},
      {"follow-up only for 问题件", CaseType::kRefundOnly, {CaseEvent::kFollowUp, "", "查件"}, false,
       CaseState::kRequested},
      {"buyer may cancel a request", CaseType::kReturnRefund, {CaseEvent::kBuyerCancel}, true,
       CaseState::kCancelled},
      {"问题件 refund for a lost parcel", CaseType::kProblemParcel, {CaseEvent::kRefund}, true,
       CaseState::kRefunded},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.rule);
    auto c = *OpenCase(Req(r.type), kStart, prof);
    auto n = ApplyEvent(c, r.event, kStart + hours(1), prof);
    EXPECT_EQ(n.ok(), r.ok) << n.status().ToString();
    if (n.ok()) {
      EXPECT_EQ(n->state, r.want);
    }
  }
}

TEST(Timeline, ProblemParcelFollowUpEvery24Hours) {
  const auto prof = DefaultProfile(core::Platform::kPdd).aftersales;
  core::ManualClock clock(kStart);
  auto c = *OpenCase(Req(CaseType::kProblemParcel), clock.Now(), prof);
  ASSERT_TRUE(c.next_followup_at);
  EXPECT_EQ(*c.next_followup_at, kStart + hours(24));
  EXPECT_TRUE(DueFollowUps({c}, clock.Now() + hours(23)).empty());
  EXPECT_EQ(DueFollowUps({c}, clock.Now() + hours(24)).size(), 1u);
  EXPECT_FALSE(ApplyDeadlines(c, prof, clock.Now() + hours(30)));  // a reminder, not a transition
  clock.Advance(hours(25));
  c = *ApplyEvent(c, {CaseEvent::kFollowUp, "agent1", "快递称已到转运中心"}, clock.Now(), prof);
  ASSERT_EQ(c.followups.size(), 1u);
  EXPECT_EQ(*c.next_followup_at, clock.Now() + hours(24));
  c = *ApplyEvent(c, {CaseEvent::kResolve}, clock.Now(), prof);
  EXPECT_EQ(c.state, CaseState::kClosed);
  EXPECT_FALSE(c.next_followup_at);
  EXPECT_TRUE(DueFollowUps({c}, clock.Now() + hours(100)).empty());
}

TEST(Cases, OpenValidation) {
  const auto prof = DefaultProfile(core::Platform::kTaobao).aftersales;
  auto bad_reason = Req(CaseType::kRefundOnly, true, "because");
  EXPECT_EQ(OpenCase(bad_reason, kStart, prof).status().field(), "reason");
  auto zero = Req(CaseType::kRefundOnly);
  zero.amount = core::Money(0);
  EXPECT_FALSE(OpenCase(zero, kStart, prof).ok());
  auto no_kind = Req(CaseType::kProblemParcel);
  no_kind.problem = ProblemKind::kNone;
  EXPECT_FALSE(OpenCase(no_kind, kStart, prof).ok());
  EXPECT_FALSE(OpenCase(Req(CaseType::kReturnRefund, false), kStart, prof).ok());
}

TEST(Cases, QualityRefundRateCountsOnlyQualityRefundsInWindow) {
  const auto prof = DefaultProfile(core::Platform::kTaobao).aftersales;
  std::vector<Case> cases;
  auto refunded = [&](const char* reason, core::Timestamp at) {
    auto c = *OpenCase(Req(CaseType::kRefundOnly, true, reason), at, prof);
    return *ApplyEvent(c, {CaseEvent::kSellerApprove}, at, prof);
  };
  cases.push_back(refunded("quality", kStart));
  cases.push_back(refunded("not_as_described", kStart + hours(1)));
  cases.push_back(refunded("no_reason_7d", kStart));               // non-quality
  cases.push_back(refunded("quality", kStart - hours(24 * 40)));   // outside the window
  cases.push_back(*OpenCase(Req(CaseType::kRefundOnly), kStart, prof));  // not refunded
  auto r = QualityRefundRate(cases, 200, kStart - hours(24 * 30), kStart + hours(24));
  EXPECT_EQ(r.quality_refunds, 2);
  EXPECT_DOUBLE_EQ(r.rate, 0.01);
  EXPECT_EQ(QualityRefundRate(cases, 0, kStart, kStart + hours(1)).rate, 0.0);
}

TEST(Cases, ServiceRegistersReturnByTrackingAndAuditsEveryStep) {
  orders::InMemoryAuditLog audit;
  InMemoryCaseRepository repo(audit);
  core::ManualClock clock(kStart);
  AftersalesService svc(repo, clock, DefaultProfile(core::Platform::kTaobao).aftersales);
  orders::Actor agent{"a1", "s1", orders::Role::kAgent, orders::Department::kAfterSales};
  orders::Actor other{"a9", "s2", orders::Role::kAgent, orders::Department::kAfterSales};
  auto c = svc.Open(agent, Req(CaseType::kReturnRefund));
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(svc.Apply(agent, c->id, {CaseEvent::kSellerApprove}).ok());
  ASSERT_TRUE(svc.Apply(agent, c->id, {CaseEvent::kBuyerShipReturn, "", "SF9", "顺丰"}).ok());
  EXPECT_EQ(svc.RegisterReturn(other, "SF9", ReturnCondition::kIntact).status().code(),
            core::Code::kNotFound);
  auto arrived = svc.RegisterReturn(agent, "SF9", ReturnCondition::kIntact);
  ASSERT_TRUE(arrived.ok()) << arrived.status().ToString();
  EXPECT_EQ(arrived->state, CaseState::kReturnReceived);
  auto trail = audit.Query("s1", c->id);
  ASSERT_EQ(trail.size(), 4u);
  EXPECT_EQ(trail[0].action, "case.open");
  EXPECT_TRUE(trail[0].before_json.empty());
  EXPECT_EQ(trail[3].action, "case.return_registered");
  EXPECT_NE(trail[3].before_json.find("return_shipped"), std::string::npos);
  EXPECT_NE(trail[3].after_json.find("return_received"), std::string::npos);

  // Deadlines: an untouched refund request is refunded by the platform after 5 days.
  auto r2 = svc.Open(agent, Req(CaseType::kRefundOnly));
  clock.Advance(hours(24 * 5));
  auto changed = svc.ApplyDeadlines(agent);
  ASSERT_TRUE(changed.ok());
  ASSERT_EQ(changed->size(), 1u);
  EXPECT_EQ((*changed)[0].id, r2->id);
  EXPECT_EQ((*changed)[0].state, CaseState::kRefunded);
}

}  // namespace
}  // namespace kefu::aftersales
