// 审单 review rules, agent fixes and the daily cut-off with a manual clock.
#include <gtest/gtest.h>

#include "orders/orders.h"

namespace kefu::orders {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

core::Timestamp T(const char* rfc3339) { return *core::ParseRfc3339(rfc3339); }

class ReviewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_.Put("s1", {"A", "杯子", 5, core::Money(1000)});
    catalog_.Put("s1", {"B", "盖子", 100, core::Money(200)});
    blacklist_.AddBuyer("s1", "bad-buyer");
    blacklist_.AddAddress("s1", {"", "", "", "", "", "13900000000"});
  }
  Order Make(std::string id, std::string sku = "A", int64_t qty = 1) {
    Order o;
    o.id = std::move(id);
    o.shop_id = "s1";
    o.buyer = "buyer";
    o.status = OrderStatus::kToShip;
    o.items = {{std::move(sku), "x", qty, core::Money(1000)}};
    o.address = {"广东省", "深圳市", "南山区", "科技园1号", "张三", "13800138000"};
    o.paid_at = T("2026-03-05T09:00:00+08:00");
    return o;
  }
  InMemoryCatalog catalog_;
  InMemoryBlacklist blacklist_;
  Actor agent_{"u1", "s1", Role::kAgent, Department::kPreSales};
};

TEST_F(ReviewTest, BucketTable) {
  struct Row {
    const char* rule;
    Order order;
    ReviewBucket want;
    const char* finding;
  };
  Order blk_buyer = Make("o2");
  blk_buyer.buyer = "bad-buyer";
  Order blk_addr = Make("o3");
  blk_addr.address.phone = "13900000000";
  Order no_district = Make("o6");
  no_district.address.district.clear();
  Order blk_and_sku = Make("o7", "ZZZ");
  blk_and_sku.buyer = "bad-buyer";
  const Row rows[] = {
      {"clean order waits in 待审核", Make("o1"), ReviewBucket::kPending, ""},
      {"blacklisted buyer -> 黑名单拦截", blk_buyer, ReviewBucket::kBlacklisted, "blacklist.buyer"},
      {"blacklisted address -> 黑名单拦截", blk_addr, ReviewBucket::kBlacklisted, "blacklist.address"},
      {"SKU not in catalogue -> SKU配置错误", Make("o4", "ZZZ"), ReviewBucket::kSkuError, "sku.unknown"},
      {"stock below qty -> 缺货", Make("o5", "A", 6), ReviewBucket::kOutOfStock, "stock.short"},
      {"address incomplete -> 异常", no_district, ReviewBucket::kAbnormal, "address.incomplete"},
      {"blacklist outranks SKU error", blk_and_sku, ReviewBucket::kBlacklisted, "sku.unknown"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.rule);
    auto e = ReviewOrder(r.order, catalog_, blacklist_);
    EXPECT_EQ(e.bucket, r.want);
    if (*r.finding) {
      bool found = false;
      for (const auto& f : e.findings) found |= f.rule == r.finding;
      EXPECT_TRUE(found);
    } else {
      EXPECT_TRUE(e.findings.empty());
    }
  }
}

TEST_F(ReviewTest, BatchReservesStockInPaymentOrder) {
  Order early = Make("early", "A", 3);
  Order late = Make("late", "A", 3);
  late.paid_at = *early.paid_at + minutes(5);
  Order unpaid = Make("unpaid", "A", 1);
  unpaid.status = OrderStatus::kUnpaid;
  auto entries = ReviewOrders({late, unpaid, early}, catalog_, blacklist_);
  ASSERT_EQ(entries.size(), 2u);  // unpaid is not reviewed
  EXPECT_EQ(entries[0].order_id, "early");
  EXPECT_EQ(entries[0].bucket, ReviewBucket::kPending);
  EXPECT_EQ(entries[1].order_id, "late");
  EXPECT_EQ(entries[1].bucket, ReviewBucket::kOutOfStock);  // 5 in stock, 3 reserved
}

TEST_F(ReviewTest, FixSkuThenApproveAndIntercept) {
  Order o = Make("o1", "ZZZ");
  auto e = ReviewOrder(o, catalog_, blacklist_);
  ASSERT_EQ(e.bucket, ReviewBucket::kSkuError);
  auto refused = Approve(e, o, catalog_, blacklist_, agent_, T("2026-03-05T10:00:00Z"));
  EXPECT_EQ(refused.status().code(), core::Code::kFailedPrecondition);
  EXPECT_FALSE(ReplaceSku(o, "ZZZ", "NOPE", catalog_).ok());
  EXPECT_EQ(ReplaceSku(o, "QQQ", "B", catalog_).status().code(), core::Code::kNotFound);
  auto fixed = ReplaceSku(o, "ZZZ", "B", catalog_);
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(fixed->items[0].name, "盖子");
  auto approved = Approve(e, *fixed, catalog_, blacklist_, agent_, T("2026-03-05T10:00:00Z"));
  ASSERT_TRUE(approved.ok()) << approved.status().ToString();
  EXPECT_EQ(approved->bucket, ReviewBucket::kApproved);
  EXPECT_EQ(approved->decided_by, "u1");

  auto icpt = Intercept(e, o, agent_, T("2026-03-05T10:00:00Z"), "买家要求取消");
  ASSERT_TRUE(icpt.ok());
  EXPECT_EQ(icpt->bucket, ReviewBucket::kIntercepted);
  EXPECT_FALSE(Approve(*icpt, *fixed, catalog_, blacklist_, agent_, T("2026-03-05T10:00:00Z")).ok());
  Order shipped = o;
  shipped.status = OrderStatus::kShipped;
  EXPECT_FALSE(Intercept(e, shipped, agent_, T("2026-03-05T10:00:00Z"), "").ok());
}

TEST_F(ReviewTest, CutoffTable) {
  auto tz = *core::TimeZone::Load("Asia/Shanghai");
  auto entry = [](std::string id, ReviewBucket b, const char* paid) {
    ReviewEntry e;
    e.shop_id = "s1";
    e.order_id = std::move(id);
    e.bucket = b;
    e.paid_at = T(paid);
    return e;
  };
  const std::vector<ReviewEntry> entries = {
      entry("pending-morning", ReviewBucket::kPending, "2026-03-05T09:00:00+08:00"),
      entry("stock-noon", ReviewBucket::kOutOfStock, "2026-03-05T12:00:00+08:00"),
      entry("approved", ReviewBucket::kApproved, "2026-03-05T08:00:00+08:00"),
      entry("intercepted", ReviewBucket::kIntercepted, "2026-03-05T08:00:00+08:00"),
      entry("pending-evening", ReviewBucket::kPending, "2026-03-05T17:00:00+08:00"),
  };
  struct Row {
    const char* rule;
    const char* now;
    core::Duration cutoff;
    const char* want_cutoff;
    core::Duration want_remaining;
    size_t want_left;
  };
  const Row rows[] = {
      {"15:30 with the 16:00 cut-off: 30 min, two orders left", "2026-03-05T15:30:00+08:00",
       hours(16), "2026-03-05T16:00:00+08:00", minutes(30), 2},
      {"after the cut-off the next is tomorrow's, evening order included",
       "2026-03-05T16:00:00+08:00", hours(16), "2026-03-06T16:00:00+08:00", hours(24), 3},
      {"configurable 11:00 cut-off: morning order only", "2026-03-05T10:00:00+08:00", hours(11),
       "2026-03-05T11:00:00+08:00", hours(1), 1},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.rule);
    core::ManualClock clock(T(r.now));
    auto s = LeftBeforeCutoff(entries, clock.Now(), tz, r.cutoff);
    EXPECT_EQ(s.cutoff, T(r.want_cutoff));
    EXPECT_EQ(s.remaining, r.want_remaining);
    EXPECT_EQ(s.left.size(), r.want_left);
    if (!s.left.empty()) {
      EXPECT_EQ(s.left[0].order_id, "pending-morning");
    }
  }
  auto s = LeftBeforeCutoff(entries, T("2026-03-05T15:30:00+08:00"), tz, hours(16));
  EXPECT_EQ(s.counts[ReviewBucket::kPending], 1);
  EXPECT_EQ(s.counts[ReviewBucket::kOutOfStock], 1);
}

}  // namespace
}  // namespace kefu::orders
