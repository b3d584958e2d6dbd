// Runs every labelled message in tests/compliance/cases/*.jsonl through the guard, prints
// per-category precision and recall, and holds the acceptance bars: third_party recall >= 0.95,
// false blocks on clean messages <= 2%. Every reported span must cut its match out of the
// original text (code points).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "compliance/compliance.h"
#include "text/text.h"

namespace kefu::compliance {
namespace {

struct Case {
  std::string file;
  std::string id;
  core::Platform platform = core::Platform::kPdd;
  std::string text;
  std::set<std::string> expect;
};

// A minimal reader for the flat JSON objects of the case files (string values, one string array).
std::string StringField(const std::string& line, const std::string& key) {
  std::string pat = "\"" + key + "\": \"";
  size_t p = line.find(pat);
  if (p == std::string::npos) return "";
  p += pat.size();
  std::string out;
  while (p < line.size() && line[p] != '"') {
    if (line[p] == '\\' && p + 1 < line.size()) {
      char c = line[++p];
      if (c == 'u') {
        unsigned v = std::stoul(line.substr(p + 1, 4), nullptr, 16);
        text::AppendUtf8(static_cast<char32_t>(v), &out);
        p += 5;
        continue;
      }
      out.push_back(c == 'n' ? '\n' : c);
      ++p;
      continue;
    }
    out.push_back(line[p++]);
  }
  return out;
}

std::set<std::string> ArrayField(const std::string& line, const std::string& key) {
  std::set<std::string> out;
  std::string pat = "\"" + key + "\": [";
  size_t p = line.find(pat);
  if (p == std::string::npos) return out;
  p += pat.size();
  size_t end = line.find(']', p);
  std::string body = line.substr(p, end - p);
  size_t q = 0;
  while ((q = body.find('"', q)) != std::string::npos) {
    size_t r = body.find('"', q + 1);
    out.insert(body.substr(q + 1, r - q - 1));
    q = r + 1;
  }
  return out;
}

std::vector<Case> LoadCases() {
  std::vector<Case> cases;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator("tests/compliance/cases")) {
    if (e.path().extension() == ".jsonl") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      if (header) {  // {"name", "description"}
        header = false;
        EXPECT_NE(line.find("\"description\""), std::string::npos) << f << " lacks a header";
        continue;
      }
      Case c;
      c.file = f.filename().string();
      c.id = StringField(line, "id");
      c.text = StringField(line, "text");
      c.platform = core::ParsePlatform(StringField(line, "platform")).value_or(core::Platform::kPdd);
      c.expect = ArrayField(line, "expect");
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

TEST(ComplianceCases, MeetsRecallAndFalseBlockBars) {
  auto guard = Guard::Create();
  ASSERT_TRUE(guard.ok()) << guard.status().ToString();
  auto cases = LoadCases();
  ASSERT_GE(cases.size(), 300u);
  const std::vector<std::string> cats = {"third_party", "off_platform", "uncivil",
                                         "filler",      "extreme_word", "over_promise"};
  std::map<std::string, int> tp, fp, fn;
  int clean = 0, clean_blocked = 0;
  for (const Case& c : cases) {
    auto r = (*guard)->Check(c.text, c.platform);
    ASSERT_TRUE(r.ok()) << c.id << ": " << r.status().ToString();
    auto cps = text::DecodeUtf8(c.text).value();
    std::set<std::string> got;
    for (const auto& v : r->violations) {
      got.insert(v.category);
      ASSERT_LE(v.end, cps.size()) << c.id;
      ASSERT_LT(v.start, v.end) << c.id;
      EXPECT_EQ(text::EncodeUtf8(std::u32string_view(cps).substr(v.start, v.end - v.start)), v.match)
          << c.id;
    }
    for (const auto& cat : cats) {
      bool want = c.expect.count(cat) > 0, have = got.count(cat) > 0;
      if (want && have) ++tp[cat];
      if (!want && have) ++fp[cat];
      if (want && !have) {
        ++fn[cat];
        std::printf("  missed %-12s %s: %s\n", cat.c_str(), c.id.c_str(), c.text.c_str());
      }
      if (!want && have) std::printf("  extra  %-12s %s: %s\n", cat.c_str(), c.id.c_str(), c.text.c_str());
    }
    if (c.expect.empty()) {
      ++clean;
      if (!r->ok) {
        ++clean_blocked;
        std::printf("  false block %s: %s (%s)\n", c.id.c_str(), c.text.c_str(),
                    r->violations.front().category.c_str());
      }
    }
  }
  std::printf("\n  %-13s %9s %9s %5s %5s %5s\n", "category", "precision", "recall", "tp", "fp", "fn");
  for (const auto& cat : cats) {
    double p = tp[cat] + fp[cat] ? double(tp[cat]) / (tp[cat] + fp[cat]) : 1.0;
    double rc = tp[cat] + fn[cat] ? double(tp[cat]) / (tp[cat] + fn[cat]) : 1.0;
    std::printf("  %-13s %9.3f %9.3f %5d %5d %5d\n", cat.c_str(), p, rc, tp[cat], fp[cat], fn[cat]);
  }
  double false_block = clean ? double(clean_blocked) / clean : 0;
  std::printf("  clean messages: %d, falsely blocked: %d (%.1f%%)\n\n", clean, clean_blocked,
              100 * false_block);
  EXPECT_GE(clean, 100);
  double tp_recall = double(tp["third_party"]) / (tp["third_party"] + fn["third_party"]);
  EXPECT_GE(tp_recall, 0.95);
  EXPECT_LE(false_block, 0.02);
}

}  // namespace
}  // namespace kefu::compliance
