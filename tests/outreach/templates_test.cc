#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "outreach/outreach.h"

namespace kefu::outreach {
namespace {

using namespace std::chrono_literals;

core::Timestamp At(std::string_view rfc3339) { return core::ParseRfc3339(rfc3339).value(); }

TEST(Scenes, NamesRoundTrip) {
  std::set<std::string_view> names;
  for (Scene s : AllScenes()) {
    EXPECT_EQ(ParseScene(SceneName(s)), s);
    names.insert(SceneName(s));
  }
  EXPECT_EQ(names.size(), AllScenes().size());
  EXPECT_FALSE(ParseScene("催付").has_value());
  EXPECT_FALSE(ParseScene("").has_value());
}

TEST(Variables, NamesAndKeysAreUniqueAndHaveExamples) {
  std::set<std::string_view> seen;
  for (const auto& v : Variables()) {
    EXPECT_TRUE(seen.insert(v.name).second) << v.name;
    EXPECT_TRUE(seen.insert(v.key).second) << v.key;
    EXPECT_FALSE(v.example.empty()) << v.name;
    EXPECT_EQ(FindVariable(v.name), &v);
    EXPECT_EQ(FindVariable(v.key), &v);
  }
  EXPECT_EQ(FindVariable("手机号"), nullptr);
}

TEST(Parse, CutsTextIntoLiteralsAndVariablesWithCodePointOffsets) {
  auto p = ParseTemplateText("亲😀{买家昵称}，订单{订单号}已发出").value();
  ASSERT_EQ(p.size(), 5u);
  EXPECT_FALSE(p[0].variable);
  EXPECT_EQ(p[0].text, "亲😀");
  EXPECT_EQ(p[0].start, 0u);
  EXPECT_EQ(p[0].end, 2u);
  EXPECT_TRUE(p[1].variable);
  EXPECT_EQ(p[1].text, "买家昵称");
  EXPECT_EQ(p[1].start, 2u);
  EXPECT_EQ(p[1].end, 8u);
  EXPECT_EQ(p[2].text, "，订单");
  EXPECT_TRUE(p[3].variable);
  EXPECT_EQ(p[3].text, "订单号");
  EXPECT_EQ(p[3].start, 11u);
  EXPECT_EQ(p[3].end, 16u);
  EXPECT_EQ(p[4].text, "已发出");
  EXPECT_EQ(p[4].end, 19u);
}

TEST(Parse, DoubledBracesAreLiteral) {
  auto p = ParseTemplateText("暗号{{VIP}}：{店铺名称}").value();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].text, "暗号{VIP}：");
  EXPECT_EQ(p[0].end, 10u);
  EXPECT_TRUE(p[1].variable);
  auto r = Render(p, {{"shop_name", "小蜜蜂"}});
  EXPECT_EQ(r.text, "暗号{VIP}：小蜜蜂");
}

TEST(Parse, RejectsBadVariablesNamingWhereAndWhat) {
  struct Case {
    std::string text;
    std::string expect;  // part of the message
  };
  const std::vector<Case> cases = {
      {"亲{买家昵称", "not closed"},
      {"亲{买家{订单号}", "not closed"},
      {"亲}", "lone"},
      {"亲{}", "empty"},
      {"您的{手机号}", "unknown variable {手机号}"},
      {"您的{order_id}", "unknown variable {order_id}"},
      {"您的{ 订单号 }", "unknown variable"},
      {"bad\xFF", "text"},
  };
  for (const auto& c : cases) {
    auto r = ParseTemplateText(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), core::Code::kInvalidArgument) << c.text;
    EXPECT_EQ(r.status().field(), "text") << c.text;
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << c.text << ": " << r.status().message();
  }
  // The unknown-variable message lists the known ones.
  auto r = ParseTemplateText("{手机号}");
  EXPECT_NE(r.status().message().find("{订单号}"), std::string::npos);
  EXPECT_NE(r.status().message().find("character 0"), std::string::npos);
}

TEST(Render, FillsKnownValuesAndLeavesUnknownOnesAsWritten) {
  auto r = RenderText("亲爱的{买家昵称}，您的订单{订单号}由{快递公司}发出，{买家昵称}请留意",
                      {{"buyer_name", "小红"}, {"order_id", "240611-5823901"}, {"carrier", ""}})
               .value();
  EXPECT_EQ(r.text, "亲爱的小红，您的订单240611-5823901由{快递公司}发出，小红请留意");
  EXPECT_EQ(r.missing, std::vector<std::string>{"快递公司"});
  auto plain = RenderText("没有变量的话术", {}).value();
  EXPECT_EQ(plain.text, "没有变量的话术");
  EXPECT_TRUE(plain.missing.empty());
}

TEST(Render, ExampleValuesFillEveryVariable) {
  std::string all;
  for (const auto& v : Variables()) all += "{" + std::string(v.name) + "}";
  auto r = RenderText(all, ExampleValues()).value();
  EXPECT_TRUE(r.missing.empty());
  EXPECT_EQ(r.text.find('{'), std::string::npos);
}

TEST(ValuesFor, ComesFromConversationOrderAndShop) {
  RenderContext ctx;
  ctx.buyer_name = "小红";
  ctx.shop_name = "小蜜蜂服饰旗舰店";
  ctx.agent_name = "客服小美";
  OrderFacts o;
  o.id = "240611-5823901";
  o.goods = {"纯棉短袖T恤", "帆布包"};
  o.total = core::Money(5990);
  o.paid_at = At("2026-06-11T12:15:00Z");             // 20:15 in Shanghai
  o.promised_ship_time = At("2026-06-12T16:00:00Z");  // next day 00:00 in Shanghai
  o.carrier = "中通快递";
  ctx.order = o;
  auto v = ValuesFor(ctx);
  EXPECT_EQ(v["buyer_name"], "小红");
  EXPECT_EQ(v["shop_name"], "小蜜蜂服饰旗舰店");
  EXPECT_EQ(v["agent_name"], "客服小美");
  EXPECT_EQ(v["order_id"], "240611-5823901");
  EXPECT_EQ(v["goods"], "纯棉短袖T恤等2件商品");
  EXPECT_EQ(v["order_amount"], "59.90元");
  EXPECT_EQ(v["paid_time"], "6月11日 20:15");
  EXPECT_EQ(v["ship_time"], "6月13日 00:00") << "not shipped: the promised time";
  EXPECT_EQ(v.count("tracking_no"), 0u) << "no tracking number yet: unknown, not empty";

  ctx.order->shipped_at = At("2026-06-12T06:30:00Z");
  ctx.order->goods = {"帆布包"};
  ctx.utc_offset_minutes = 0;
  v = ValuesFor(ctx);
  EXPECT_EQ(v["ship_time"], "6月12日 06:30") << "shipped: when it shipped, in the shop's zone";
  EXPECT_EQ(v["goods"], "帆布包");

  RenderContext bare;
  bare.buyer_name = "老王";
  auto r = RenderText("{买家昵称}您好，订单{订单号}", ValuesFor(bare)).value();
  EXPECT_EQ(r.text, "老王您好，订单{订单号}");
  EXPECT_EQ(r.missing, std::vector<std::string>{"订单号"});
}

TEST(Validate, TrimsAndNamesTheFieldAtFault) {
  ReplyTemplate t;
  t.title = "  发货通知 ";
  t.text = "\n亲，{买家昵称}，已发货～ ";
  ASSERT_TRUE(ValidateTemplate(t).ok());
  EXPECT_EQ(t.title, "发货通知");
  EXPECT_EQ(t.text, "亲，{买家昵称}，已发货～");

  struct Case {
    std::string title, text, field;
  };
  std::string long_title, long_text;
  for (size_t i = 0; i <= kMaxTitleChars; ++i) long_title += "题";
  for (size_t i = 0; i <= kMaxTextChars; ++i) long_text += "字";
  const std::vector<Case> cases = {
      {"", "正文", "title"},       {" ", "正文", "title"},        {long_title, "正文", "title"},
      {"两\n行", "正文", "title"}, {"标题", "", "text"},          {"标题", long_text, "text"},
      {"标题", "{未知}", "text"},  {"标题", "未闭合{订单号", "text"},
  };
  for (const auto& c : cases) {
    ReplyTemplate x;
    x.title = c.title;
    x.text = c.text;
    auto st = ValidateTemplate(x);
    ASSERT_FALSE(st.ok()) << c.title << " / " << c.text;
    EXPECT_EQ(st.code(), core::Code::kInvalidArgument);
    EXPECT_EQ(st.field(), c.field) << st.message();
  }
  // Limits count characters, not bytes.
  ReplyTemplate fits;
  fits.title = long_title.substr(0, kMaxTitleChars * 3);
  fits.text = long_text.substr(0, kMaxTextChars * 3);
  EXPECT_TRUE(ValidateTemplate(fits).ok());
}

TEST(Search, MatchesTitleOrTextIgnoringAsciiCase) {
  ReplyTemplate t;
  t.title = "催付提醒 VIP";
  t.text = "亲，您的订单{订单号}还未付款哦";
  EXPECT_TRUE(MatchesQuery(t, ""));
  EXPECT_TRUE(MatchesQuery(t, "催付"));
  EXPECT_TRUE(MatchesQuery(t, "vip"));
  EXPECT_TRUE(MatchesQuery(t, "未付款"));
  EXPECT_FALSE(MatchesQuery(t, "发货"));
}

}  // namespace
}  // namespace kefu::outreach
