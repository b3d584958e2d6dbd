// OrderService over the in-memory fakes: every mutation leaves an audit record; shops are apart.
#include <gtest/gtest.h>

#include "orders/orders.h"

namespace kefu::orders {
namespace {

core::Timestamp T(const char* rfc3339) { return *core::ParseRfc3339(rfc3339); }

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest()
      : orders_(audit_), reviews_(audit_), clock_(T("2026-03-05T15:30:00+08:00")),
        service_(orders_, reviews_, catalog_, blacklist_, clock_,
                 *core::TimeZone::Load("Asia/Shanghai"), OrdersPolicy{}) {
    catalog_.Put("s1", {"A", "杯子", 10, core::Money(1000)});
    auto parsed = ParseOrdersCsv(
        "order_id,buyer,sku,qty,unit_price,status,province,city,district,detail,recipient,phone,"
        "paid_at,group_id\n"
        "o1,b1,WRONG,1,10,to_ship,广东省,深圳市,南山区,x,张三,13800138000,2026-03-05 09:00,\n"
        "o2,b2,A,1,10,unpaid,广东省,深圳市,南山区,x,张三,13800138000,,\n"
        "o3,b3,A,1,10,group_pending,广东省,深圳市,南山区,x,张三,13800138000,2026-03-04 15:00,g1\n",
        {.shop_id = "ignored"});
    EXPECT_TRUE(parsed.errors.empty());
    EXPECT_TRUE(service_.Import(agent_, parsed.orders).ok());
  }
  InMemoryAuditLog audit_;
  InMemoryOrderRepository orders_;
  InMemoryReviewRepository reviews_;
  InMemoryCatalog catalog_;
  InMemoryBlacklist blacklist_;
  core::ManualClock clock_;
  OrderService service_;
  Actor agent_{"agent1", "s1", Role::kAgent, Department::kPreSales};
  Actor other_{"agent9", "s2", Role::kAgent, Department::kPreSales};
};

TEST_F(ServiceTest, ImportIsAuditedAndDuplicatesStoreNothing) {
  EXPECT_EQ(audit_.Query("s1").size(), 3u);
  EXPECT_EQ(audit_.Query("s1")[0].action, "order.import");
  auto again = ParseOrdersCsv("order_id,buyer,sku,qty,unit_price\nnew,b,A,1,1\no1,b,A,1,1\n");
  EXPECT_EQ(service_.Import(agent_, again.orders).code(), core::Code::kAlreadyExists);
  EXPECT_EQ(orders_.List("s1").size(), 3u);
  EXPECT_FALSE(orders_.Get("s1", "new").ok());
}

TEST_F(ServiceTest, ReviewFixSkuApprovesAndCutoffShowsWhatIsLeft) {
  auto entries = service_.ReviewPending(agent_);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);  // o2 unpaid, o3 waits for its group
  EXPECT_EQ((*entries)[0].bucket, ReviewBucket::kSkuError);
  auto left = service_.LeftBeforeCutoff(agent_);
  EXPECT_EQ(left.left.size(), 1u);
  EXPECT_EQ(left.remaining, std::chrono::minutes(30));
  auto fixed = service_.FixSku(agent_, "o1", "WRONG", "A");
  ASSERT_TRUE(fixed.ok()) << fixed.status().ToString();
  EXPECT_EQ(fixed->bucket, ReviewBucket::kApproved);
  EXPECT_TRUE(service_.LeftBeforeCutoff(agent_).left.empty());
  auto trail = audit_.Query("s1", "o1");
  ASSERT_GE(trail.size(), 4u);  // import, review.run, change_sku, fix_sku_approve
  EXPECT_EQ(trail.back().action, "review.fix_sku_approve");
  EXPECT_NE(trail.back().before_json.find("sku_error"), std::string::npos);
  EXPECT_NE(trail.back().after_json.find("approved"), std::string::npos);
}

TEST_F(ServiceTest, PriceChangeAndGroupExpiryAreAuditedWithBeforeAndAfter) {
  auto r = service_.ChangeGoodsTotal(agent_, "o2", core::Money(800));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(service_.ChangeGoodsTotal(agent_, "o2", core::Money(750)).ok());
  auto rec = audit_.Query("s1", "o2").back();
  EXPECT_EQ(rec.action, "order.change_goods_total");
  EXPECT_EQ(rec.actor_id, "agent1");
  EXPECT_NE(rec.before_json.find("\"goods_total\":\"10.00\""), std::string::npos);
  EXPECT_NE(rec.after_json.find("\"goods_total\":\"8.00\""), std::string::npos);

  EXPECT_FALSE(service_.ChangeAddress(agent_, "o3", {"广东省", "深圳市", "南山区", "y", "李四",
                                                     "13800138001"}).ok());
  auto expired = service_.ExpireGroups(agent_);
  ASSERT_TRUE(expired.ok());
  ASSERT_EQ(expired->size(), 1u);  // paid 2026-03-04 15:00, now 03-05 15:30 > 24 h
  EXPECT_EQ((*expired)[0].status, OrderStatus::kClosed);
  EXPECT_EQ(audit_.Query("s1", "o3").back().action, "order.group_expired_refund");
}

TEST_F(ServiceTest, AnotherShopSeesNothing) {
  EXPECT_EQ(service_.ChangeShippingFee(other_, "o2", core::Money(0)).status().code(),
            core::Code::kNotFound);
  EXPECT_EQ(service_.Approve(other_, "o1").status().code(), core::Code::kNotFound);
  EXPECT_TRUE(service_.LeftBeforeCutoff(other_).left.empty());
  EXPECT_TRUE(audit_.Query("s2").empty());
}

}  // namespace
}  // namespace kefu::orders
