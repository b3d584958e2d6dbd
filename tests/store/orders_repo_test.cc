// The SQLite implementations of the orders / after-sales ports: round trips, atomic writes with
// their audit rows, shop scoping, cursors, and readers seeing only committed data.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "store/store.h"

namespace kefu::store {
namespace {

using aftersales::ActionKind;
using aftersales::ActionRequest;
using orders::Actor;
using orders::Order;
using orders::Role;

std::string TempDir() {
  auto p = std::filesystem::temp_directory_path() / ("kefu-ordrepo-" + core::NewId(""));
  std::filesystem::create_directories(p);
  return p.string();
}

core::Timestamp At(const char* rfc3339) { return *core::ParseRfc3339(rfc3339); }

Order FullOrder(const std::string& id, const std::string& shop = "s1") {
  Order o;
  o.id = id;
  o.shop_id = shop;
  o.platform = core::Platform::kTaobao;
  o.buyer = "买家甲";
  o.items = {{"SKU-A", "连衣裙", 2, core::Money(5990)}, {"SKU-B", "腰带", 1, core::Money(1200)}};
  o.shipping_fee = core::Money(600);
  o.goods_total = core::Money(13180);
  o.original_goods_total = core::Money(13180);
  o.goods_total_changes = 1;
  o.shipping_fee_changes = 2;
  o.address = {"广东省", "深圳市", "南山区", "科技园1号", "张三", "13800138000"};
  o.status = orders::OrderStatus::kGroupPending;
  o.created_at = At("2026-03-05T09:00:00+08:00");
  o.paid_at = At("2026-03-05T09:01:00+08:00");
  o.promised_ship_time = At("2026-03-07T09:00:00+08:00");
  o.tracking_no = "SF1";
  o.carrier = "顺丰";
  o.campaign = orders::Campaign::kFlashSale;
  o.group = orders::GroupInfo{"g1", 3, 2, std::nullopt};
  o.remark = "[延迟发货] 3月15日发货\n顾客要求周末送达";
  o.flag = orders::FlagColor::kPurple;
  o.flag_note = "紫旗备注";
  return o;
}

struct Fixture {
  std::string dir = TempDir();
  std::unique_ptr<Store> store;
  std::unique_ptr<OrdersStore> repo;
  Fixture() {
    auto st = Store::Open(dir);
    EXPECT_TRUE(st.ok()) << st.status().ToString();
    store = std::move(*st);
    repo = std::make_unique<OrdersStore>(*store);
  }
  ~Fixture() {
    repo.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  core::Status Write(const std::function<core::Status(OrdersDb&)>& fn) {
    return store->WriteNow([&] { return fn(repo->Writer()); });
  }
  std::vector<orders::AuditRecord> Audit(const std::string& shop) {
    std::vector<orders::AuditRecord> out;
    EXPECT_TRUE(repo->Read([&](OrdersDb& db) -> core::Status {
                      AuditQuery q;
                      q.shop_id = shop;
                      q.limit = 1000;
                      KEFU_ASSIGN_OR_RETURN(auto page, db.QueryAudit(q));
                      for (auto& r : page.items) out.push_back(r.record);
                      return core::Status::Ok();
                    }).ok());
    return out;
  }
};

orders::AuditRecord Rec(const std::string& shop, const std::string& action,
                        const std::string& entity) {
  Actor a{"u1", shop, Role::kAgent, orders::Department::kPreSales};
  return orders::MakeAudit(a, core::SystemClock().Now(), action, "order", entity, "", "{}");
}

TEST(OrdersRepo, OrderRoundTripsEveryField) {
  Fixture f;
  const Order o = FullOrder("o1");
  ASSERT_TRUE(f.Write([&](OrdersDb& db) {
                 return db.orders().Insert({o}, {Rec("s1", "order.import", "o1")});
               }).ok());
  core::Result<Order> got = core::Internal("unread");
  ASSERT_TRUE(f.repo->Read([&](OrdersDb& db) {
                 got = db.orders().Get("s1", "o1");
                 return core::Status::Ok();
               }).ok());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, o);
}

TEST(OrdersRepo, DuplicateIdStoresNothingNotEvenAudit) {
  Fixture f;
  ASSERT_TRUE(f.Write([&](OrdersDb& db) {
                 return db.orders().Insert({FullOrder("o1")}, {Rec("s1", "order.import", "o1")});
               }).ok());
  // o2 is new but o1 exists: the whole batch fails.
  auto st = f.Write([&](OrdersDb& db) {
    return db.orders().Insert({FullOrder("o2"), FullOrder("o1")},
                              {Rec("s1", "order.import", "o2"), Rec("s1", "order.import", "o1")});
  });
  EXPECT_EQ(st.code(), core::Code::kAlreadyExists);
  (void)f.repo->Read([&](OrdersDb& db) {
    EXPECT_EQ(db.orders().Get("s1", "o2").status().code(), core::Code::kNotFound);
    EXPECT_EQ(db.orders().List("s1").size(), 1u);
    return core::Status::Ok();
  });
  EXPECT_EQ(f.Audit("s1").size(), 1u);
  // The same id in another shop is a different order.
  EXPECT_TRUE(f.Write([&](OrdersDb& db) {
                 return db.orders().Insert({FullOrder("o1", "s2")}, {Rec("s2", "order.import", "o1")});
               }).ok());
}

TEST(OrdersRepo, AnotherShopsOrderIsNotFound) {
  Fixture f;
  ASSERT_TRUE(f.Write([&](OrdersDb& db) { return db.orders().Insert({FullOrder("o1")}, {}); }).ok());
  (void)f.repo->Read([&](OrdersDb& db) {
    EXPECT_EQ(db.orders().Get("s2", "o1").status().code(), core::Code::kNotFound);
    EXPECT_TRUE(db.orders().List("s2").empty());
    return core::Status::Ok();
  });
  Order other = FullOrder("o1", "s2");
  auto st = f.Write([&](OrdersDb& db) { return db.orders().Update(other, {}); });
  EXPECT_EQ(st.code(), core::Code::kNotFound);
}

TEST(OrdersRepo, UpdateReplacesItemsRemarkAndFlagWithAudit) {
  Fixture f;
  ASSERT_TRUE(f.Write([&](OrdersDb& db) { return db.orders().Insert({FullOrder("o1")}, {}); }).ok());
  Order o = FullOrder("o1");
  o.items = {{"SKU-C", "衬衫", 1, core::Money(9900)}};
  o.remark.clear();
  o.flag = orders::FlagColor::kNone;
  o.flag_note.clear();
  o.group.reset();
  o.status = orders::OrderStatus::kToShip;
  ASSERT_TRUE(f.Write([&](OrdersDb& db) {
                 return db.orders().Update(o, {Rec("s1", "order.change_sku", "o1")});
               }).ok());
  (void)f.repo->Read([&](OrdersDb& db) {
    auto got = db.orders().Get("s1", "o1");
    EXPECT_TRUE(got.ok());
    if (got.ok()) {
      EXPECT_EQ(*got, o);
    }
    return core::Status::Ok();
  });
  auto audit = f.Audit("s1");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].action, "order.change_sku");
}

TEST(OrdersRepo, FailedJobLeavesNeitherRowNorAudit) {
  Fixture f;
  auto st = f.store->WriteNow([&]() -> core::Status {
    KEFU_TRY(f.repo->Writer().orders().Insert({FullOrder("o1")}, {Rec("s1", "order.import", "o1")}));
    return core::Internal("the caller fails after the insert");
  });
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(f.Audit("s1").empty());
  (void)f.repo->Read([&](OrdersDb& db) {
    EXPECT_TRUE(db.orders().List("s1").empty());
    return core::Status::Ok();
  });
}

TEST(OrdersRepo, ServiceReviewFixSkuAndCutoffThroughSqlite) {
  Fixture f;
  core::ManualClock clock(At("2026-03-05T15:30:00+08:00"));
  auto tz = core::TimeZone::Fixed(480);
  Order good = FullOrder("good");
  good.status = orders::OrderStatus::kPaid;
  good.group.reset();
  good.campaign = orders::Campaign::kNone;
  good.remark.clear();
  good.items = {{"SKU-A", "连衣裙", 1, core::Money(5990)}};
  Order bad = good;
  bad.id = "bad";
  bad.items = {{"SKU-TYPO", "连衣裙", 1, core::Money(5990)}};
  Actor agent{"u1", "s1", Role::kAgent, orders::Department::kPreSales};
  ASSERT_TRUE(f.Write([&](OrdersDb& db) -> core::Status {
                 KEFU_TRY(db.PutCatalogItem("s1", {"SKU-A", "连衣裙", 10, core::Money(5990)}));
                 orders::OrderService svc(db.orders(), db.reviews(), db.catalog(), db.blacklist(),
                                          clock, tz, {});
                 KEFU_TRY(svc.Import(agent, {good, bad}));
                 auto r = svc.ReviewPending(agent);
                 return r.status();
               }).ok());
  auto left = [&] {
    orders::CutoffStatus out;
    (void)f.repo->Read([&](OrdersDb& db) {
      orders::OrderService svc(db.orders(), db.reviews(), db.catalog(), db.blacklist(), clock,
                               tz, {});
      out = svc.LeftBeforeCutoff(agent);
      return core::Status::Ok();
    });
    return out;
  };
  auto before = left();
  EXPECT_EQ(before.left.size(), 2u);
  EXPECT_EQ(before.counts[orders::ReviewBucket::kSkuError], 1);
  EXPECT_EQ(before.remaining, std::chrono::minutes(30));
  ASSERT_TRUE(f.Write([&](OrdersDb& db) -> core::Status {
                 orders::OrderService svc(db.orders(), db.reviews(), db.catalog(), db.blacklist(),
                                          clock, tz, {});
                 auto e = svc.FixSku(agent, "bad", "SKU-TYPO", "SKU-A");
                 if (e.ok()) {
                   EXPECT_EQ(e->bucket, orders::ReviewBucket::kApproved);
                 }
                 return e.status();
               }).ok());
  auto after = left();
  ASSERT_EQ(after.left.size(), 1u);
  EXPECT_EQ(after.left[0].order_id, "good");
  std::vector<std::string> actions;
  for (const auto& r : f.Audit("s1")) actions.push_back(r.action);
  // Newest first: the fix, the change of SKU, two review runs, two imports.
  ASSERT_GE(actions.size(), 4u);
  EXPECT_EQ(actions[0], "review.fix_sku_approve");
  EXPECT_EQ(actions[1], "order.change_sku");
}

TEST(OrdersRepo, CasesRoundTripAndFindByReturnTracking) {
  Fixture f;
  core::ManualClock clock(At("2026-03-05T10:00:00+08:00"));
  Actor agent{"u1", "s1", Role::kAgent, orders::Department::kAfterSales};
  auto profile = aftersales::DefaultProfile(core::Platform::kTaobao).aftersales;
  std::string id;
  ASSERT_TRUE(f.Write([&](OrdersDb& db) -> core::Status {
                 aftersales::AftersalesService svc(db.cases(), clock, profile);
                 aftersales::NewCase in;
                 in.order_id = "o1";
                 in.buyer = "买家甲";
                 in.type = aftersales::CaseType::kReturnRefund;
                 in.reason_code = "quality";
                 in.amount = core::Money(5990);
                 KEFU_ASSIGN_OR_RETURN(auto c, svc.Open(agent, in));
                 id = c.id;
                 KEFU_TRY(svc.Apply(agent, id, {aftersales::CaseEvent::kSellerApprove}).status());
                 aftersales::CaseEventData ship{aftersales::CaseEvent::kBuyerShipReturn};
                 ship.text = "YT123";
                 ship.carrier = "圆通";
                 return svc.Apply(agent, id, ship).status();
               }).ok());
  ASSERT_TRUE(f.Write([&](OrdersDb& db) -> core::Status {
                 aftersales::AftersalesService svc(db.cases(), clock, profile);
                 auto c = svc.RegisterReturn(agent, "YT123", aftersales::ReturnCondition::kDamaged);
                 if (c.ok()) {
                   EXPECT_EQ(c->state, aftersales::CaseState::kReturnReceived);
                 }
                 return c.status();
               }).ok());
  (void)f.repo->Read([&](OrdersDb& db) {
    auto c = db.cases().Get("s1", id);
    EXPECT_TRUE(c.ok());
    if (c.ok()) {
      EXPECT_EQ(c->return_condition, aftersales::ReturnCondition::kDamaged);
      EXPECT_EQ(c->return_carrier, "圆通");
      EXPECT_EQ(c->category, aftersales::ReasonCategory::kQuality);
    }
    EXPECT_EQ(db.cases().Get("s2", id).status().code(), core::Code::kNotFound);
    EXPECT_EQ(db.cases().List("s1").size(), 1u);
    return core::Status::Ok();
  });
  std::vector<std::string> actions;
  for (const auto& r : f.Audit("s1")) actions.push_back(r.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"case.return_registered", "case.return_shipped",
                                               "case.awaiting_return", "case.open"}));
}

TEST(OrdersRepo, GoodwillAllowedThenApprovalThenLeadApproves) {
  Fixture f;
  core::ManualClock clock(At("2026-03-05T10:00:00+08:00"));
  Order o = FullOrder("o1");
  o.status = orders::OrderStatus::kDelivered;
  o.group.reset();
  o.campaign = orders::Campaign::kNone;
  ASSERT_TRUE(f.Write([&](OrdersDb& db) { return db.orders().Insert({o}, {}); }).ok());
  Actor agent{"u1", "s1", Role::kAgent, orders::Department::kAfterSales};
  Actor lead{"u2", "s1", Role::kLead, orders::Department::kAfterSales};
  auto policy = aftersales::DefaultPermissionPolicy(
      aftersales::DefaultProfile(core::Platform::kPdd).aftersales);
  ActionRequest small{ActionKind::kGoodwillRefund, "o1", core::Money::Yuan(5)};
  ActionRequest big{ActionKind::kGoodwillRefund, "o1", core::Money::Yuan(50)};
  std::string approval_id;
  ASSERT_TRUE(f.Write([&](OrdersDb& db) -> core::Status {
                 aftersales::PermissionService svc(db.orders(), db.compensations(), clock);
                 KEFU_ASSIGN_OR_RETURN(auto a, svc.Request(agent, small, policy));
                 EXPECT_TRUE(a.compensation.has_value());
                 KEFU_ASSIGN_OR_RETURN(auto b, svc.Request(agent, big, policy));
                 EXPECT_TRUE(b.approval.has_value());
                 if (b.approval) approval_id = b.approval->id;
                 return core::Status::Ok();
               }).ok());
  ASSERT_FALSE(approval_id.empty());
  (void)f.repo->Read([&](OrdersDb& db) {
    auto pending = db.compensations().ListApprovals("s1", true);
    EXPECT_EQ(pending.size(), 1u);
    if (!pending.empty()) {
      EXPECT_EQ(pending[0].action.amount, core::Money::Yuan(50));
      EXPECT_FALSE(pending[0].reasons.empty());
    }
    EXPECT_TRUE(db.compensations().ListApprovals("s2", false).empty());
    return core::Status::Ok();
  });
  ASSERT_TRUE(f.Write([&](OrdersDb& db) -> core::Status {
                 aftersales::PermissionService svc(db.orders(), db.compensations(), clock);
                 return svc.Decide(lead, approval_id, true, "ok", policy).status();
               }).ok());
  (void)f.repo->Read([&](OrdersDb& db) {
    EXPECT_TRUE(db.compensations().ListApprovals("s1", true).empty());
    auto comps = db.compensations().ListCompensations("s1", "o1");
    EXPECT_EQ(comps.size(), 2u);
    if (comps.size() == 2) {
      EXPECT_EQ(comps[1].approved_by, "u2");
    }
    auto a = db.compensations().GetApproval("s1", approval_id);
    EXPECT_TRUE(a.ok() && a->state == aftersales::ApprovalState::kApproved);
    return core::Status::Ok();
  });
  std::vector<std::string> actions;
  for (const auto& r : f.Audit("s1")) actions.push_back(r.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"compensation.create", "approval.approve",
                                               "approval.request", "compensation.create"}));
}

TEST(OrdersRepo, AuditFiltersAndCursor) {
  Fixture f;
  ASSERT_TRUE(f.Write([&](OrdersDb& db) -> core::Status {
                 std::vector<orders::AuditRecord> recs;
                 for (int i = 0; i < 5; ++i) recs.push_back(Rec("s1", "approval.request", "a"));
                 recs.push_back(Rec("s1", "approval_x", "b"));
                 recs.push_back(Rec("s2", "approval.request", "c"));
                 return db.orders().Insert({}, recs);
               }).ok());
  (void)f.repo->Read([&](OrdersDb& db) -> core::Status {
    AuditQuery q;
    q.shop_id = "s1";
    q.action = "approval";  // a prefix up to a dot: not "approval_x"
    q.limit = 3;
    KEFU_ASSIGN_OR_RETURN(auto p1, db.QueryAudit(q));
    EXPECT_EQ(p1.items.size(), 3u);
    EXPECT_NE(p1.next, 0);
    q.before = p1.next;
    KEFU_ASSIGN_OR_RETURN(auto p2, db.QueryAudit(q));
    EXPECT_EQ(p2.items.size(), 2u);
    EXPECT_EQ(p2.next, 0);
    for (const auto& r : p2.items) EXPECT_LT(r.seq, p1.items.back().seq);
    return core::Status::Ok();
  });
}

TEST(OrdersRepo, OrderQueryFiltersAndPages) {
  Fixture f;
  std::vector<Order> all;
  for (int i = 0; i < 7; ++i) {
    Order o = FullOrder("o" + std::to_string(i));
    o.buyer = i % 2 ? "小红" : "老王";
    o.status = i < 3 ? orders::OrderStatus::kPaid : orders::OrderStatus::kShipped;
    all.push_back(o);
  }
  ASSERT_TRUE(f.Write([&](OrdersDb& db) { return db.orders().Insert(all, {}); }).ok());
  (void)f.repo->Read([&](OrdersDb& db) -> core::Status {
    OrderQuery q;
    q.shop_id = "s1";
    q.limit = 4;
    KEFU_ASSIGN_OR_RETURN(auto p1, db.QueryOrders(q));
    EXPECT_EQ(p1.items.size(), 4u);
    EXPECT_EQ(p1.items[0].id, "o6");  // newest first
    EXPECT_EQ(p1.items[0].items.size(), 2u);
    q.before = p1.next;
    KEFU_ASSIGN_OR_RETURN(auto p2, db.QueryOrders(q));
    EXPECT_EQ(p2.items.size(), 3u);
    EXPECT_EQ(p2.next, 0);
    OrderQuery by_buyer;
    by_buyer.shop_id = "s1";
    by_buyer.buyer = "小红";
    by_buyer.status = orders::OrderStatus::kShipped;
    KEFU_ASSIGN_OR_RETURN(auto p3, db.QueryOrders(by_buyer));
    EXPECT_EQ(p3.items.size(), 2u);  // o3, o5
    OrderQuery other;
    other.shop_id = "s2";
    KEFU_ASSIGN_OR_RETURN(auto p4, db.QueryOrders(other));
    EXPECT_TRUE(p4.items.empty());
    return core::Status::Ok();
  });
}

TEST(OrdersRepo, ShopPolicyIsStoredWithItsAuditAndScopedToTheShop) {
  Fixture f;
  const auto pdd = aftersales::DefaultProfile(core::Platform::kPdd).aftersales;
  const auto before = aftersales::DefaultPermissionPolicy(pdd);
  auto after = before;
  after.agent.goodwill_cap[aftersales::GoodwillCause::kDelivery] = core::Money::Yuan(8);
  after.gift_thresholds = {{core::Money::Yuan(199), "SOCKS-GIFT"}};
  Actor lead{"u2", "s1", Role::kLead, orders::Department::kPreSales};
  const auto now = At("2026-03-05T10:00:00+08:00");
  ASSERT_TRUE(f.Write([&](OrdersDb& db) {
                 return aftersales::UpdatePolicy(db.policies(), lead, before, after, pdd, now);
               }).ok());
  // A failing job stores neither the new policy nor its audit row.
  auto changed = after;
  changed.agent.price_protect_days = 7;
  EXPECT_FALSE(f.store
                   ->WriteNow([&]() -> core::Status {
                     KEFU_TRY(aftersales::UpdatePolicy(f.repo->Writer().policies(), lead, after,
                                                       changed, pdd, now));
                     return core::Internal("the caller fails after the update");
                   })
                   .ok());
  (void)f.repo->Read([&](OrdersDb& db) {
    auto got = db.policies().GetPolicy("s1");
    EXPECT_TRUE(got.ok() && got->has_value());
    if (got.ok() && *got) {
      EXPECT_EQ((*got)->json, aftersales::PermissionPolicyToJson(after));
      EXPECT_EQ((*got)->updated_by, "u2");
      EXPECT_EQ((*got)->updated_at, now);
    }
    auto other = db.policies().GetPolicy("s2");
    EXPECT_TRUE(other.ok() && !other->has_value());
    return core::Status::Ok();
  });
  auto audit = f.Audit("s1");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].action, "policy.update");
  EXPECT_EQ(audit[0].after_json, aftersales::PermissionPolicyToJson(after));
  EXPECT_TRUE(f.Audit("s2").empty());
}

// The `kefu import orders` path on a malformed file: only complete good orders are stored, each
// with every item, its audit row and its review entry; the bad rows leave nothing behind.
TEST(OrdersRepo, MalformedFileStoresOnlyCompleteGoodOrders) {
  Fixture f;
  core::ManualClock clock(At("2026-03-05T15:30:00+08:00"));
  const std::string csv =
      "order_id,buyer,sku,qty,unit_price,status,province,city,district,detail,recipient,phone\n"
      "g1,b1,A|B,1|2,10.00|1.50,paid,广东省,深圳市,南山区,x,张三,13800138000\n"
      "bad-money,b2,A,1,12.3.4,paid,广东省,深圳市,南山区,x,张三,13800138000\n"
      "bad-qty,b3,A|B,1|-2,10|1,paid,广东省,深圳市,南山区,x,张三,13800138000\n"
      "g2,b4,A,3,10,to_ship,广东省,深圳市,南山区,x,张三,13800138000\n"
      "g1,b5,A,1,10,paid,广东省,深圳市,南山区,x,张三,13800138000\n"
      "short,b6,A\n";
  auto parsed = orders::ParseOrdersCsv(csv, {.shop_id = "s1"});
  ASSERT_EQ(parsed.orders.size(), 2u);
  std::vector<int> lines;
  for (const auto& e : parsed.errors) lines.push_back(e.line);
  EXPECT_EQ(lines, (std::vector<int>{3, 4, 6, 7}));
  Actor cli{"cli", "s1", Role::kOwner, orders::Department::kPreSales};
  ASSERT_TRUE(f.Write([&](OrdersDb& db) -> core::Status {
                 KEFU_TRY(db.PutCatalogItem("s1", {"A", "杯子", 100, core::Money(1000)}));
                 KEFU_TRY(db.PutCatalogItem("s1", {"B", "盖子", 100, core::Money(150)}));
                 orders::OrderService svc(db.orders(), db.reviews(), db.catalog(), db.blacklist(),
                                          clock, core::TimeZone::Fixed(480), {});
                 return db.WithBulkCache(
                     [&] { return svc.ImportAndReview(cli, parsed.orders).status(); });
               }).ok());
  (void)f.repo->Read([&](OrdersDb& db) {
    auto all = db.orders().List("s1");
    EXPECT_EQ(all.size(), 2u);
    auto g1 = db.orders().Get("s1", "g1");
    EXPECT_TRUE(g1.ok());
    if (g1.ok()) {
      EXPECT_EQ(g1->items.size(), 2u);
      EXPECT_EQ(g1->goods_total, core::Money(1300));
      EXPECT_EQ(g1->buyer, "b1");  // the first row wins; the duplicate was skipped
    }
    for (const char* id : {"bad-money", "bad-qty", "short"})
      EXPECT_EQ(db.orders().Get("s1", id).status().code(), core::Code::kNotFound) << id;
    auto reviews = db.reviews().List("s1");
    EXPECT_EQ(reviews.size(), 2u);
    for (const auto& e : reviews) EXPECT_EQ(e.bucket, orders::ReviewBucket::kPending) << e.order_id;
    return core::Status::Ok();
  });
  std::vector<std::string> actions;
  for (const auto& r : f.Audit("s1")) actions.push_back(r.action + ":" + r.entity_id);
  std::sort(actions.begin(), actions.end());
  EXPECT_EQ(actions, (std::vector<std::string>{"order.import:g1", "order.import:g2",
                                               "review.run:g1", "review.run:g2"}));
}

// The review of an import reserves stock together with the orders already waiting in the queue.
TEST(OrdersRepo, ImportedOrdersAreReviewedWithTheWaitingOnes) {
  Fixture f;
  core::ManualClock clock(At("2026-03-05T15:30:00+08:00"));
  Actor cli{"cli", "s1", Role::kOwner, orders::Department::kPreSales};
  auto order = [](std::string id, const char* paid) {
    Order o = FullOrder(std::move(id));
    o.status = orders::OrderStatus::kPaid;
    o.group.reset();
    o.campaign = orders::Campaign::kNone;
    o.remark.clear();
    o.flag = orders::FlagColor::kNone;
    o.flag_note.clear();
    o.items = {{"SKU-A", "连衣裙", 3, core::Money(5990)}};
    o.paid_at = At(paid);
    return o;
  };
  auto import = [&](std::vector<Order> batch) {
    return f.Write([&](OrdersDb& db) -> core::Status {
      orders::OrderService svc(db.orders(), db.reviews(), db.catalog(), db.blacklist(), clock,
                               core::TimeZone::Fixed(480), {});
      return svc.ImportAndReview(cli, std::move(batch)).status();
    });
  };
  ASSERT_TRUE(f.Write([&](OrdersDb& db) {
                 return db.PutCatalogItem("s1", {"SKU-A", "连衣裙", 5, core::Money(5990)});
               }).ok());
  ASSERT_TRUE(import({order("first", "2026-03-05T09:00:00+08:00")}).ok());
  // Paid earlier than the waiting order: it gets the stock, and the waiting one runs short.
  ASSERT_TRUE(import({order("earlier", "2026-03-05T08:00:00+08:00")}).ok());
  (void)f.repo->Read([&](OrdersDb& db) {
    EXPECT_EQ(db.reviews().Get("s1", "earlier")->bucket, orders::ReviewBucket::kPending);
    EXPECT_EQ(db.reviews().Get("s1", "first")->bucket, orders::ReviewBucket::kOutOfStock);
    return core::Status::Ok();
  });
}

// The server's sweep over SQLite with a manual clock: 拼团 24 h and a platform deadline.
TEST(OrdersRepo, SweepExpiresGroupsAndAppliesDeadlinesAsTimePasses) {
  Fixture f;
  const auto paid = At("2026-03-05T10:00:00+08:00");
  core::ManualClock clock(paid + std::chrono::hours(1));
  const auto pdd = aftersales::DefaultProfile(core::Platform::kPdd);
  Actor system{"system", "s1", Role::kOwner, orders::Department::kPreSales};
  Order group = FullOrder("grp");
  group.paid_at = paid;  // FullOrder is a waiting 拼团 (group_pending)
  Order other = FullOrder("grp-other-shop", "s2");
  other.paid_at = paid;
  std::string case_id;
  ASSERT_TRUE(f.Write([&](OrdersDb& db) -> core::Status {
                 KEFU_TRY(db.orders().Insert({group, other}, {}));
                 aftersales::AftersalesService cases(db.cases(), clock, pdd.aftersales);
                 aftersales::NewCase in;
                 in.order_id = "grp";
                 in.buyer = "买家甲";
                 in.type = aftersales::CaseType::kRefundOnly;
                 in.reason_code = "ordered_wrong";
                 in.amount = core::Money(1000);
                 in.order_shipped = false;
                 KEFU_ASSIGN_OR_RETURN(auto c, cases.Open(system, in));
                 case_id = c.id;
                 return core::Status::Ok();
               }).ok());
  auto sweep = [&] {
    std::pair<size_t, size_t> changed{0, 0};
    EXPECT_TRUE(f.Write([&](OrdersDb& db) -> core::Status {
                   aftersales::AftersalesService cases(db.cases(), clock, pdd.aftersales);
                   KEFU_ASSIGN_OR_RETURN(auto a, cases.ApplyDeadlines(system));
                   orders::OrderService svc(db.orders(), db.reviews(), db.catalog(), db.blacklist(),
                                            clock, core::TimeZone::Fixed(480), pdd.orders);
                   KEFU_ASSIGN_OR_RETURN(auto b, svc.ExpireGroups(system));
                   changed = {a.size(), b.size()};
                   return core::Status::Ok();
                 }).ok());
    return changed;
  };
  EXPECT_EQ(sweep(), (std::pair<size_t, size_t>{0, 0}));
  clock.Set(paid + std::chrono::hours(24) + std::chrono::seconds(59));
  // 拼多多's unshipped refund went through after 24 h (case opened 1 h after payment: not yet);
  // the group expired at paid + 24 h.
  EXPECT_EQ(sweep(), (std::pair<size_t, size_t>{0, 1}));
  clock.Set(paid + std::chrono::hours(25));
  EXPECT_EQ(sweep(), (std::pair<size_t, size_t>{1, 0}));
  EXPECT_EQ(sweep(), (std::pair<size_t, size_t>{0, 0}));  // nothing is applied twice
  (void)f.repo->Read([&](OrdersDb& db) {
    EXPECT_EQ(db.orders().Get("s1", "grp")->status, orders::OrderStatus::kClosed);
    EXPECT_EQ(db.orders().Get("s2", "grp-other-shop")->status,
              orders::OrderStatus::kGroupPending);  // another shop's sweep
    auto c = db.cases().Get("s1", case_id);
    EXPECT_TRUE(c.ok() && c->state == aftersales::CaseState::kRefunded && c->auto_resolved);
    EXPECT_TRUE(db.cases().ListOpen("s1").empty());
    EXPECT_EQ(db.cases().List("s1").size(), 1u);
    return core::Status::Ok();
  });
  std::vector<std::string> actions;
  for (const auto& r : f.Audit("s1")) actions.push_back(r.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"case.deadline_refunded",
                                               "order.group_expired_refund", "case.open"}));
}

}  // namespace
}  // namespace kefu::store
