// 拼团, 改价 and structured-remark rules, table-driven with a manual clock.
#include <gtest/gtest.h>

#include "orders/orders.h"

namespace kefu::orders {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

core::Timestamp T(const char* rfc3339) { return *core::ParseRfc3339(rfc3339); }

Address GoodAddress() {
  return {"广东省", "深圳市", "南山区", "科技园1号", "张三", "13800138000"};
}

Order GroupOrder() {
  Order o;
  o.id = "g1";
  o.shop_id = "s1";
  o.status = OrderStatus::kGroupPending;
  o.paid_at = T("2026-03-05T10:00:00+08:00");
  o.goods_total = core::Money(1990);
  o.shipping_fee = core::Money(500);
  o.group = GroupInfo{"grp", 2, 1, std::nullopt};
  o.address = GoodAddress();
  return o;
}

TEST(Group, TimeoutTable) {
  struct Row {
    const char* rule;
    core::Duration after_paid;
    core::Duration timeout;
    GroupOutcome want;
  };
  const Row rows[] = {
      {"拼团 waits within 24 h", hours(23) + minutes(59), hours(24), GroupOutcome::kWaiting},
      {"拼团 expires at exactly 24 h", hours(24), hours(24), GroupOutcome::kExpired},
      {"拼团 expired after 30 h", hours(30), hours(24), GroupOutcome::kExpired},
      {"configurable 48 h timeout still waits at 30 h", hours(30), hours(48), GroupOutcome::kWaiting},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.rule);
    core::ManualClock clock(*GroupOrder().paid_at);
    clock.Advance(r.after_paid);
    OrdersPolicy p;
    p.group_timeout = r.timeout;
    auto c = CheckGroup(GroupOrder(), clock.Now(), p);
    EXPECT_EQ(c.outcome, r.want);
    ASSERT_TRUE(c.deadline);
    EXPECT_EQ(*c.deadline, *GroupOrder().paid_at + r.timeout);
    auto cancelled = CancelExpiredGroup(GroupOrder(), clock.Now(), p);
    EXPECT_EQ(cancelled.ok(), r.want == GroupOutcome::kExpired);
    if (cancelled.ok()) {
      EXPECT_EQ(cancelled->status, OrderStatus::kClosed);
      EXPECT_EQ(c.refund.fen(), 2490);  // goods + shipping refunded
    }
  }
}

TEST(Group, FormedGroupShipsAndUnlocksEdits) {
  Order o = GroupOrder();
  auto locked = CheckEditable(o, "address");
  EXPECT_EQ(locked.code(), core::Code::kFailedPrecondition);
  EXPECT_NE(locked.message().find("拼团未成团"), std::string::npos);
  EXPECT_NE(CheckEditable(o, "remark").message().find("订单备注"), std::string::npos);
  EXPECT_FALSE(ChangeAddress(o, GoodAddress()).ok());
  auto formed = FormGroup(o, T("2026-03-05T12:00:00+08:00"));
  ASSERT_TRUE(formed.ok());
  EXPECT_EQ(formed->status, OrderStatus::kToShip);
  EXPECT_TRUE(CheckEditable(*formed, "address").ok());
  EXPECT_EQ(CheckGroup(*formed, T("2026-03-07T00:00:00Z"), {}).outcome, GroupOutcome::kFormed);
  EXPECT_FALSE(FormGroup(*formed, T("2026-03-05T12:00:00+08:00")).ok());
}

TEST(PriceChange, Table) {
  Order unpaid;
  unpaid.status = OrderStatus::kUnpaid;
  unpaid.goods_total = unpaid.original_goods_total = core::Money(10000);  // 100.00
  Order paid = unpaid;
  paid.status = OrderStatus::kPaid;
  Order changed_once = unpaid;
  changed_once.goods_total_changes = 1;
  PriceChangePolicy pdd;
  PriceChangePolicy twice = pdd;
  twice.goods_changes_max = 2;
  struct Row {
    const char* rule;
    const Order* order;
    const PriceChangePolicy* policy;
    int64_t new_goods_fen;
    bool ok;
  };
  const Row rows[] = {
      {"70% floor: exactly 70% allowed", &unpaid, &pdd, 7000, true},
      {"70% floor: 69.99 rejected", &unpaid, &pdd, 6999, false},
      {"raising the price is allowed once", &unpaid, &pdd, 12000, true},
      {"once-only: second goods change rejected", &changed_once, &pdd, 9000, false},
      {"configurable: second change allowed when max is 2", &changed_once, &twice, 9000, true},
      {"only unpaid orders may be repriced", &paid, &pdd, 9000, false},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.rule);
    auto res = ChangeGoodsTotal(*r.order, core::Money(r.new_goods_fen), *r.policy);
    EXPECT_EQ(res.ok(), r.ok) << res.status().ToString();
    if (res.ok()) {
      EXPECT_EQ(res->goods_total.fen(), r.new_goods_fen);
      EXPECT_EQ(res->goods_total_changes, r.order->goods_total_changes + 1);
      EXPECT_EQ(res->original_goods_total.fen(), 10000);
    }
  }
}

TEST(PriceChange, FloorRoundsUpAndShippingIsUnlimited) {
  Order o;
  o.status = OrderStatus::kUnpaid;
  o.goods_total = o.original_goods_total = core::Money(999);  // 70% = 699.3 fen -> 700
  EXPECT_EQ(GoodsTotalFloor(o, {}).fen(), 700);
  EXPECT_FALSE(ChangeGoodsTotal(o, core::Money(699), {}).ok());
  for (int i = 0; i < 5; ++i) {
    auto r = ChangeShippingFee(o, core::Money(i * 100), {});
    ASSERT_TRUE(r.ok()) << "change " << i;
    o = *r;
  }
  EXPECT_EQ(o.shipping_fee_changes, 5);
  EXPECT_TRUE(ChangeShippingFee(o, core::Money(0), {}).ok());
  EXPECT_FALSE(ChangeShippingFee(o, core::Money(-1), {}).ok());
  PriceChangePolicy capped;
  capped.shipping_changes_max = 5;
  EXPECT_FALSE(ChangeShippingFee(o, core::Money(100), capped).ok());
}

class RemarkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_.Put("s1", {"GIFT-1", "小礼品", 10, core::Money(0)});
    ctx_.shop_id = "s1";
    ctx_.today = *core::ParseLocalDate("2026-03-05");
    ctx_.catalog = &catalog_;
  }
  InMemoryCatalog catalog_;
  RemarkContext ctx_;
};

TEST_F(RemarkTest, ValidationTable) {
  struct Row {
    const char* rule;
    const char* text;
    FlagColor flag;
    bool ok;
    const char* message_part;
  };
  const Row rows[] = {
      {"改地址 complete", "[改地址] 省=广东省;市=深圳市;区=南山区;地址=科技园1号;收件人=张三;手机=13800138000",
       FlagColor::kNone, true, ""},
      {"改地址 missing district", "[改地址] 省=广东省;市=深圳市;地址=科技园1号;收件人=张三;手机=13800138000",
       FlagColor::kNone, false, "区/县"},
      {"改地址 bad mobile", "[改地址] 省=广东省;市=深圳市;区=南山区;地址=x;收件人=张三;手机=12345",
       FlagColor::kNone, false, "手机号"},
      {"延迟发货 real future date", "[延迟发货] 3月15日发货", FlagColor::kNone, true, ""},
      {"延迟发货 today is allowed", "[延迟发货] 3月5日发货", FlagColor::kNone, true, ""},
      {"延迟发货 past date", "[延迟发货] 3月1日发货", FlagColor::kNone, false, "已经过去"},
      {"延迟发货 not a real date", "[延迟发货] 2月30日发货", FlagColor::kNone, false, "不是真实日期"},
      {"延迟发货 month 13", "[延迟发货] 13月1日发货", FlagColor::kNone, false, "无效"},
      {"延迟发货 bad format", "[延迟发货] 下周发货", FlagColor::kNone, false, "格式"},
      {"延迟发货 too far ahead", "[延迟发货] 6月1日发货", FlagColor::kNone, false, "不能超过30天"},
      {"赠品 known SKU", "[赠品] GIFT-1*2", FlagColor::kNone, true, ""},
      {"赠品 unknown SKU", "[赠品] NOPE*1", FlagColor::kNone, false, "不存在"},
      {"赠品 bad qty", "[赠品] GIFT-1*0", FlagColor::kNone, false, "1-99"},
      {"退差价 with flag", "[退差价] 原因=降价补差;金额=5.00", FlagColor::kRed, true, ""},
      {"退差价 needs a flag", "[退差价] 原因=降价补差;金额=5.00", FlagColor::kNone, false, "插旗"},
      {"退运费 needs reason", "[退运费] 金额=6", FlagColor::kYellow, false, "缺少原因"},
      {"退运费 bad amount", "[退运费] 原因=偏远;金额=12.3.4", FlagColor::kYellow, false, "金额无效"},
      {"unknown tag", "[改颜色] 红色", FlagColor::kNone, false, "未知的备注类型"},
      {"free text only", "请用顺丰\n周末不在家", FlagColor::kNone, true, ""},
      {"full-width brackets accepted", "【赠品】GIFT-1*1", FlagColor::kNone, true, ""},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.rule);
    RemarkContext c = ctx_;
    c.flag = r.flag;
    auto res = ParseRemark(r.text, c);
    EXPECT_EQ(res.ok(), r.ok) << res.status().ToString();
    if (!res.ok()) {
      EXPECT_NE(res.status().message().find(r.message_part), std::string::npos)
          << res.status().message();
    }
  }
}

TEST_F(RemarkTest, CanonicalFormRoundTrips) {
  RemarkContext c = ctx_;
  c.flag = FlagColor::kRed;
  auto r = ParseRemark(
      "顾客要求周末送达\n【退运费】原因=偏远地区 ; 金额=6\n[赠品] GIFT-1*2，GIFT-1*1\n"
      "[延迟发货] 3月15日\n[改地址] 省=广东省;市=深圳市;区=南山区;地址=科技园1号;收件人=张三;手机=+86 13800138000",
      c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ship_date, *core::ParseLocalDate("2026-03-15"));
  const std::string canonical = FormatRemark(*r);
  EXPECT_EQ(canonical,
            "[改地址] 省=广东省;市=深圳市;区=南山区;地址=科技园1号;收件人=张三;手机=13800138000\n"
            "[延迟发货] 3月15日发货\n[赠品] GIFT-1*2,GIFT-1*1\n[退运费] 原因=偏远地区;金额=6.00\n"
            "顾客要求周末送达");
  auto again = ParseRemark(canonical, c);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *r);
}

TEST_F(RemarkTest, DelayAcrossNewYearResolvesToNextYear) {
  RemarkContext c = ctx_;
  c.today = *core::ParseLocalDate("2026-12-28");
  auto r = ParseRemark("[延迟发货] 1月3日发货", c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ship_date, *core::ParseLocalDate("2027-01-03"));
}

TEST_F(RemarkTest, SetRemarkStoresCanonicalTextAndRespectsGroupLock) {
  Order o = GroupOrder();
  auto locked = SetRemark(o, "请尽快发货", FlagColor::kNone, "", ctx_);
  EXPECT_EQ(locked.status().code(), core::Code::kFailedPrecondition);
  o.status = OrderStatus::kToShip;
  auto ok = SetRemark(o, "[赠品] GIFT-1*1\n加急", FlagColor::kBlue, "送赠品", ctx_);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->remark, "[赠品] GIFT-1*1\n加急");
  EXPECT_EQ(ok->flag, FlagColor::kBlue);
}

TEST(Address, MobileAndCompleteness) {
  EXPECT_TRUE(IsMainlandMobile("13800138000"));
  EXPECT_FALSE(IsMainlandMobile("12800138000"));
  EXPECT_FALSE(IsMainlandMobile("1380013800"));
  EXPECT_EQ(NormalizeMobile("+86 138-0013-8000"), "13800138000");
  EXPECT_TRUE(ValidateAddress(GoodAddress()).ok());
  Address a = GoodAddress();
  a.recipient = " ";
  EXPECT_EQ(ValidateAddress(a).field(), "address.recipient");
}

}  // namespace
}  // namespace kefu::orders
