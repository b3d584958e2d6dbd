// Platform profiles: the shipped TOML files parse, carry the rules, and bad values are named.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "aftersales/aftersales.h"

namespace kefu::aftersales {
namespace {

using std::chrono::hours;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Profile, ShippedFilesMatchBuiltInDefaults) {
  for (const char* name : {"pdd", "taobao", "kuaishou"}) {
    SCOPED_TRACE(name);
    const std::string text = ReadFile(std::string("config/platforms/") + name + ".toml");
    ASSERT_FALSE(text.empty()) << "run from the repository root";
    auto p = ParsePlatformProfile(text);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    const auto d = DefaultProfile(p->platform);
    EXPECT_EQ(p->aftersales.seller_response, d.aftersales.seller_response);
    EXPECT_EQ(p->aftersales.unshipped_refund_auto, d.aftersales.unshipped_refund_auto);
    EXPECT_EQ(p->aftersales.buyer_return, d.aftersales.buyer_return);
    EXPECT_EQ(p->aftersales.seller_confirm_receipt, d.aftersales.seller_confirm_receipt);
    EXPECT_EQ(p->aftersales.small_payments_per_order, d.aftersales.small_payments_per_order);
    EXPECT_EQ(p->aftersales.small_payment_cap, d.aftersales.small_payment_cap);
    EXPECT_EQ(p->orders.group_timeout, hours(24));
    EXPECT_EQ(p->orders.review_cutoff, hours(16));
    EXPECT_EQ(p->orders.price_change.goods_floor_percent,
              d.orders.price_change.goods_floor_percent);
  }
}

TEST(Profile, PddCarriesTheSeventyPercentOnceRule) {
  auto p = ParsePlatformProfile(ReadFile("config/platforms/pdd.toml"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->orders.price_change.goods_floor_percent, 70);
  EXPECT_EQ(p->orders.price_change.goods_changes_max, 1);
  EXPECT_EQ(p->orders.price_change.shipping_changes_max, -1);
  EXPECT_EQ(p->aftersales.small_payments_per_order, 3);
}

TEST(Profile, OverridesAndErrors) {
  auto p = ParsePlatformProfile(
      "[platform]\nid = \"taobao\"\n[orders]\nreview_cutoff = \"11:30\"\ngroup_timeout_hours = 48\n"
      "[aftersales]\nbuyer_return_hours = 72\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->orders.review_cutoff, hours(11) + std::chrono::minutes(30));
  EXPECT_EQ(p->orders.group_timeout, hours(48));
  EXPECT_EQ(p->aftersales.buyer_return, hours(72));
  EXPECT_EQ(p->aftersales.seller_response, hours(120));  // default kept
  struct Row {
    const char* rule;
    const char* text;
    const char* field;
  };
  const Row rows[] = {
      {"cut-off must be HH:MM", "[platform]\nid=\"pdd\"\n[orders]\nreview_cutoff=\"4pm\"\n",
       "orders.review_cutoff"},
      {"hours must be integers", "[platform]\nid=\"pdd\"\n[aftersales]\nbuyer_return_hours=\"7d\"\n",
       "aftersales.buyer_return_hours"},
      {"floor percent within 0-100",
       "[platform]\nid=\"pdd\"\n[orders]\nprice_change_goods_floor_percent=170\n",
       "orders.price_change_goods_floor_percent"},
      {"platform id required", "[orders]\n", "platform.id"},
      {"unknown platform", "[platform]\nid=\"ebay\"\n", "platform.id"},
  };
  for (const auto& r : rows) {
    SCOPED_TRACE(r.rule);
    auto bad = ParsePlatformProfile(r.text);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().field(), r.field);
  }
  EXPECT_FALSE(ParsePlatformProfile("[platform\nid=").ok());
}

}  // namespace
}  // namespace kefu::aftersales
