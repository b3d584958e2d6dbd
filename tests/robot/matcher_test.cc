// The matcher's text analysis and decision features on small knowledge bases.
#include <gtest/gtest.h>

#include "robot/robot.h"

namespace kefu::robot {
namespace {

FaqEntry Entry(std::string id, std::string question,
               std::vector<std::string> similar, std::string answer) {
  FaqEntry e;
  e.id = std::move(id);
  e.question = std::move(question);
  e.similar = std::move(similar);
  e.answer = std::move(answer);
  return e;
}

Matcher Shop() {
  std::vector<FaqEntry> kb = {
      Entry("courier", "发什么快递",
            {"默认哪家快递", "是发圆通吗", "用的什么快递"}, "默认发中通或圆通"),
      Entry("courier_sf", "可以发顺丰吗", {"能指定快递吗", "顺丰要补差价吗"},
            "指定顺丰需补差价12元"),
      Entry("invoice", "可以开发票吗", {"能开票吗", "发票怎么开"},
            "可以开电子普通发票"),
      Entry("invoice_special", "能开专票吗", {"增值税专用发票可以开吗"},
            "专票需要公司名称和税号"),
      Entry("payment", "可以用花呗吗", {"支持信用卡吗", "能分期吗", "怎么付款"},
            "支持花呗和信用卡"),
      Entry("free_shipping", "包邮吗", {"运费多少", "要运费吗"}, "全国包邮"),
  };
  auto m = Matcher::Build(std::move(kb), DefaultLexicon());
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move(m).value();
}

TEST(RobotMatcher, FinalNegationAsksLikeMa) {
  const Matcher m = Shop();
  EXPECT_EQ(m.Words("包邮不"), m.Words("包邮吗"));
  EXPECT_EQ(m.Words("能补差价不"), m.Words("能补差价吗"));
  EXPECT_EQ(m.Words("包不包邮"), m.Words("包邮吗"));
  // Inside a clause 不 stays a word: 不要 is not 要.
  EXPECT_NE(m.Words("不要顺丰"), m.Words("要顺丰"));
}

TEST(RobotMatcher, NamedCourierAndSpecialInvoiceKeepTheirOwnWords) {
  const Matcher m = Shop();
  const struct {
    const char *question;
    const char *want;
  } cases[] = {
      {"能发顺丰吗", "courier_sf"},  {"能不能给我发顺丰", "courier_sf"},
      {"默认发什么快递", "courier"}, {"能开专票吗公司要", "invoice_special"},
      {"能开发票吗", "invoice"},
  };
  for (const auto &c : cases) {
    auto r = m.Match(c.question);
    ASSERT_FALSE(r.candidates.empty()) << c.question;
    EXPECT_EQ(r.candidates[0].faq_id, c.want) << c.question;
  }
}

TEST(RobotMatcher, NgramViewOfAnExactPhrasing) {
  const Matcher m = Shop();
  auto exact = m.Match("顺丰要补差价吗");
  EXPECT_GT(exact.features.ngram, 0.99);
  EXPECT_GT(exact.features.centroid, 0.3);
  EXPECT_LE(exact.features.centroid, 1.0 + 1e-6);
  EXPECT_GT(exact.features.ngram_lead, 0.3); // no other entry looks like it
  auto loose = m.Match("顺丰到我这边要多久");
  EXPECT_LT(loose.features.ngram, exact.features.ngram);
  EXPECT_LT(loose.confidence, exact.confidence);
}

TEST(RobotMatcher, AlienIsTheRarestContentWordTheEntryLacks) {
  const Matcher m = Shop();
  auto covered = m.Match("可以用花呗吗");
  EXPECT_EQ(covered.features.alien, 0.0);
  auto alien = m.Match("能用微信付吗");
  ASSERT_TRUE(!alien.candidates.empty());
  EXPECT_EQ(alien.candidates[0].faq_id, "payment");
  EXPECT_GT(alien.features.alien,
            0.2); // 微信: the payment entry never names it
  EXPECT_LT(alien.confidence, covered.confidence);
}

} // namespace
} // namespace kefu::robot
