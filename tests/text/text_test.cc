#include "text/text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kefu::text {
namespace {

std::string Norm(std::string_view s) {
  auto n = Normalize(s);
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return n.ok() ? n->Utf8() : "";
}

// The original substring (code points) a normalised span maps back to.
std::string Orig(std::string_view s, const Normalized& n, size_t b, size_t e) {
  auto cps = DecodeUtf8(s).value();
  auto [ob, oe] = n.OriginalSpan(b, e);
  return EncodeUtf8(std::u32string_view(cps).substr(ob, oe - ob));
}

TEST(Utf8, RejectsInvalidBytesNamingTheOffset) {
  auto r = DecodeUtf8("ab\xFF" "c");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("byte 2"), std::string::npos);
  EXPECT_FALSE(DecodeUtf8("\xC0\xAF").ok());          // overlong '/'
  EXPECT_FALSE(DecodeUtf8("\xE4\xBD").ok());          // truncated
  EXPECT_FALSE(DecodeUtf8("\xF4\x90\x80\x80").ok());  // above U+10FFFF
}

TEST(Utf8, ReportsLoneSurrogates) {
  auto r = DecodeUtf8("x\xED\xA0\x80y");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("surrogate U+D800"), std::string::npos);
  EXPECT_FALSE(Normalize("\xED\xB0\x80").ok());
}

TEST(Utf8, RoundTrips) {
  std::string s = "微信 ｖｘ 😀 ①";
  EXPECT_EQ(EncodeUtf8(DecodeUtf8(s).value()), s);
  EXPECT_EQ(DecodeUtf8("").value().size(), 0u);
}

TEST(Normalize, FoldsWidthAndCase) {
  EXPECT_EQ(Norm("ＶＸ"), "vx");
  EXPECT_EQ(Norm("QQ"), "qq");
  EXPECT_EQ(Norm("①②③"), "123");
}

TEST(Normalize, SimplifiesTraditional) {
  EXPECT_EQ(Norm("微信號"), "微信号");
  EXPECT_EQ(Norm("支付寶"), "支付宝");
  EXPECT_EQ(Norm("淘寶"), "淘宝");
}

TEST(Normalize, DropsSeparatorsEmojiAndZeroWidth) {
  EXPECT_EQ(Norm("微-信"), "微信");
  EXPECT_EQ(Norm("微 信"), "微信");
  EXPECT_EQ(Norm("微\u200B信"), "微信");
  EXPECT_EQ(Norm("微😀信"), "微信");
  EXPECT_EQ(Norm("微★信"), "微信");
  EXPECT_EQ(Norm("微👍🏽信"), "微信");
  EXPECT_EQ(Norm("微\uFE0F信"), "微信");
}

TEST(Normalize, ConvertsDigitWordRuns) {
  EXPECT_EQ(Norm("一三八一二三四五六七八"), "13812345678");
  EXPECT_EQ(Norm("壹叁捌"), "138");
  EXPECT_EQ(Norm("幺三八"), "138");
  EXPECT_EQ(Norm("第一次"), "第一次");
  EXPECT_EQ(Norm("一两天"), "一两天");
}

TEST(Normalize, MapsOffsetsBackToTheOriginal) {
  std::string s = "亲😀，加ｖ－ｘ吧";
  auto n = Normalize(s).value();
  EXPECT_EQ(n.Utf8(), "亲加vx吧");
  EXPECT_EQ(n.original_length, 8u);
  // "vx" is normalised code points 2..4; it came from "ｖ－ｘ" at original 4..7.
  auto [b, e] = n.OriginalSpan(2, 4);
  EXPECT_EQ(b, 4u);
  EXPECT_EQ(e, 7u);
  EXPECT_EQ(Orig(s, n, 2, 4), "ｖ－ｘ");
  EXPECT_TRUE(n.GapBefore(1));
}

TEST(Normalize, ExpansionsShareTheirOriginalSpan) {
  std::string s = "a\uFB01b";  // ﬁ ligature
  auto n = Normalize(s).value();
  EXPECT_EQ(n.Utf8(), "afib");
  EXPECT_EQ(Orig(s, n, 1, 3), "\uFB01");
}

TEST(Normalize, OptionsCanKeepSeparators) {
  NormalizeOptions o;
  o.drop_separators = false;
  EXPECT_EQ(Normalize("微 信", o).value().Utf8(), "微 信");
  o = NormalizeOptions();
  o.simplify = false;
  EXPECT_EQ(Normalize("微信號", o).value().Utf8(), "微信號");
}

TEST(Normalize, EmptyTextIsEmpty) {
  auto n = Normalize("").value();
  EXPECT_TRUE(n.text.empty());
  EXPECT_EQ(n.original_length, 0u);
}

TEST(Normalize, HandlesAMegabyte) {
  std::string s;
  while (s.size() < (1 << 20)) s += "亲，您好😀ＡＢＣ１２３。";
  auto n = Normalize(s);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->text.size(), n->begin.size());
  EXPECT_GT(n->text.size(), 100000u);
}

TEST(Normalize, FoldsVariantCharacters) {
  EXPECT_EQ(Norm("支付寳"), "支付宝");
  EXPECT_EQ(Norm("淘寳"), "淘宝");
}

// The pinyin form ScanForms documents, built from the public per-character functions.
std::string ExpectedPinyinForm(std::u32string_view text) {
  std::string out;
  for (char32_t c : text) {
    if (c < 0x80) {
      bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      out.push_back(alnum ? static_cast<char>(c) : '\x01');
    } else if (!Pinyin(c).empty()) {
      out.append(Pinyin(c));
    } else {
      out.push_back('\x01');
    }
  }
  return out;
}

// ScanForms must agree with Normalize (text, spans, gaps) and with Pinyin, whatever came before
// in the same object (its buffers are reused).
void ExpectScanFormsMatchNormalize(ScanForms& f, std::string_view s) {
  auto n = Normalize(s);
  auto st = f.Assign(s);
  ASSERT_EQ(st.ok(), n.ok()) << s;
  if (!n.ok()) {
    EXPECT_EQ(st.message(), n.status().message());
    EXPECT_EQ(f.size(), 0u);
    return;
  }
  ASSERT_EQ(std::u32string(f.text()), n->text) << s;
  EXPECT_EQ(f.original_length(), n->original_length);
  std::u32string cps = DecodeUtf8(s).value();
  for (size_t i = 0; i < f.size(); ++i) {
    EXPECT_EQ(f.OriginalSpan(i, i + 1), n->OriginalSpan(i, i + 1)) << s << " at " << i;
    EXPECT_EQ(f.GapBefore(i), n->GapBefore(i)) << s << " at " << i;
    auto [b, e] = n->OriginalSpan(i, i + 1);
    EXPECT_EQ(f.OriginalSubstr(s, i, i + 1), EncodeUtf8(std::u32string_view(cps).substr(b, e - b)));
    char32_t c = n->text[i];
    EXPECT_EQ(f.bmp()[i], c < 0x10000 ? static_cast<char16_t>(c) : u'\uFFFF');
    EXPECT_EQ(f.IndexAtPinyinByte(f.pinyin_offset(i)), static_cast<long>(i));
  }
  EXPECT_EQ(std::string(f.pinyin()), ExpectedPinyinForm(n->text)) << s;
  EXPECT_EQ(f.IndexAtPinyinByte(f.pinyin().size()), static_cast<long>(f.size()));
  size_t alnum = 0;
  for (char32_t c : n->text) alnum += (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  EXPECT_EQ(f.ascii_alnum().size(), alnum) << s;
  for (uint32_t k : f.ascii_alnum()) EXPECT_LT(n->text[k], 0x80u);
}

TEST(ScanForms, MatchNormalizeAndPinyin) {
  ScanForms f;
  std::string big;
  while (big.size() < (1 << 20)) big += "亲，您好😀ＡＢＣ１２３。一三八一二三四五六七八 ﬁ 𠀀";
  const std::vector<std::string> texts = {
      "", "亲，加ｖ－ｘ吧", "😀亲😀，加ｖ－ｘ吧", "微信號 支付寶 淘寳", "一三八一二三四五六七八", "第一次，一两天",
      "壹叁捌 幺三八 2二2", "a\uFB01b ﬁﬁ", "①②③ ⑫ ㈠㊀ ㍿", "𠀀𪚥 \U0002F800\uFA6C", "微\u200B信 微\uFE0F信 微👍🏽信",
      "İstanbul ß ǅ Ⅻ µ", "WEI信 weixin V: kefu2024 QQ 12345678", "\uFDFA", "ab\xFF" "c", "a\xED\xA0\x80",
      "\xE4\xBD", "\xF4\x90\x80\x80", "绿泡泡 lǜ", "\U0010FFFD\U000E0041x", big, "短", big.substr(0, 4096)};
  for (const auto& s : texts) ExpectScanFormsMatchNormalize(f, s);
}

TEST(ScanForms, PinyinFilterKeepsOnlyUnitsInsidePatterns) {
  PinyinFilter filter({"weixin", "taobao"});
  ScanForms f;
  ASSERT_TRUE(f.Assign("微信的淘宝zq", &filter).ok());
  // 微 wei, 信 xin, 淘 tao, 宝 bao stay; 的 (de) and z, q occur in no pattern.
  EXPECT_EQ(std::string(f.pinyin()), "weixin\x01taobao\x01\x01");
  EXPECT_EQ(f.IndexAtPinyinByte(7), 3);
  ASSERT_TRUE(f.Assign("微信的淘宝zq").ok());
  EXPECT_EQ(std::string(f.pinyin()), "weixindetaobaozq");
}

TEST(Pinyin, GivesTonelessSyllables) {
  EXPECT_EQ(Pinyin(U'微'), "wei");
  EXPECT_EQ(Pinyin(U'威'), "wei");
  EXPECT_EQ(Pinyin(U'薇'), "wei");
  EXPECT_EQ(Pinyin(U'维'), "wei");
  EXPECT_EQ(Pinyin(U'信'), "xin");
  EXPECT_EQ(Pinyin(U'绿'), "lv");
  EXPECT_EQ(Pinyin(U'a'), "");
  EXPECT_EQ(ToPinyin(U"微信", ""), "weixin");
  EXPECT_EQ(ToPinyin(U"威信a", " "), "wei xin a");
}

TEST(CharClass, KnowsHanAndDigitWords) {
  EXPECT_TRUE(IsHan(U'微'));
  EXPECT_FALSE(IsHan(U'a'));
  EXPECT_TRUE(IsSeparator(U'，'));
  EXPECT_TRUE(IsSeparator(U'\u200B'));
  EXPECT_FALSE(IsSeparator(U'q'));
  EXPECT_EQ(DigitWordValue(U'叁'), 3);
  EXPECT_EQ(DigitWordValue(U'微'), -1);
}

}  // namespace
}  // namespace kefu::text

namespace kefu::text {
namespace {

// Found by the fuzzer: a character reached through an expansion (詝 -> its simplified form)
// lost its syllable in the scan form's pinyin.
TEST(ScanForms, PinyinOfCharactersReachedThroughExpansions) {
  const std::string in = "Q\xe7\x94\xb5\xe8\xa9\x9d 138 12\x11";
  auto norm = Normalize(in);
  ASSERT_TRUE(norm.ok());
  ScanForms forms;
  ASSERT_TRUE(forms.Assign(in).ok());
  std::string want;
  for (char32_t c : norm->text) {
    if (c < 0x80) {
      want.push_back(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ? static_cast<char>(c) : '\x01');
    } else if (!Pinyin(c).empty()) {
      want.append(Pinyin(c));
    } else {
      want.push_back('\x01');
    }
  }
  EXPECT_EQ(forms.pinyin(), want);
}

}  // namespace
}  // namespace kefu::text
