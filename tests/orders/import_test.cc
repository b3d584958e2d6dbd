// Import parsing: valid CSV/JSONL, and malformed rows reported per line with nothing partial.
#include <gtest/gtest.h>

#include "orders/orders.h"

namespace kefu::orders {
namespace {

const char kHeader[] =
    "order_id,buyer,sku,name,qty,unit_price,shipping_fee,status,province,city,district,detail,"
    "recipient,phone,paid_at,campaign\n";

std::string Row(std::string id, std::string qty = "1", std::string price = "12.30",
                std::string extra_status = "paid") {
  return id + ",buyer1,SKU-A,杯子," + qty + "," + price + ",5," + extra_status +
         ",广东省,深圳市,南山区,科技园1号,张三,13800138000,2026-03-05 10:00:00,\n";
}

TEST(Import, ParsesCompleteCsvRow) {
  auto r = ParseOrdersCsv(std::string(kHeader) + Row("o1", "2"), {.shop_id = "s1"});
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].ToString();
  ASSERT_EQ(r.orders.size(), 1u);
  const Order& o = r.orders[0];
  EXPECT_EQ(o.id, "o1");
  EXPECT_EQ(o.shop_id, "s1");
  EXPECT_EQ(o.items[0].qty, 2);
  EXPECT_EQ(o.items[0].unit_price.fen(), 1230);
  EXPECT_EQ(o.goods_total.fen(), 2460);
  EXPECT_EQ(o.original_goods_total.fen(), 2460);
  EXPECT_EQ(o.shipping_fee.fen(), 500);
  EXPECT_EQ(o.address.phone, "13800138000");
  ASSERT_TRUE(o.paid_at);
  EXPECT_EQ(core::FormatRfc3339(*o.paid_at), "2026-03-05T02:00:00Z");  // +08:00 local
}

TEST(Import, ChineseHeadersQuotedCellsAndMultiItemRows) {
  std::string csv =
      "\xEF\xBB\xBF订单号,买家,商品编码,商品名称,数量,单价,详细地址\r\n"
      "o1,b,A|B,\"杯子, 大\"|盖子,1|3,10|2.5,\"多行\n地址\"\r\n";
  auto r = ParseOrdersCsv(csv);
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].ToString();
  ASSERT_EQ(r.orders.size(), 1u);
  ASSERT_EQ(r.orders[0].items.size(), 2u);
  EXPECT_EQ(r.orders[0].items[0].name, "杯子, 大");
  EXPECT_EQ(r.orders[0].items[1].qty, 3);
  EXPECT_EQ(r.orders[0].goods_total.fen(), 1000 + 750);
  EXPECT_EQ(r.orders[0].address.detail, "多行\n地址");
}

// Each malformed row is reported on its own line, and only the good rows become orders.
struct BadRow {
  const char* rule;
  std::string row;
  const char* field;
  const char* message_part;
};

TEST(Import, MalformedRowsAreReportedWithLineAndSkipped) {
  const BadRow rows[] = {
      {"money.bad_format", Row("b1", "1", "12.3.4"), "unit_price", "12.3.4"},
      {"qty.negative", Row("b2", "-2"), "qty", "不能为负数"},
      {"qty.not_integer", Row("b3", "1.5"), "qty", "整数"},
      {"qty.zero", Row("b4", "0"), "qty", "1 到"},
      {"encoding.gbk", "b5,\xC2\xF2\xBC\xD2,SKU-A,x,1,1,0,paid,,,,,,,,\n", "", "UTF-8"},
      {"columns.missing", "b6,buyer,SKU-A,x,1\n", "unit_price", "列数不符"},
      {"status.unknown", Row("b7", "1", "1", "shipped?"), "status", "未知订单状态"},
      {"money.too_many_decimals", Row("b8", "1", "1.234"), "unit_price", "金额格式错误"},
  };
  for (const auto& bad : rows) {
    SCOPED_TRACE(bad.rule);
    // good row, bad row, good row: the bad one is line 3.
    std::string csv = std::string(kHeader) + Row("g1") + bad.row + Row("g2");
    auto r = ParseOrdersCsv(csv);
    ASSERT_EQ(r.orders.size(), 2u);
    EXPECT_EQ(r.orders[0].id, "g1");
    EXPECT_EQ(r.orders[1].id, "g2");
    ASSERT_GE(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].line, 3);
    EXPECT_EQ(r.errors[0].field, bad.field);
    EXPECT_NE(r.errors[0].message.find(bad.message_part), std::string::npos)
        << r.errors[0].ToString();
    EXPECT_NE(r.errors[0].ToString().find("第3行"), std::string::npos);
  }
}

TEST(Import, OneBadItemRejectsTheWholeMultiItemOrder) {
  const BadRow rows[] = {
      {"qty.negative in the second item",
       "m1,buyer1,SKU-A|SKU-B,杯子|盖子,1|-1,12.30|2.00,5,paid,广东省,深圳市,南山区,x,张三,"
       "13800138000,,\n",
       "qty", "不能为负数"},
      {"money.bad_format in the second item",
       "m2,buyer1,SKU-A|SKU-B,杯子|盖子,1|1,12.30|12.3.4,5,paid,广东省,深圳市,南山区,x,张三,"
       "13800138000,,\n",
       "unit_price", "12.3.4"},
      {"lists of different lengths",
       "m3,buyer1,SKU-A|SKU-B,杯子|盖子,1,12.30|2.00,5,paid,广东省,深圳市,南山区,x,张三,"
       "13800138000,,\n",
       "sku", "项数必须相同"},
  };
  for (const auto& bad : rows) {
    SCOPED_TRACE(bad.rule);
    auto r = ParseOrdersCsv(std::string(kHeader) + bad.row + Row("g1"));
    ASSERT_EQ(r.orders.size(), 1u);  // no order with only its good item
    EXPECT_EQ(r.orders[0].id, "g1");
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].line, 2);
    EXPECT_EQ(r.errors[0].field, bad.field);
    EXPECT_NE(r.errors[0].message.find(bad.message_part), std::string::npos)
        << r.errors[0].ToString();
  }
}

TEST(Import, RowsNamingAnotherShopAreRefusedNotMoved) {
  auto r = ParseOrdersCsv("order_id,shop,buyer,sku,qty,unit_price\na1,s1,b,A,1,1\na2,s2,b,A,1,1\n",
                          {.shop_id = "s1"});
  ASSERT_EQ(r.orders.size(), 2u);
  KeepShop(r, "s1");
  ASSERT_EQ(r.orders.size(), 1u);
  EXPECT_EQ(r.orders[0].id, "a1");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].order_id, "a2");
  EXPECT_EQ(r.errors[0].field, "shop");
}

TEST(Import, DuplicateOrderIdKeepsFirstAndReportsLater) {
  auto r = ParseOrdersCsv(std::string(kHeader) + Row("o1") + Row("o2") + Row("o1", "9"));
  ASSERT_EQ(r.orders.size(), 2u);
  EXPECT_EQ(r.orders[0].items[0].qty, 1);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 4);
  EXPECT_EQ(r.errors[0].order_id, "o1");
  EXPECT_NE(r.errors[0].message.find("第2行"), std::string::npos);
}

TEST(Import, MissingRequiredColumnRejectsWholeFile) {
  auto r = ParseOrdersCsv("order_id,buyer,sku,unit_price\no1,b,A,1\n");
  EXPECT_TRUE(r.orders.empty());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 1);
  EXPECT_NE(r.errors[0].message.find("qty"), std::string::npos);
}

TEST(Import, EmptyFileIsAnError) {
  auto r = ParseOrdersCsv("");
  EXPECT_TRUE(r.orders.empty());
  EXPECT_EQ(r.errors.size(), 1u);
}

TEST(Import, MultiLineQuotedRowReportsItsFirstLineAndLaterRowsKeepNumbers) {
  std::string csv = std::string(kHeader) +
                    "o1,b,SKU-A,\"两行\n名称\",1,1,0,paid,,,,,,,,\n" + Row("o2", "-1");
  auto r = ParseOrdersCsv(csv);
  ASSERT_EQ(r.orders.size(), 1u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].line, 4);
}

TEST(Import, ParsesJsonlWithNestedAddressAndGroup) {
  std::string jl =
      R"({"order_id":"j1","buyer":"b","items":[{"sku":"A","qty":2,"unit_price":"9.90"}],)"
      R"("shipping_fee":0,"status":"group_pending","paid_at":"2026-03-05T10:00:00+08:00",)"
      R"("address":{"province":"广东省","city":"深圳市","district":"南山区","detail":"x",)"
      R"("recipient":"李四","phone":"+86 138-0013-8000"},"group":{"id":"g9","size":3,"joined":1},)"
      R"("campaign":"大促"})"
      "\n\n";
  auto r = ParseOrdersJsonl(jl);
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].ToString();
  ASSERT_EQ(r.orders.size(), 1u);
  const Order& o = r.orders[0];
  EXPECT_EQ(o.goods_total.fen(), 1980);
  EXPECT_EQ(o.status, OrderStatus::kGroupPending);
  ASSERT_TRUE(o.group);
  EXPECT_EQ(o.group->required, 3);
  EXPECT_EQ(o.address.phone, "13800138000");
  EXPECT_EQ(o.campaign, Campaign::kBigSale);
}

TEST(Import, JsonlBadLinesAreReportedAndSkipped) {
  const BadRow rows[] = {
      {"json.syntax", R"({"order_id":"x1","buyer":"b","items":[)", "", "JSON"},
      {"money.bad_format", R"({"order_id":"x2","buyer":"b","items":[{"sku":"A","qty":1,"unit_price":"12.3.4"}]})", "unit_price", "12.3.4"},
      {"qty.negative", R"({"order_id":"x3","buyer":"b","items":[{"sku":"A","qty":-1,"unit_price":"1"}]})", "qty", "负数"},
      {"items.missing", R"({"order_id":"x4","buyer":"b"})", "items", "items"},
      {"not_object", R"([1,2])", "", "对象"},
      {"encoding", "{\"order_id\":\"x6\",\"buyer\":\"\xFF\xFE\",\"items\":[]}", "", "UTF-8"},
  };
  const std::string good =
      R"({"order_id":"ok","buyer":"b","items":[{"sku":"A","qty":1,"unit_price":1}]})";
  for (const auto& bad : rows) {
    SCOPED_TRACE(bad.rule);
    auto r = ParseOrdersJsonl(good + "\n" + bad.row + "\n");
    ASSERT_EQ(r.orders.size(), 1u);
    ASSERT_GE(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].line, 2);
    EXPECT_EQ(r.errors[0].field, bad.field);
    EXPECT_NE(r.errors[0].message.find(bad.message_part), std::string::npos)
        << r.errors[0].ToString();
  }
  auto dup = ParseOrdersJsonl(good + "\n" + good + "\n");
  EXPECT_EQ(dup.orders.size(), 1u);
  ASSERT_EQ(dup.errors.size(), 1u);
  EXPECT_EQ(dup.errors[0].line, 2);
}

}  // namespace
}  // namespace kefu::orders
