// The permission engine: what an agent may give without a lead, and the approval flow.
#include <gtest/gtest.h>

#include <functional>

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
    if (r.want != Verdict::kAllowed) {
      EXPECT_FALSE(d.reasons.empty());
    }
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

namespace kefu::aftersales {
namespace {

// The shop's policy as configured by its lead: each row changes one setting and names the
// rule it exercises; the verdict follows at once.
TEST(ShopPolicy, ConfiguredSettingsTable) {
  const orders::Actor pre{"a1", "s1", Role::kAgent, Department::kPreSales};
  const orders::Actor post{"a2", "s1", Role::kAgent, Department::kAfterSales};
  orders::Order to_ship = Delivered();
  to_ship.status = orders::OrderStatus::kToShip;
  to_ship.goods_total = core::Money::Yuan(90);  // 19 yuan short of the 109 threshold
  struct Row {
    const char* rule;
    std::function<void(PermissionPolicy&)> configure;
    orders::Actor actor;
    ActionRequest action;
    orders::Order order;
    OrderHistory history;
    Verdict want;
    const char* want_rule;
  };
  const Row rows[] = {
      {"goodwill cap raised to 8 yuan: 8 yuan allowed",
       [](PermissionPolicy& p) {
         p.agent.goodwill_cap[GoodwillCause::kDelivery] = core::Money::Yuan(8);
       },
       pre,
       Goodwill(8),
       Delivered(),
       {},
       Verdict::kAllowed,
       "goodwill_refund"},
      {"goodwill cap lowered to 2 yuan: 3 yuan needs a lead",
       [](PermissionPolicy& p) {
         p.agent.goodwill_cap[GoodwillCause::kDelivery] = core::Money::Yuan(2);
       },
       pre,
       Goodwill(3),
       Delivered(),
       {},
       Verdict::kNeedsApproval,
       "goodwill.cap"},
      {"a cause removed from the policy needs a lead even for 1 yuan",
       [](PermissionPolicy& p) { p.agent.goodwill_cap.erase(GoodwillCause::kBuyer); },
       pre,
       Goodwill(1, GoodwillCause::kBuyer),
       Delivered(),
       {},
       Verdict::kNeedsApproval,
       "goodwill.cause"},
      {"满赠 distance widened to 20 yuan: 19 yuan short is allowed",
       [](PermissionPolicy& p) { p.agent.gift_topup_gap = core::Money::Yuan(20); },
       pre,
       Gift(ActionKind::kGiftTopUp, "GIFT-MUG"),
       to_ship,
       {},
       Verdict::kAllowed,
       "gift_topup"},
      {"price protection window shortened to 7 days: lowered on day 10 needs a lead",
       [](PermissionPolicy& p) { p.agent.price_protect_days = 7; },
       post,
       PriceDiff("2026-03-13T10:00:00+08:00"),
       Delivered(),
       {},
       Verdict::kNeedsApproval,
       "price_diff.window"},
      {"大促 exception switched off: a 大促 order gets 退差价 within the window",
       [](PermissionPolicy& p) { p.price_protect_excluded = {orders::Campaign::kFlashSale}; },
       post,
       PriceDiff("2026-03-13T10:00:00+08:00"),
       Delivered(orders::Campaign::kBigSale),
       {},
       Verdict::kAllowed,
       "price_diff_refund"},
      {"大促 exception kept for 限时抢购",
       [](PermissionPolicy& p) { p.price_protect_excluded = {orders::Campaign::kFlashSale}; },
       post,
       PriceDiff("2026-03-13T10:00:00+08:00"),
       Delivered(orders::Campaign::kFlashSale),
       {},
       Verdict::kNeedsApproval,
       "price_diff.campaign"},
      {"agent's own 小额打款 count: the 2nd payment on an order needs a lead",
       [](PermissionPolicy& p) { p.agent.small_payments_per_order = 1; },
       pre,
       Goodwill(5),
       Delivered(),
       {.small_payments = 1},
       Verdict::kNeedsApproval,
       "small_payment.role_count"},
      {"小额打款 amount cap raised to 10 yuan",
       [](PermissionPolicy& p) { p.agent.small_payment_cap = core::Money::Yuan(10); },
       pre,
       [] {
         ActionRequest a;
         a.kind = ActionKind::kSmallPayment;
         a.order_id = "o1";
         a.amount = core::Money::Yuan(10);
         return a;
       }(),
       Delivered(),
       {},
       Verdict::kAllowed,
       "small_payment"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.rule);
    PermissionPolicy p = Policy();
    r.configure(p);
    ASSERT_TRUE(ValidatePermissionPolicy(p, DefaultProfile(core::Platform::kPdd).aftersales).ok());
    auto d = Evaluate(r.actor, r.action, r.order, r.history, p, kNow);
    EXPECT_EQ(VerdictName(d.verdict), VerdictName(r.want));
    EXPECT_EQ(d.rule, r.want_rule);
  }
}

TEST(ShopPolicy, CampaignGiftWarningCanBeSwitchedOff) {
  const orders::Actor pre{"a1", "s1", Role::kAgent, Department::kPreSales};
  orders::Order o = Delivered(orders::Campaign::kBigSale);
  o.status = orders::OrderStatus::kToShip;
  PermissionPolicy p = Policy();
  EXPECT_EQ(Evaluate(pre, Gift(ActionKind::kGiftForObjection, "GIFT-SPOON"), o, {}, p, kNow)
                .warnings.size(),
            1u);
  p.campaign_gift_warning = false;
  EXPECT_TRUE(Evaluate(pre, Gift(ActionKind::kGiftForObjection, "GIFT-SPOON"), o, {}, p, kNow)
                  .warnings.empty());
}

TEST(ShopPolicy, ValidationNamesTheField) {
  const auto pdd = DefaultProfile(core::Platform::kPdd).aftersales;
  struct Row {
    const char* rule;
    std::function<void(PermissionPolicy&)> configure;
    const char* field;
  };
  const Row rows[] = {
      {"negative goodwill cap",
       [](PermissionPolicy& p) { p.agent.goodwill_cap[GoodwillCause::kBuyer] = core::Money(-1); },
       "agent.goodwill_cap.buyer"},
      {"goodwill cap above 拼多多's 200 yuan per payment",
       [](PermissionPolicy& p) {
         p.lead.goodwill_cap[GoodwillCause::kProduct] = core::Money::Yuan(201);
       },
       "lead.goodwill_cap.product"},
      {"小额打款 count above 拼多多's 3 per order",
       [](PermissionPolicy& p) { p.agent.small_payments_per_order = 4; },
       "agent.small_payments_per_order"},
      {"price protection over a year", [](PermissionPolicy& p) { p.lead.price_protect_days = 400; },
       "lead.price_protect_days"},
      {"满赠 threshold of 0",
       [](PermissionPolicy& p) {
         p.gift_thresholds = {{core::Money(0), "G"}};
       },
       "gift_thresholds[0].threshold"},
      {"满赠 gift without SKU",
       [](PermissionPolicy& p) {
         p.gift_thresholds = {{core::Money::Yuan(99), "G"}, {core::Money::Yuan(199), ""}};
       },
       "gift_thresholds[1].gift_sku"},
      {"gift table SKU with a remark separator",
       [](PermissionPolicy& p) {
         p.gift_table = {{"CUP", {"A;B"}}};
       },
       "gift_table.CUP"},
      {"gift table entry without gifts",
       [](PermissionPolicy& p) {
         p.gift_table = {{"CUP", {}}};
       },
       "gift_table.CUP"},
      {"an owner cannot be capped", [](PermissionPolicy& p) { p.owner.unlimited = false; },
       "owner"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.rule);
    PermissionPolicy p = Policy();
    r.configure(p);
    auto st = ValidatePermissionPolicy(p, pdd);
    EXPECT_EQ(st.code(), core::Code::kInvalidArgument);
    EXPECT_EQ(st.field(), r.field) << st.ToString();
  }
  // On 淘宝 there is no platform cap: 201 yuan is a valid lead cap.
  PermissionPolicy p = DefaultPermissionPolicy(DefaultProfile(core::Platform::kTaobao).aftersales);
  p.lead.goodwill_cap[GoodwillCause::kProduct] = core::Money::Yuan(201);
  EXPECT_TRUE(ValidatePermissionPolicy(p, DefaultProfile(core::Platform::kTaobao).aftersales).ok());
}

TEST(ShopPolicy, DefaultsComeFromThePlatformFile) {
  const auto pdd = DefaultProfile(core::Platform::kPdd).aftersales;
  const PermissionPolicy p = DefaultPermissionPolicy(pdd);
  EXPECT_EQ(p.agent.gift_topup_gap, core::Money::Yuan(10));
  EXPECT_EQ(p.agent.price_protect_days, 15);
  EXPECT_EQ(p.agent.goodwill_cap.at(GoodwillCause::kDelivery), core::Money::Yuan(5));
  EXPECT_EQ(p.agent.goodwill_cap.at(GoodwillCause::kBuyer), core::Money::Yuan(3));
  EXPECT_FALSE(p.agent.unlimited);
  EXPECT_TRUE(p.lead.unlimited);
  EXPECT_TRUE(p.owner.unlimited);
  EXPECT_EQ(p.small_payments_per_order, 3);  // 拼多多's platform limit
  EXPECT_EQ(p.small_payment_platform_cap, core::Money::Yuan(200));
  EXPECT_TRUE(ValidatePermissionPolicy(p, pdd).ok());
  EXPECT_EQ(DefaultPermissionPolicy(DefaultProfile(core::Platform::kTaobao).aftersales)
                .small_payments_per_order,
            0);
}

TEST(ShopPolicy, OnlyLeadsAndOwnersUpdateAndEveryChangeIsAudited) {
  orders::InMemoryAuditLog audit;
  InMemoryPolicyRepository repo(audit);
  const auto pdd = DefaultProfile(core::Platform::kPdd).aftersales;
  const PermissionPolicy before = DefaultPermissionPolicy(pdd);
  PermissionPolicy after = before;
  after.agent.goodwill_cap[GoodwillCause::kDelivery] = core::Money::Yuan(8);
  const orders::Actor agent{"a1", "s1", Role::kAgent, Department::kPreSales};
  const orders::Actor lead{"l1", "s1", Role::kLead, Department::kPreSales};
  EXPECT_EQ(UpdatePolicy(repo, agent, before, after, pdd, kNow).code(),
            core::Code::kPermissionDenied);
  PermissionPolicy bad = after;
  bad.agent.small_payments_per_order = 9;
  EXPECT_EQ(UpdatePolicy(repo, lead, before, bad, pdd, kNow).field(),
            "agent.small_payments_per_order");
  EXPECT_TRUE(audit.Records().empty());
  ASSERT_TRUE(UpdatePolicy(repo, lead, before, after, pdd, kNow).ok());
  auto stored = repo.GetPolicy("s1");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->updated_by, "l1");
  EXPECT_EQ((*stored)->json, PermissionPolicyToJson(after));
  EXPECT_NE((*stored)->json.find(R"("goodwill_caps":{"delivery":"8.00")"), std::string::npos);
  auto recs = audit.Query("s1");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].action, "policy.update");
  EXPECT_EQ(recs[0].entity_type, "policy");
  EXPECT_EQ(recs[0].entity_id, "s1");
  EXPECT_NE(recs[0].before_json.find(R"("delivery":"5.00")"), std::string::npos);
  EXPECT_NE(recs[0].after_json.find(R"("delivery":"8.00")"), std::string::npos);
  EXPECT_FALSE(repo.GetPolicy("s2")->has_value());
}

}  // namespace
}  // namespace kefu::aftersales
