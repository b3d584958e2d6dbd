#include <gtest/gtest.h>

#include <fstream>

#include <string>
#include <tuple>
#include <vector>

#include "compliance/compliance.h"

namespace kefu::compliance {
namespace {

using core::Platform;

const Guard& G() {
  static const auto* guard = Guard::Create().value().release();
  return *guard;
}

CustomWordEntry Entry(WordKind kind, std::string word, std::string suggestion = "", std::string note = "") {
  CustomWordEntry e;
  e.id = "w";
  e.kind = kind;
  e.word = std::move(word);
  e.suggestion = std::move(suggestion);
  e.note = std::move(note);
  return e;
}

TEST(CustomWords, KindNamesRoundTrip) {
  for (auto k : {WordKind::kBlock, WordKind::kAllow}) EXPECT_EQ(ParseWordKind(WordKindName(k)), k);
  EXPECT_FALSE(ParseWordKind("Block").has_value());
  EXPECT_FALSE(ParseWordKind("").has_value());
}

TEST(CustomWords, KeyIsTheNormalisedWord) {
  EXPECT_EQ(CustomWordKey("微 信").value(), "微信");
  EXPECT_EQ(CustomWordKey("微-信").value(), CustomWordKey("微信").value());
  EXPECT_EQ(CustomWordKey("ＶＸ").value(), "vx");
  EXPECT_EQ(CustomWordKey("秘密渠道").value(), "秘密渠道");
}

TEST(CustomWords, KeyRejectsWordsWithNothingToMatch) {
  for (std::string_view bad : {"", "   ", "——！", "😀😀", "a\xFF"}) {
    auto k = CustomWordKey(bad);
    ASSERT_FALSE(k.ok()) << bad;
    EXPECT_EQ(k.status().code(), core::Code::kInvalidArgument);
    EXPECT_EQ(k.status().field(), "word");
  }
}

TEST(CustomWords, ValidateTrimsFields) {
  auto e = Entry(WordKind::kBlock, "  秘密渠道\u3000", " 官方渠道 ", "\t竞品常用说法 ");
  ASSERT_TRUE(ValidateCustomWord(e, {}).ok());
  EXPECT_EQ(e.word, "秘密渠道");
  EXPECT_EQ(e.suggestion, "官方渠道");
  EXPECT_EQ(e.note, "竞品常用说法");
}

TEST(CustomWords, ValidateNamesTheFieldAtFault) {
  struct Case {
    CustomWordEntry entry;
    std::string field;
  };
  const std::vector<Case> cases = {
      {Entry(WordKind::kBlock, ""), "word"},
      {Entry(WordKind::kBlock, " \u3000 "), "word"},
      {Entry(WordKind::kBlock, "！！！"), "word"},
      {Entry(WordKind::kBlock, std::string(31, 'a')), "word"},
      {Entry(WordKind::kBlock, "两行\n词"), "word"},
      {Entry(WordKind::kBlock, "词\xC3"), "word"},
      {Entry(WordKind::kAllow, "旺旺", "别的说法"), "suggestion"},
      {Entry(WordKind::kBlock, "秘密渠道", std::string(61, 'x')), "suggestion"},
      {Entry(WordKind::kBlock, "秘密渠道", "", std::string(201, 'n')), "note"},
  };
  for (auto c : cases) {
    auto st = ValidateCustomWord(c.entry, {});
    ASSERT_FALSE(st.ok()) << c.entry.word;
    EXPECT_EQ(st.code(), core::Code::kInvalidArgument) << c.entry.word;
    EXPECT_EQ(st.field(), c.field) << c.entry.word << ": " << st.message();
  }
  // Limits count characters, not bytes: 30 Chinese characters fit.
  std::string thirty;
  for (int i = 0; i < 30; ++i) thirty += "字";
  auto ok = Entry(WordKind::kBlock, thirty);
  EXPECT_TRUE(ValidateCustomWord(ok, {}).ok());
}

TEST(CustomWords, ValidateRejectsTheSameWordInAnotherSpelling) {
  std::vector<CustomWordEntry> existing = {Entry(WordKind::kBlock, "秘密渠道"), Entry(WordKind::kAllow, "旺旺")};
  auto same = Entry(WordKind::kBlock, "秘 密 渠 道");
  auto st = ValidateCustomWord(same, existing);
  EXPECT_EQ(st.code(), core::Code::kAlreadyExists);
  EXPECT_EQ(st.field(), "word");
  // Listing a word as allow and block at once would let the allow win silently.
  auto other = Entry(WordKind::kBlock, "旺-旺");
  st = ValidateCustomWord(other, existing);
  EXPECT_EQ(st.code(), core::Code::kAlreadyExists);
  EXPECT_NE(st.message().find("allow"), std::string::npos) << st.message();
  auto fresh = Entry(WordKind::kAllow, "秘密");
  EXPECT_TRUE(ValidateCustomWord(fresh, existing).ok());
}

TEST(CustomWords, ValidateCapsTheList) {
  std::vector<CustomWordEntry> existing;
  for (size_t i = 0; i < kMaxCustomWords; ++i) existing.push_back(Entry(WordKind::kBlock, "词" + std::to_string(i)));
  auto e = Entry(WordKind::kBlock, "再来一个");
  EXPECT_EQ(ValidateCustomWord(e, existing).code(), core::Code::kFailedPrecondition);
  existing.pop_back();
  EXPECT_TRUE(ValidateCustomWord(e, existing).ok());
}

TEST(CustomWords, GuardUsesTheShopsWordsAndSuggestions) {
  const std::vector<CustomWordEntry> entries = {Entry(WordKind::kBlock, "秘密渠道", "官方渠道"),
                                                Entry(WordKind::kBlock, "内部价"),
                                                Entry(WordKind::kAllow, "旺旺")};
  const CustomWords words = ToCustomWords(entries);
  ASSERT_EQ(words.block.size(), 2u);
  ASSERT_EQ(words.allow.size(), 1u);

  auto r = G().Check("走秘-密渠道有内部价", Platform::kPdd, &words).value();
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.violations.size(), 2u);
  EXPECT_EQ(r.violations[0].category, "custom");
  EXPECT_EQ(r.violations[0].match, "秘-密渠道");
  EXPECT_EQ(r.violations[0].suggestion, "改为“官方渠道”");
  EXPECT_EQ(r.violations[0].replacements, std::vector<std::string>{"官方渠道"});
  EXPECT_EQ(r.violations[1].match, "内部价");
  EXPECT_EQ(r.violations[1].suggestion, "本店设置的禁用词，请换一种说法");
  EXPECT_TRUE(r.violations[1].replacements.empty()) << "no replacement given: nothing to paste";

  // 旺旺 is another platform's chat tool on 拼多多; this shop sells 旺旺牌 biscuits.
  EXPECT_FALSE(G().Check("旺旺牌饼干到货了", Platform::kPdd).value().ok);
  EXPECT_TRUE(G().Check("旺旺牌饼干到货了", Platform::kPdd, &words).value().ok);
  // Another shop (no words) is not affected.
  EXPECT_TRUE(G().Check("走秘密渠道", Platform::kPdd).value().ok);
}

TEST(Replacements, ComeFromQuotedPhrasesAfterTheVerb) {
  using V = std::vector<std::string>;
  EXPECT_EQ(ReplacementsOf("改为“很好”"), V{"很好"});
  EXPECT_EQ(ReplacementsOf("改为“很好”“口碑不错”"), (V{"很好", "口碑不错"}));
  EXPECT_EQ(ReplacementsOf("改为“预计明天送达，以物流为准”"), V{"预计明天送达，以物流为准"});
  EXPECT_EQ(ReplacementsOf("请改用“商品”（“宝贝”是淘宝的说法）"), V{"商品"});
  EXPECT_TRUE(ReplacementsOf("请在平台内沟通，不要引导买家使用微信").empty());
  EXPECT_TRUE(ReplacementsOf("改为实际质保期").empty());
  EXPECT_TRUE(ReplacementsOf("请给出具体答复，例如：“好的亲”").empty());
  EXPECT_TRUE(ReplacementsOf("改为“").empty());
  EXPECT_TRUE(ReplacementsOf("").empty());
}

TEST(Replacements, LexiconViolationsCarryThemAndAdviceHasNone) {
  auto r = G().Check("我们家是最好的", Platform::kPdd).value();
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].category, "extreme_word");
  EXPECT_FALSE(r.violations[0].replacements.empty()) << r.violations[0].suggestion;
  for (const auto& x : r.violations[0].replacements) EXPECT_EQ(x.find("最好"), std::string::npos) << x;
  auto w = G().Check("加我微信吧", Platform::kPdd).value();
  ASSERT_FALSE(w.violations.empty());
  EXPECT_TRUE(w.violations[0].replacements.empty()) << "advice only: " << w.violations[0].suggestion;
}

// A one-click fix must not trade one finding for another: every replacement the lexicons name
// passes the guard on its own (the files are read from the source tree; tests run from it).
TEST(Replacements, EveryLexiconReplacementIsClean) {
  size_t checked = 0;
  for (const char* name : {"third_party", "off_platform", "uncivil", "filler", "extreme_word", "over_promise"}) {
    std::ifstream in(std::string("data/lexicons/") + name + ".tsv");
    ASSERT_TRUE(in) << name;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      const std::string suggestion = line.substr(line.rfind('\t') + 1);
      for (const auto& x : ReplacementsOf(suggestion)) {
        ++checked;
        auto r = G().Check(x, Platform::kPdd).value();
        EXPECT_TRUE(r.violations.empty()) << name << ": " << line << " -> " << x << " has " << r.violations.front().match;
      }
    }
  }
  EXPECT_GT(checked, 20u);
}

TEST(CustomWords, PreparedSetFindsEveryOccurrenceInOrder) {
  CustomWords words;
  words.block = {"渠道", "秘密渠道", "Ｘ-Y"};
  words.block_suggestions = {"", "官方渠道"};
  words.allow = {"道"};
  const CustomWordSet set(words);
  ASSERT_EQ(set.size(), 4u);
  std::vector<CustomWordSet::Match> found;
  set.Find(U"秘密渠道xy渠道", &found);
  std::vector<std::tuple<size_t, size_t, std::string>> got;
  for (const auto& m : found) {
    std::string what = set.allow(m.word) ? "allow"
                       : set.replacements(m.word).empty() ? "block"
                                                          : "block:" + set.replacements(m.word).front();
    got.emplace_back(m.begin, m.end, what);
  }
  const std::vector<std::tuple<size_t, size_t, std::string>> want = {
      {0, 4, "block:官方渠道"}, {2, 4, "block"}, {3, 4, "allow"}, {4, 6, "block"}, {6, 8, "block"}, {7, 8, "allow"}};
  EXPECT_EQ(got, want);
  // The prepared set and the plain words give the same verdicts.
  for (std::string_view text : {"走秘密渠道", "加Ｘ－Ｙ", "xyz", "正规渠道"}) {
    auto a = G().Check(text, Platform::kPdd, &words).value();
    auto b = G().Check(text, Platform::kPdd, set).value();
    EXPECT_EQ(a.ok, b.ok) << text;
    EXPECT_EQ(a.violations.size(), b.violations.size()) << text;
  }
}

}  // namespace
}  // namespace kefu::compliance
