// The permission engine: what an agent may give without a lead, and the approval flow.
#include <gtest/gtest.h>

#include "aftersales/aftersales.h"

namespace kefu::aftersales {
namespace {

using std::chrono::hours;
using orders::Department;
using orders::Role;

core::Timestamp T(const char* rfc3339) { return *core::ParseRfc3339(rfc3339); }
const core::Timestamp kNow = T("2026-03-20T10:00:00+08:00");

orders::Order Delivered(orders::Campaign campaign = orders::Campaign::kNone) {
  orders::Order o;
  o.id = "o1";
  o.shop_id = "s1";
  o.status = orders::OrderStatus::kDelivered;
  o.items = {{"CUP", "杯子", 2, core::Money::Yuan(50)}};
  o.goods_total = o.original_goods_total = core::Money::Yuan(100);
  o.paid_at = T("2026-03-01T10:00:00+08:00");
  o.delivered_at = T("2026-03-03T10:00:00+08:00");
  o.campaign = campaign;
  return o;
}

PermissionPolicy Policy() {
  PermissionPolicy p = DefaultPermissionPolicy(DefaultProfile(core::Platform::kPdd).aftersales);
  p.gift_thresholds = {{core::Money::Yuan(109), "GIFT-MUG"}};
  p.gift_table = {{"CUP", {"GIFT-SPOON"}}};
  return p;
}

ActionRequest Goodwill(int64_t yuan, GoodwillCause cause = GoodwillCause::kDelivery) {
  ActionRequest a;
  a.kind = ActionKind::kGoodwillRefund;
  a.order_id = "o1";
  a.amount = core::Money::Yuan(yuan);
  a.cause = cause;
  return a;
}

ActionRequest PriceDiff(const char* lowered_at, int64_t amount_yuan = 10) {
  ActionRequest a;
  a.kind = ActionKind::kPriceDiffRefund;
  a.order_id = "o1";
  a.item_sku = "CUP";
  a.old_price = core::Money::Yuan(50);
  a.new_price = core::Money::Yuan(45);
  a.amount = core::Money::Yuan(amount_yuan);
  a.price_lowered_at = T(lowered_at);
  return a;
}

ActionRequest Gift(ActionKind kind, const char* sku) {
  ActionRequest a;
  a.kind = kind;
  a.order_id = "o1";
  a.gift_sku = sku;
  return a;
}

TEST(Permission, RuleTable) {
  const orders::Actor pre{"a1", "s1", Role::kAgent, Department::kPreSales};
  const orders::Actor post{"a2", "s1", Role::kAgent, Department::kAfterSales};
  const orders::Actor lead{"l1", "s1", Role::kLead, Department::kAfterSales};
  orders::Order to_ship = Delivered();
  to_ship.status = orders::OrderStatus::kToShip;
  orders::Order far = to_ship;
  far.goods_total = core::Money::Yuan(90);  // 19 yuan short of 109
  struct Row {
    const char* rule;
    orders::Actor actor;
    ActionRequest action;
    orders::Order order;
    OrderHistory history;
    Verdict want;
  };
  const Row rows[] = {
      {"goodwill 5 yuan for a delivery cause is within authority", pre, Goodwill(5), Delivered(),
       {}, Verdict::kAllowed},
      {"goodwill 3 yuan for a buyer cause is within authority", pre,
       Goodwill(3, GoodwillCause::kBuyer), Delivered(), {}, Verdict::kAllowed},
      {"goodwill 4 yuan for a buyer cause exceeds the 3 yuan cap", pre,
       Goodwill(4, GoodwillCause::kBuyer), Delivered(), {}, Verdict::kNeedsApproval},
      {"goodwill 50 yuan needs a lead", pre, Goodwill(50), Delivered(), {}, Verdict::kNeedsApproval},
      {"a lead may give 50 yuan", lead, Goodwill(50), Delivered(), {}, Verdict::kAllowed},
      {"拼多多 4th small payment on one order is denied even for a lead", lead, Goodwill(5),
       Delivered(), {.small_payments = 3}, Verdict::kDenied},
      {"拼多多 platform cap per payment", lead, Goodwill(201), Delivered(), {}, Verdict::kDenied},
      {"zero amount is invalid", pre, Goodwill(0), Delivered(), {}, Verdict::kDenied},
      {"price protection: lowered 10 days after delivery", post,
       PriceDiff("2026-03-13T10:00:00+08:00"), Delivered(), {}, Verdict::kAllowed},
      {"price protection: lowered exactly 15 days after delivery", post,
       PriceDiff("2026-03-18T10:00:00+08:00"), Delivered(), {}, Verdict::kAllowed},
      {"price protection: lowered 16 days after delivery", post,
       PriceDiff("2026-03-19T10:00:00+08:00"), Delivered(), {}, Verdict::kNeedsApproval},
      {"price protection excludes 大促", post, PriceDiff("2026-03-13T10:00:00+08:00"),
       Delivered(orders::Campaign::kBigSale), {}, Verdict::kNeedsApproval},
      {"price protection excludes 限时抢购", post, PriceDiff("2026-03-13T10:00:00+08:00"),
       Delivered(orders::Campaign::kFlashSale), {}, Verdict::kNeedsApproval},
      {"price protection: refund above the difference is denied", post,
       PriceDiff("2026-03-13T10:00:00+08:00", 11), Delivered(), {}, Verdict::kDenied},
      {"price protection: lowered before payment", post, PriceDiff("2026-02-27T10:00:00+08:00"),
       Delivered(), {}, Verdict::kNeedsApproval},
      {"满赠 top-up within 10 yuan, 售前 before shipping", pre,
       Gift(ActionKind::kGiftTopUp, "GIFT-MUG"), to_ship, {}, Verdict::kAllowed},
      {"满赠 top-up 19 yuan short needs a lead", pre, Gift(ActionKind::kGiftTopUp, "GIFT-MUG"), far,
       {}, Verdict::kNeedsApproval},
      {"满赠 售后 resends after delivery", post, Gift(ActionKind::kGiftTopUp, "GIFT-MUG"),
       Delivered(), {}, Verdict::kAllowed},
      {"满赠 售前 cannot add after delivery", pre, Gift(ActionKind::kGiftTopUp, "GIFT-MUG"),
       Delivered(), {}, Verdict::kNeedsApproval},
      {"满赠 售后 cannot resend before delivery", post, Gift(ActionKind::kGiftTopUp, "GIFT-MUG"),
       to_ship, {}, Verdict::kNeedsApproval},
      {"price objection gift from the SKU gift table", pre,
       Gift(ActionKind::kGiftForObjection, "GIFT-SPOON"), to_ship, {}, Verdict::kAllowed},
      {"price objection gift not in the table", pre, Gift(ActionKind::kGiftForObjection, "GIFT-MUG"),
       to_ship, {}, Verdict::kNeedsApproval},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.rule);
    auto d = Evaluate(r.actor, r.action, r.order, r.history, Policy(), kNow);
    EXPECT_EQ(VerdictName(d.verdict), VerdictName(r.want));
    if (r.want != Verdict::kAllowed) EXPECT_FALSE(d.reasons.empty());
  }
}

TEST(Permission, SmallPaymentAndCollectionCaps) {
  const orders::Actor pre{"a1", "s1", Role::kAgent, Department::kPreSales};
  ActionRequest pay;
  pay.kind = ActionKind::kSmallPayment;
  pay.order_id = "o1";
  pay.amount = core::Money::Yuan(5);
  EXPECT_EQ(Evaluate(pre, pay, Delivered(), {}, Policy(), kNow).verdict, Verdict::kAllowed);
  pay.amount = core::Money(501);
  EXPECT_EQ(Evaluate(pre, pay, Delivered(), {}, Policy(), kNow).verdict, Verdict::kNeedsApproval);
  ActionRequest collect;
  collect.kind = ActionKind::kSmallCollection;
  collect.order_id = "o1";
  collect.amount = core::Money::Yuan(12);
  collect.reason = "偏远地区运费差价";
  EXPECT_EQ(Evaluate(pre, collect, Delivered(), {.small_payments = 3}, Policy(), kNow).verdict,
            Verdict::kAllowed);  // collections are not payments: the 3-per-order cap does not apply
  collect.amount = core::Money::Yuan(21);
  EXPECT_EQ(Evaluate(pre, collect, Delivered(), {}, Policy(), kNow).verdict,
            Verdict::kNeedsApproval);
}

TEST(Permission, CampaignGiftWarning) {
  const orders::Actor pre{"a1", "s1", Role::kAgent, Department::kPreSales};
  orders::Order o = Delivered();
  o.status = orders::OrderStatus::kToShip;
  auto quiet = Evaluate(pre, Gift(ActionKind::kGiftForObjection, "GIFT-SPOON"), o, {}, Policy(), kNow);
  EXPECT_TRUE(quiet.warnings.empty());
  PermissionPolicy during = Policy();
  during.campaign_active = true;
  auto warned = Evaluate(pre, Gift(ActionKind::kGiftForObjection, "GIFT-SPOON"), o, {}, during, kNow);
  EXPECT_EQ(warned.verdict, Verdict::kAllowed);
  ASSERT_EQ(warned.warnings.size(), 1u);
  EXPECT_NE(warned.warnings[0].find("活动期间"), std::string::npos);
}

TEST(Permission, ConfigurablePerRole) {
  PermissionPolicy p = Policy();
  p.agent.goodwill_cap[GoodwillCause::kDelivery] = core::Money::Yuan(8);
  const orders::Actor pre{"a1", "s1", Role::kAgent, Department::kPreSales};
  EXPECT_EQ(Evaluate(pre, Goodwill(8), Delivered(), {}, p, kNow).verdict, Verdict::kAllowed);
  p.lead.unlimited = false;  // a shop may cap its leads too
  const orders::Actor lead{"l1", "s1", Role::kLead, Department::kPreSales};
  EXPECT_EQ(Evaluate(lead, Goodwill(50), Delivered(), {}, p, kNow).verdict,
            Verdict::kNeedsApproval);
}

class ApprovalFlow : public ::testing::Test {
 protected:
  ApprovalFlow() : orders_(audit_), store_(audit_), clock_(kNow), svc_(orders_, store_, clock_) {
    EXPECT_TRUE(orders_.Insert({Delivered()}, {}).ok());
  }
  orders::InMemoryAuditLog audit_;
  orders::InMemoryOrderRepository orders_;
  InMemoryCompensationRepository store_;
  core::ManualClock clock_;
  PermissionService svc_;
  orders::Actor agent_{"agent1", "s1", Role::kAgent, Department::kAfterSales};
  orders::Actor lead_{"lead1", "s1", Role::kLead, Department::kAfterSales};
  orders::Actor stranger_{"agent9", "s2", Role::kAgent, Department::kAfterSales};
};

TEST_F(ApprovalFlow, FiveYuanAllowedFiftyNeedsLeadWhoApproves) {
  auto small = svc_.Request(agent_, Goodwill(5), Policy());
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  ASSERT_TRUE(small->compensation);
  EXPECT_EQ(small->compensation->approved_by, "");

  auto big = svc_.Request(agent_, Goodwill(50), Policy());
  ASSERT_TRUE(big.ok());
  EXPECT_FALSE(big->compensation);
  ASSERT_TRUE(big->approval);
  EXPECT_EQ(big->approval->state, ApprovalState::kPending);
  EXPECT_EQ(store_.ListApprovals("s1", true).size(), 1u);

  EXPECT_EQ(svc_.Decide(agent_, big->approval->id, true, "", Policy()).status().code(),
            core::Code::kPermissionDenied);
  EXPECT_EQ(svc_.Decide(stranger_, big->approval->id, true, "", Policy()).status().code(),
            core::Code::kPermissionDenied);
  orders::Actor other_lead{"lead9", "s2", Role::kLead, Department::kAfterSales};
  EXPECT_EQ(svc_.Decide(other_lead, big->approval->id, true, "", Policy()).status().code(),
            core::Code::kNotFound);
  auto ok = svc_.Decide(lead_, big->approval->id, true, "同意补偿", Policy());
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->approval->state, ApprovalState::kApproved);
  EXPECT_EQ(ok->compensation->approved_by, "lead1");
  EXPECT_EQ(ok->compensation->requested_by, "agent1");
  EXPECT_FALSE(svc_.Decide(lead_, big->approval->id, true, "", Policy()).ok());  // once only

  std::vector<std::string> actions;
  for (const auto& r : audit_.Query("s1")) actions.push_back(r.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"compensation.create", "approval.request",
                                               "approval.approve", "compensation.create"}));
  EXPECT_TRUE(audit_.Query("s2").empty());
  EXPECT_EQ(store_.ListCompensations("s1", "o1").size(), 2u);
  EXPECT_TRUE(store_.ListApprovals("s2", false).empty());
  EXPECT_EQ(svc_.Request(stranger_, Goodwill(5), Policy()).status().code(), core::Code::kNotFound);
}

TEST_F(ApprovalFlow, RejectionAndPlatformLimitAtApprovalTime) {
  auto big = svc_.Request(agent_, Goodwill(50), Policy());
  ASSERT_TRUE(big.ok());
  auto no = svc_.Decide(lead_, big->approval->id, false, "金额过高", Policy());
  ASSERT_TRUE(no.ok());
  EXPECT_EQ(no->approval->state, ApprovalState::kRejected);
  EXPECT_FALSE(no->compensation);
  EXPECT_EQ(audit_.Query("s1").back().action, "approval.reject");

  // Three payments use up 拼多多's per-order limit; the pending request can no longer be paid.
  auto pending = svc_.Request(agent_, Goodwill(40), Policy());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(svc_.Request(agent_, Goodwill(5), Policy()).ok());
  auto denied = svc_.Request(agent_, Goodwill(5), Policy());
  EXPECT_EQ(denied.status().code(), core::Code::kFailedPrecondition);
  EXPECT_EQ(denied.status().error(), "compensation_denied");
  EXPECT_EQ(svc_.Decide(lead_, pending->approval->id, true, "", Policy()).status().code(),
            core::Code::kFailedPrecondition);
}

}  // namespace
}  // namespace kefu::aftersales
