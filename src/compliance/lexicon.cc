// Parses the embedded lexicon files and the [compliance] tables of the platform profiles. toml++
// stays inside this file.
#include "compliance/internal/lexicon.h"

#include <toml++/toml.h>

#include <set>

#include "embedded/compliance_data.h"
#include "text/text.h"

namespace kefu::compliance::internal {
namespace {

constexpr std::string_view kCategories[] = {"third_party", "off_platform", "uncivil",
                                            "filler",      "extreme_word", "over_promise"};

std::vector<std::string_view> SplitLines(std::string_view data) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string_view::npos) nl = data.size();
    std::string_view line = data.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    pos = nl + 1;
  }
  return out;
}

std::vector<std::string_view> SplitTabs(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    size_t tab = line.find('\t', pos);
    out.push_back(line.substr(pos, tab == std::string_view::npos ? std::string_view::npos : tab - pos));
    if (tab == std::string_view::npos) break;
    pos = tab + 1;
  }
  return out;
}

core::Result<std::u32string> NormWord(std::string_view word, const std::string& where) {
  auto n = text::Normalize(word);
  if (!n.ok()) return core::Internal(where + ": " + n.status().message());
  if (n->text.empty()) return core::Internal(where + ": word \"" + std::string(word) + "\" normalises to nothing");
  return std::move(n->text);
}

core::Status LoadCategory(std::string_view category, Lexicon* lex) {
  std::string path = "data/lexicons/" + std::string(category) + ".tsv";
  std::string_view data = embedded::compliance_data(path);
  if (data.empty()) return core::Internal(path + " is not embedded");
  auto lines = SplitLines(data);
  if (lines.empty() || lines[0].rfind("# source:", 0) != 0) {
    return core::Internal(path + ": first line must be '# source: ...'");
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (line.empty() || line[0] == '#') continue;
    std::string where = path + ":" + std::to_string(i + 1);
    auto f = SplitTabs(line);
    if (f.size() != 4) return core::Internal(where + ": want word<TAB>rule<TAB>flags<TAB>suggestion");
    Entry e;
    e.word = std::string(f[0]);
    KEFU_ASSIGN_OR_RETURN(e.norm, NormWord(f[0], where));
    e.norm_utf8 = text::EncodeUtf8(e.norm);
    e.pinyin = text::ToPinyin(e.norm, "");
    e.category = std::string(category);
    e.rule = std::string(f[1]);
    e.rule_pinyin = e.rule + ".pinyin";
    e.suggestion = std::string(f[3]);
    e.replacements = ReplacementsOf(e.suggestion);
    e.severity = CategorySeverity(category);
    std::string_view flags = f[2];
    size_t pos = 0;
    while (flags != "-" && pos <= flags.size()) {
      size_t comma = flags.find(',', pos);
      std::string_view flag = flags.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
      if (flag == "pinyin") {
        e.homophones = true;
      } else if (flag == "latin") {
        e.latin = true;
      } else if (flag == "whole") {
        e.whole = true;
      } else {
        return core::Internal(where + ": unknown flag '" + std::string(flag) + "'");
      }
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
    lex->entries.push_back(std::move(e));
  }
  return core::Status::Ok();
}

core::Status LoadAllow(Lexicon* lex) {
  const std::string path = "data/lexicons/allow.tsv";
  std::string_view data = embedded::compliance_data(path);
  auto lines = SplitLines(data);
  if (lines.empty() || lines[0].rfind("# source:", 0) != 0) {
    return core::Internal(path + ": first line must be '# source: ...'");
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty() || lines[i][0] == '#') continue;
    auto f = SplitTabs(lines[i]);
    KEFU_ASSIGN_OR_RETURN(auto norm, NormWord(f[0], path + ":" + std::to_string(i + 1)));
    lex->allow.push_back(std::move(norm));
  }
  return core::Status::Ok();
}

core::Status LoadProfile(core::Platform platform, Lexicon* lex) {
  std::string path = "config/platforms/" + std::string(core::PlatformName(platform)) + ".toml";
  std::string_view data = embedded::compliance_data(path);
  if (data.empty()) return core::Internal(path + " is not embedded");
  std::set<std::u32string> own;
  try {
    toml::table tbl = toml::parse(data, path);
    const toml::array* words = tbl["compliance"]["own_words"].as_array();
    if (words != nullptr) {
      for (const auto& w : *words) {
        auto s = w.value<std::string>();
        if (!s) return core::Internal(path + ": [compliance] own_words must be strings");
        KEFU_ASSIGN_OR_RETURN(auto norm, NormWord(*s, path));
        own.insert(std::move(norm));
      }
    }
  } catch (const toml::parse_error& err) {
    return core::Internal(path + ": " + std::string(err.description()));
  }
  uint8_t bit = static_cast<uint8_t>(1u << static_cast<int>(platform));
  for (Entry& e : lex->entries) {
    if (e.category == "third_party" && own.count(e.norm)) e.own_mask |= bit;
  }
  return core::Status::Ok();
}

}  // namespace

Severity CategorySeverity(std::string_view category) {
  if (category == "filler" || category == "extreme_word" || category == "over_promise") {
    return Severity::kWarn;
  }
  return Severity::kBlock;
}

core::Result<Lexicon> LoadLexicon() {
  Lexicon lex;
  for (std::string_view c : kCategories) KEFU_TRY(LoadCategory(c, &lex));
  KEFU_TRY(LoadAllow(&lex));
  for (core::Platform p : {core::Platform::kPdd, core::Platform::kTaobao, core::Platform::kKuaishou,
                           core::Platform::kJd}) {
    KEFU_TRY(LoadProfile(p, &lex));
  }
  return lex;
}

}  // namespace kefu::compliance::internal
