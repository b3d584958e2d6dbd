#include "compliance/compliance.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace kefu::compliance {
namespace {

using core::Platform;

const Guard& G() {
  static const auto* guard = Guard::Create().value().release();
  return *guard;
}

CheckResult Check(std::string_view text, Platform p = Platform::kPdd, const CustomWords* c = nullptr) {
  auto r = G().Check(text, p, c);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : CheckResult{};
}

bool Has(const CheckResult& r, std::string_view category) {
  for (const auto& v : r.violations) {
    if (v.category == category) return true;
  }
  return false;
}

TEST(Guard, LoadsLexicons) { EXPECT_GT(G().lexicon_size(), 200u); }

TEST(Guard, SeverityNames) {
  EXPECT_EQ(SeverityName(Severity::kBlock), "block");
  EXPECT_EQ(SeverityName(Severity::kWarn), "warn");
}

TEST(Guard, ReportsOffsetsInCodePointsOfTheOriginal) {
  // Emoji (outside the BMP) and full-width letters before and inside the match.
  auto r = Check("😀亲😀，加ｖ－ｘ吧");
  ASSERT_FALSE(r.ok);
  bool found = false;
  for (const auto& v : r.violations) {
    if (v.match == "ｖ－ｘ") {
      found = true;
      EXPECT_EQ(v.start, 5u);
      EXPECT_EQ(v.end, 8u);
      EXPECT_EQ(v.category, "third_party");
      EXPECT_EQ(v.severity, Severity::kBlock);
      EXPECT_FALSE(v.suggestion.empty());
    }
  }
  EXPECT_TRUE(found);
}

TEST(Guard, ReportsSeparatedMatchAsWritten) {
  auto r = Check("亲，加个微-信");
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].match, "微-信");
  EXPECT_EQ(r.violations[0].start, 4u);
  EXPECT_EQ(r.violations[0].end, 7u);
}

TEST(Guard, EmojiBetweenCharactersIsASeparator) {
  auto r = Check("加我微👍🏽信");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.violations[0].match, "微👍🏽信");
  EXPECT_EQ(r.violations[0].start, 2u);
  EXPECT_EQ(r.violations[0].end, 6u);
}

TEST(Guard, HomophonesAndPinyinMeetTheWord) {
  for (const char* s : {"威信", "薇信", "维信", "weixin", "wei xin", "WEI信", "徽信"}) {
    EXPECT_TRUE(Has(Check(std::string("加我") + s), "third_party")) << s;
  }
  // Words that only sound alike and share no character stay clean.
  EXPECT_TRUE(Check("这个套包很划算").ok);
  EXPECT_TRUE(Check("都因为快递原因").ok);
  EXPECT_TRUE(Check("维新变法").ok);
}

TEST(Guard, PlatformProfilesDecideOwnWords) {
  EXPECT_TRUE(Check("退款会原路退回您的支付宝哦", Platform::kTaobao).ok);
  EXPECT_FALSE(Check("退款会原路退回您的支付宝哦", Platform::kPdd).ok);
  EXPECT_TRUE(Check("这单走京东物流", Platform::kJd).ok);
  EXPECT_FALSE(Check("这单走京东物流", Platform::kPdd).ok);
  EXPECT_TRUE(Check("拼多多百亿补贴", Platform::kPdd).ok);
  EXPECT_FALSE(Check("拼多多百亿补贴", Platform::kTaobao).ok);
  // Contact apps are blocked everywhere.
  for (Platform p : {Platform::kPdd, Platform::kTaobao, Platform::kKuaishou, Platform::kJd}) {
    EXPECT_FALSE(Check("加个微信", p).ok);
  }
}

TEST(Guard, DetectsContactHandles) {
  EXPECT_TRUE(Has(Check("电话 138 1234 5678"), "off_platform"));
  EXPECT_TRUE(Has(Check("一三八一二三四五六七八"), "off_platform"));
  EXPECT_TRUE(Has(Check("QQ 12345678"), "off_platform"));
  EXPECT_TRUE(Has(Check("V: kefu2024"), "off_platform"));
  EXPECT_TRUE(Has(Check("加我 abc_12345"), "off_platform"));
  // Order and tracking numbers, prices and times are not contacts.
  EXPECT_TRUE(Check("订单号 13812345678 已查到").ok);
  EXPECT_TRUE(Check("快递单号 YT7388123456789").ok);
  EXPECT_TRUE(Check("价格 138.00 元，10:30 前下单").ok);
  EXPECT_TRUE(Check("这个是vip88888会员价").ok);
}

TEST(Guard, ContextKeepsOrdinaryWordsClean) {
  for (const char* s : {"微笑", "稍微等一下", "扣款成功", "有折扣", "Q弹", "短信", "第一次购买", "第一时间处理",
                        "垃圾袋", "usb线", "加vip会员"}) {
    auto r = Check(s);
    EXPECT_TRUE(r.ok) << s;
    EXPECT_TRUE(r.violations.empty()) << s << ": " << r.violations[0].category;
  }
}

TEST(Guard, QuotingTheBuyerIsNotSteering) {
  EXPECT_TRUE(Check("您说的“微信”我们这边不能用哦").ok);
  EXPECT_TRUE(Check("您问的「支付宝」付款我们不支持").ok);
  // Steering words next to the quote, or no closing mark, keep the finding.
  EXPECT_FALSE(Check("加个“微信”吧").ok);
  EXPECT_FALSE(Check("“微信”上加我").ok);
  EXPECT_FALSE(Check("亲，“加个微信”吧").ok);
  EXPECT_FALSE(Check("您说的“微信我们这边不能用哦").ok);
  // Only third_party is exempt: a handle inside quotes still blocks.
  EXPECT_FALSE(Check("您说的“V: kefu2024”").ok);
}

TEST(Guard, VariantCharactersMeetTheWord) {
  auto r = Check("支付寳转账");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.violations[0].match, "支付寳");
  EXPECT_EQ(r.violations[0].rule, "payment");
}

TEST(Guard, WarningsDoNotBlock) {
  auto r = Check("亲亲，这款是今年最好的款式");
  EXPECT_TRUE(r.ok);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].category, "extreme_word");
  EXPECT_EQ(r.violations[0].severity, Severity::kWarn);
  EXPECT_TRUE(Has(Check("嗯"), "filler"));
  EXPECT_FALSE(Has(Check("嗯，好的亲，已为您备注"), "filler"));
  EXPECT_TRUE(Has(Check("保证明天到"), "over_promise"));
}

TEST(Guard, CustomWordsApplyOnTheNextCall) {
  CustomWords words;
  EXPECT_TRUE(Check("我们的秘密渠道", Platform::kPdd, &words).ok);
  words.block.push_back("秘密渠道");
  auto r = Check("我们的秘 密 渠 道", Platform::kPdd, &words);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].category, "custom");
  EXPECT_EQ(r.violations[0].match, "秘 密 渠 道");
  // An allowed word keeps a shop's own brand clean.
  EXPECT_FALSE(Check("旺旺牌饼干", Platform::kPdd, &words).ok);
  words.allow.push_back("旺旺牌");
  EXPECT_TRUE(Check("旺旺牌饼干", Platform::kPdd, &words).ok);
}

TEST(Guard, RejectsInvalidUtf8AndLoneSurrogates) {
  auto r = G().Check("加微\xFF信", Platform::kPdd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::Code::kInvalidArgument);
  auto s = G().Check("a\xED\xA0\x80", Platform::kPdd);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("surrogate"), std::string::npos);
}

TEST(Guard, EmptyTextIsOk) {
  auto r = Check("");
  EXPECT_TRUE(r.ok);
  EXPECT_TRUE(r.violations.empty());
  EXPECT_TRUE(Check("   ，。😀").violations.empty());
}

TEST(Guard, HandlesAMegabyteMessage) {
  std::string s;
  while (s.size() < (1 << 20)) s += "亲，您好，今天下单明天发货，有问题随时联系我们。";
  s += "加我微信";
  auto r = Check(s);
  EXPECT_FALSE(r.ok);
  ASSERT_FALSE(r.violations.empty());
  EXPECT_EQ(r.violations.back().match, "微信");
}

TEST(Guard, ChecksConcurrently) {
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      CustomWords words;
      words.block.push_back("店铺词" + std::to_string(t));
      for (int i = 0; i < 300; ++i) {
        auto a = G().Check("加个威信吧", Platform::kPdd, &words);
        auto b = G().Check("稍微等一下", Platform::kPdd, &words);
        auto c = G().Check("这是店铺词" + std::to_string(t), Platform::kPdd, &words);
        if (!a.ok() || a->ok || !b.ok() || !b->ok || !c.ok() || c->ok) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace kefu::compliance
