// Acceptance 2 of issue 7: every branch of the 催发货 process and 改地址 before/after shipment,
// with a manual clock.
#include <algorithm>

#include <gtest/gtest.h>

#include "robot/robot.h"

namespace kefu::robot {
namespace {

core::Timestamp T(const char* rfc3339) { return core::ParseRfc3339(rfc3339).value(); }

bool Has(const std::vector<Action>& a, ActionKind k, std::string_view text_part = {}) {
  return std::any_of(a.begin(), a.end(), [&](const Action& x) {
    return x.kind == k && x.text.find(text_part) != std::string::npos;
  });
}
std::string ReplyText(const std::vector<Action>& a) {
  for (const auto& x : a) if (x.kind == ActionKind::kReply) return x.text;
  return {};
}

class RobotFlows : public ::testing::Test {
 protected:
  RobotFlows() : clock_(T("2026-03-05T10:00:00+08:00")) {
    settings_.delay_coupon_id = "coupon-5";
    settings_.delay_coupon_text = "一张5元无门槛券";
    order_.order_id = "PDD123";
    order_.status = OrderStatus::kToShip;
    order_.promised_ship_time = T("2026-03-06T17:30:00+08:00");
  }
  std::vector<Action> Run(std::string_view item, std::string_view addr = {}) {
    return RunFlow(settings_, item, order_, clock_.Now(), addr);
  }
  core::ManualClock clock_;
  RobotSettings settings_;
  OrderSnapshot order_;
};

TEST_F(RobotFlows, UrgeWithinPromiseTellsPromisedTimeToTheHour) {
  auto a = Run("催发货");
  EXPECT_NE(ReplyText(a).find("3月6日18点前发出"), std::string::npos) << ReplyText(a);
  EXPECT_TRUE(Has(a, ActionKind::kOrderLog, "催发货"));
  EXPECT_FALSE(Has(a, ActionKind::kOfferCoupon));
  EXPECT_FALSE(Has(a, ActionKind::kHandover));
}

TEST_F(RobotFlows, UrgePastPromiseApologisesPromisesHourAndOffersCoupon) {
  clock_.Set(T("2026-03-06T20:10:00+08:00"));
  auto a = Run("催发货");
  const std::string r = ReplyText(a);
  EXPECT_NE(r.find("抱歉"), std::string::npos);
  EXPECT_NE(r.find("3月7日21点前发出"), std::string::npos) << r;  // now + 24 h, rounded up
  EXPECT_TRUE(Has(a, ActionKind::kOfferCoupon, "coupon-5"));
  EXPECT_TRUE(Has(a, ActionKind::kNotifyAgent, "PDD123"));
  EXPECT_TRUE(Has(a, ActionKind::kOrderLog, "超时"));
}

TEST_F(RobotFlows, UrgeOutOfStockApologisesStartsRefundAndOffersCoupon) {
  order_.out_of_stock = true;
  auto a = Run("催发货");
  EXPECT_NE(ReplyText(a).find("抱歉"), std::string::npos);
  EXPECT_TRUE(Has(a, ActionKind::kStartRefund, "PDD123"));
  EXPECT_TRUE(Has(a, ActionKind::kOfferCoupon, "coupon-5"));
  EXPECT_TRUE(Has(a, ActionKind::kOrderLog, "缺货"));
}

TEST_F(RobotFlows, UrgeShippedOfflineWithoutTrackingAsksAgentAndTellsBuyer) {
  order_.shipped_offline_without_tracking = true;
  auto a = Run("催发货");
  EXPECT_TRUE(Has(a, ActionKind::kNotifyAgent, "单号"));
  EXPECT_NE(ReplyText(a).find("已经发出"), std::string::npos);
  EXPECT_TRUE(Has(a, ActionKind::kOrderLog));
}

TEST_F(RobotFlows, UrgeShippedGivesTrackingNumber) {
  order_.status = OrderStatus::kShipped;
  order_.carrier = "中通";
  order_.tracking_no = "ZT778899";
  auto a = Run("催发货");
  EXPECT_NE(ReplyText(a).find("ZT778899"), std::string::npos);
}

TEST_F(RobotFlows, UrgeUnpaidAndGroupPendingAndClosedExplainTheState) {
  order_.status = OrderStatus::kUnpaid;
  EXPECT_NE(ReplyText(Run("催发货")).find("未付款"), std::string::npos);
  order_.status = OrderStatus::kGroupPending;
  EXPECT_NE(ReplyText(Run("催发货")).find("成团"), std::string::npos);
  order_.status = OrderStatus::kClosed;
  EXPECT_NE(ReplyText(Run("催发货")).find("已关闭"), std::string::npos);
}

TEST_F(RobotFlows, UrgeDeliveredSaysSignedFor) {
  order_.status = OrderStatus::kDelivered;
  auto a = Run("催发货");
  EXPECT_NE(ReplyText(a).find("已经签收"), std::string::npos) << ReplyText(a);
  EXPECT_TRUE(Has(a, ActionKind::kOrderLog, "已签收"));
  EXPECT_FALSE(Has(a, ActionKind::kOfferCoupon));
}

TEST_F(RobotFlows, UrgeAtThePromiseIsOnTimeAndAMinuteLaterIsLate) {
  clock_.Set(T("2026-03-06T17:30:00+08:00"));  // exactly the promised ship time
  auto on_time = Run("催发货");
  EXPECT_NE(ReplyText(on_time).find("3月6日18点前发出"), std::string::npos) << ReplyText(on_time);
  EXPECT_FALSE(Has(on_time, ActionKind::kOfferCoupon));
  clock_.Advance(std::chrono::minutes(1));
  auto late = Run("催发货");
  EXPECT_NE(ReplyText(late).find("抱歉"), std::string::npos) << ReplyText(late);
  EXPECT_NE(ReplyText(late).find("3月7日18点前发出"), std::string::npos) << ReplyText(late);
  EXPECT_TRUE(Has(late, ActionKind::kOfferCoupon, "coupon-5"));
}

TEST_F(RobotFlows, UrgeWithoutPromisedTimeSaysItIsQueued) {
  order_.promised_ship_time.reset();
  auto a = Run("催发货");
  EXPECT_NE(ReplyText(a).find("排队发货"), std::string::npos) << ReplyText(a);
  EXPECT_TRUE(Has(a, ActionKind::kOrderLog, "催发货"));
}

TEST_F(RobotFlows, RefundRequestRoutesToAftersales) {
  auto a = Run("申请退款");
  EXPECT_TRUE(Has(a, ActionKind::kRouteAftersales, "PDD123"));
  EXPECT_TRUE(Has(a, ActionKind::kOrderLog, "售后"));
}

TEST_F(RobotFlows, ChangeAddressBeforeShipmentRecordsFullAddressAsRemark) {
  const std::string addr = "张三 13800000000 浙江省杭州市西湖区文三路100号";
  auto ask = Run("改地址");
  EXPECT_NE(ReplyText(ask).find("完整的新地址"), std::string::npos);
  EXPECT_FALSE(Has(ask, ActionKind::kOrderRemark));
  auto a = Run("改地址", addr);
  EXPECT_TRUE(Has(a, ActionKind::kOrderRemark, addr));
  EXPECT_TRUE(Has(a, ActionKind::kOrderLog, "改地址"));
}

TEST_F(RobotFlows, ChangeAddressAfterShipmentIsRefused) {
  for (OrderStatus s : {OrderStatus::kShipped, OrderStatus::kDelivered}) {
    order_.status = s;
    auto a = Run("改地址", "李四 139 上海市");
    EXPECT_FALSE(Has(a, ActionKind::kOrderRemark));
    EXPECT_NE(ReplyText(a).find("已经发货"), std::string::npos);
    EXPECT_TRUE(Has(a, ActionKind::kOrderLog, "无法修改"));
  }
  order_.status = OrderStatus::kToShip;
  order_.shipped_offline_without_tracking = true;  // physically gone already
  EXPECT_FALSE(Has(Run("改地址", "李四 139 上海市"), ActionKind::kOrderRemark));
}

TEST_F(RobotFlows, TrackingAndInvoice) {
  order_.status = OrderStatus::kShipped;
  order_.carrier = "圆通";
  order_.tracking_no = "YT1";
  EXPECT_NE(ReplyText(Run("查物流")).find("YT1"), std::string::npos);
  EXPECT_EQ(ReplyText(Run("开发票")), settings_.invoice_answer);
  EXPECT_TRUE(Has(Run("不存在的菜单"), ActionKind::kHandover));
}

TEST(RobotTime, FormatsHourInShopOffsetAndChecksHours) {
  RobotSettings s;
  EXPECT_EQ(FormatHour(s, T("2026-03-06T09:00:00Z")), "3月6日17点");
  EXPECT_EQ(FormatHour(s, T("2026-12-31T15:30:00Z")), "1月1日0点");
  EXPECT_TRUE(WithinHumanHours(s, T("2026-03-06T09:00:00+08:00")));
  EXPECT_FALSE(WithinHumanHours(s, T("2026-03-06T08:59:00+08:00")));
  EXPECT_FALSE(WithinHumanHours(s, T("2026-03-06T23:00:00+08:00")));
}

}  // namespace
}  // namespace kefu::robot
