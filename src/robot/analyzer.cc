// Normalisation and segmentation. Chinese has no spaces, so words come from a
// max-probability segmentation over a dictionary (unigram language model, dynamic
// programming); character bigrams and unigrams of the canonical text back it up where the
// dictionary lacks a word, so a missing word costs recall only a little.
#include "robot/internal/analyzer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>

#include <unicode/unistr.h>

#include "embedded/robot_data.h"
#include "text/text.h"

namespace kefu::robot::internal {
namespace {

bool IsDigit(char32_t c) { return c >= '0' && c <= '9'; }
bool IsLatin(char32_t c) { return (c >= 'a' && c <= 'z'); }

std::u32string Utf8To32(std::string_view s) {
  std::u32string out;
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), s.size()));
  for (int32_t i = 0; i < u.length();) {
    UChar32 c = u.char32At(i);
    out.push_back(static_cast<char32_t>(c));
    i += U16_LENGTH(c);
  }
  return out;
}

}  // namespace

std::u32string CollapseAnotA(std::u32string s) {
  // 包不包邮 -> 包邮, 能不能 -> 能, 有没有 -> 有, 可不可以 -> 可以: the A-not-A question is a yes/no
  // question about A, and its first half only repeats A (and the 不 would read as a negation).
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (i + 2 < s.size() && (s[i + 1] == U'不' || s[i + 1] == U'没') && s[i] == s[i + 2] &&
        text::IsHan(s[i])) {
      ++i;  // skip A and 不; A is written by the next round
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

std::u32string DropTrailingNegation(std::u32string s) {
  // 包邮不 / 有货没 / 能补差价不: a final 不 or 没 after a clause asks yes or no (like 吗); read as
  // a word it would negate the question. Only at the end of a Chinese run of three or more.
  std::u32string out;
  out.reserve(s.size());
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool han = text::IsHan(s[i]);
    const bool ends_run = han && (i + 1 == s.size() || !text::IsHan(s[i + 1]));
    if (ends_run && run >= 2 && (s[i] == U'不' || s[i] == U'没')) {
      run = 0;
      continue;
    }
    run = han ? run + 1 : 0;
    out.push_back(s[i]);
  }
  return out;
}

uint32_t IntentMask(std::u32string_view s) {
  // What kind of answer the buyer wants, from the question words (a coarse, fixed list; the
  // words are matched in the normalised text, so segmentation does not matter).
  struct Cue {
    std::u32string_view text;
    uint32_t mask;
  };
  static constexpr Cue kCues[] = {
      {U"多久", kIntentWhen}, {U"多长时间", kIntentWhen}, {U"什么时候", kIntentWhen},
      {U"啥时候", kIntentWhen}, {U"几天", kIntentWhen}, {U"多少天", kIntentWhen},
      {U"何时", kIntentWhen}, {U"几时", kIntentWhen}, {U"哪天", kIntentWhen},
      {U"几号", kIntentWhen}, {U"几点", kIntentWhen}, {U"要等", kIntentWhen},
      {U"多少钱", kIntentAmount}, {U"多少", kIntentAmount}, {U"几块", kIntentAmount},
      {U"价格", kIntentAmount}, {U"几个", kIntentAmount}, {U"几件", kIntentAmount},
      {U"怎么", kIntentHow}, {U"如何", kIntentHow}, {U"怎样", kIntentHow}, {U"咋", kIntentHow},
      {U"哪里", kIntentWhere}, {U"哪儿", kIntentWhere}, {U"在哪", kIntentWhere},
      {U"什么地方", kIntentWhere}, {U"哪个", kIntentWhich}, {U"哪家", kIntentWhich},
      {U"什么", kIntentWhich}, {U"啥", kIntentWhich}, {U"哪些", kIntentWhich},
      {U"为什么", kIntentWhy}, {U"为啥", kIntentWhy}, {U"怎么回事", kIntentWhy},
      {U"咋回事", kIntentWhy}, {U"怎么还", kIntentWhy}, {U"还没", kIntentWhy},
  };
  uint32_t mask = 0;
  for (const auto& cue : kCues) {
    if (s.find(cue.text) != std::u32string_view::npos) mask |= cue.mask;
  }
  return mask;
}

std::u32string NormalizeToCodePoints(std::string_view text) {
  // The text module's normalisation (the compliance guard's), keeping separators: they end a
  // Chinese run, and a question's parts should not run into each other. Digit words stay
  // words (一件 is not 1件).
  static constexpr text::NormalizeOptions kOptions{.fold = true, .simplify = true,
                                                   .drop_separators = false, .digit_words = false};
  auto n = text::Normalize(text, kOptions);
  if (n.ok()) return std::move(n->text);
  // Invalid UTF-8 (a buyer's text is never rejected): bad bytes become U+FFFD first.
  return text::Normalize(Utf8To32(text), kOptions).text;
}

std::string ToUtf8(std::u32string_view s) { return text::EncodeUtf8(s); }

Analyzer::Analyzer(const Lexicon& lexicon,
                   const std::vector<std::vector<std::string>>& extra_synonyms,
                   const std::vector<std::string>& extra_words) {
  constexpr double kDefaultFreq = 1000;  // synonym/stop/product words without a count
  std::map<std::u32string, double> freq;
  auto add = [&](const std::string& w, double f) {
    std::u32string n = NormalizeToCodePoints(w);
    if (n.empty()) return;
    auto& slot = freq[n];
    slot = std::max(slot, f);
  };
  for (const auto& [w, f] : lexicon.words) add(w, f);
  for (const auto& w : lexicon.stopwords) add(w, kDefaultFreq);
  std::vector<std::vector<std::string>> groups = lexicon.synonym_groups;
  groups.insert(groups.end(), extra_synonyms.begin(), extra_synonyms.end());
  for (const auto& g : groups) {
    for (const auto& w : g) add(w, kDefaultFreq);
  }
  // Product names must stay whole, so they outweigh any split.
  for (const auto& w : extra_words) add(w, kDefaultFreq * 5);

  // Shop words and general words each form a distribution; a word's probability mixes them
  // (Lexicon::general_share), so shop talk keeps its own ranks and general words (详细, 城市,
  // 平时) stop falling apart into single characters.
  double shop_total = 0, general_total = 0;
  for (const auto& [w, f] : freq) shop_total += f;
  std::unordered_map<std::u32string, double> general;
  general.reserve(lexicon.general_words.size());
  for (const auto& [w, f] : lexicon.general_words) {
    // Character by character (table lookups): the full normalisation of 78k words would cost
    // every Matcher::Build a few hundred milliseconds.
    auto decoded = text::DecodeUtf8(w);
    if (!decoded.ok()) continue;
    std::u32string n;
    for (char32_t c : *decoded) n += text::NormalizeChar(c);
    if (n.empty()) continue;
    auto& slot = general[n];
    slot = std::max(slot, f);
    general_total += f;
  }
  const double share = general.empty() ? 0.0 : std::clamp(lexicon.general_share, 0.0, 1.0);
  for (const auto& [w, f] : general) freq.emplace(w, 0.0);
  double min_p = 1;
  for (const auto& [w, f] : freq) {
    double p = shop_total > 0 ? (1 - share) * f / shop_total : 0;
    if (share > 0) {
      auto it = general.find(w);
      if (it != general.end()) p += share * it->second / general_total;
    }
    if (!(p > 0)) continue;
    min_p = std::min(min_p, p);
    storage_.push_back(w);
    std::u32string_view key = storage_.back();
    logp_[key] = static_cast<float>(std::log(p));
    max_len_ = std::max(max_len_, key.size());
  }
  // Unknown single characters: rarer than any listed word.
  unknown_logp_ = static_cast<float>(std::log(min_p / 10));
  // Rarity 1 is a word seen once in the larger of the two counts.
  rarity_scale_ = -std::log(std::max(min_p, 1e-300));
  auto view_of = [&](const std::string& w) -> std::u32string_view {
    std::u32string n = NormalizeToCodePoints(w);
    auto it = logp_.find(n);
    if (it != logp_.end()) return it->first;
    storage_.push_back(n);
    return storage_.back();
  };
  for (const auto& w : lexicon.stopwords) stop_.insert(view_of(w));
  // Later groups (the shop's) override earlier ones for the same word.
  for (const auto& g : groups) {
    if (g.empty()) continue;
    std::u32string_view head = view_of(g[0]);
    for (const auto& w : g) canon_[view_of(w)] = head;
  }
}

void Analyzer::Segment(std::u32string_view run, std::vector<std::u32string_view>* out) const {
  const size_t n = run.size();
  std::vector<float> best(n + 1, -1e30f);
  std::vector<size_t> from(n + 1, 0);
  best[0] = 0;
  for (size_t i = 0; i < n; ++i) {
    if (best[i] <= -1e29f) continue;
    for (size_t len = 1; len <= max_len_ && i + len <= n; ++len) {
      auto it = logp_.find(run.substr(i, len));
      float lp;
      if (it != logp_.end()) {
        lp = it->second;
      } else if (len == 1) {
        lp = unknown_logp_;
      } else {
        continue;
      }
      if (best[i] + lp > best[i + len]) {
        best[i + len] = best[i] + lp;
        from[i + len] = i;
      }
    }
  }
  std::vector<std::u32string_view> rev;
  for (size_t j = n; j > 0; j = from[j]) rev.push_back(run.substr(from[j], j - from[j]));
  out->insert(out->end(), rev.rbegin(), rev.rend());
}

void Analyzer::Tokenize(std::string_view text, std::vector<std::u32string>* words,
                        std::vector<bool>* is_number,
                        std::vector<std::u32string>* cjk_streams, bool canonical) const {
  std::u32string s = DropTrailingNegation(CollapseAnotA(NormalizeToCodePoints(text)));
  auto emit = [&](std::u32string_view w, bool number, std::u32string* stream) {
    if (stop_.count(w)) return;
    auto it = canonical ? canon_.find(w) : canon_.end();
    std::u32string_view c = it == canon_.end() ? w : it->second;
    if (stop_.count(c)) return;
    words->emplace_back(c);
    is_number->push_back(number);
    if (stream) stream->append(c);
  };
  size_t i = 0;
  std::vector<std::u32string_view> seg;
  while (i < s.size()) {
    char32_t c = s[i];
    size_t j = i + 1;
    if (text::IsHan(c)) {
      while (j < s.size() && text::IsHan(s[j])) ++j;
      seg.clear();
      Segment(std::u32string_view(s).substr(i, j - i), &seg);
      std::u32string stream;
      for (auto w : seg) emit(w, false, &stream);
      if (!stream.empty()) cjk_streams->push_back(std::move(stream));
    } else if (IsDigit(c)) {
      while (j < s.size() && (IsDigit(s[j]) || s[j] == '.')) ++j;
      emit(std::u32string_view(s).substr(i, j - i), true, nullptr);
    } else if (IsLatin(c)) {
      while (j < s.size() && IsLatin(s[j])) ++j;
      emit(std::u32string_view(s).substr(i, j - i), false, nullptr);
    }
    i = j;
  }
}

uint32_t Analyzer::Intent(std::string_view text) const {
  return IntentMask(NormalizeToCodePoints(text));
}

std::vector<Term> Analyzer::Analyze(std::string_view text) const {
  std::vector<std::u32string> words;
  std::vector<bool> is_number;
  std::vector<std::u32string> streams;
  Tokenize(text, &words, &is_number, &streams);
  std::vector<Term> terms;
  std::unordered_set<std::string> seen;
  auto add = [&](TermKind kind, std::u32string_view t) {
    std::string key(1, static_cast<char>('0' + static_cast<int>(kind)));
    std::string utf8 = ToUtf8(t);
    key += utf8;
    if (seen.insert(key).second) terms.push_back(Term{std::move(key), kind, std::move(utf8)});
  };
  for (size_t k = 0; k < words.size(); ++k) {
    add(is_number[k] ? TermKind::kNumber : TermKind::kWord, words[k]);
  }
  for (const auto& st : streams) {
    for (size_t k = 0; k + 1 < st.size(); ++k) add(TermKind::kBigram, std::u32string_view(st).substr(k, 2));
    for (size_t k = 0; k < st.size(); ++k) add(TermKind::kUnigram, std::u32string_view(st).substr(k, 1));
  }
  return terms;
}

std::vector<std::pair<std::string, int>> Analyzer::Ngrams(std::string_view text,
                                                          bool canonical) const {
  std::vector<std::u32string> words;
  std::vector<bool> is_number;
  std::vector<std::u32string> streams;
  Tokenize(text, &words, &is_number, &streams, canonical);
  std::unordered_map<std::string, int> counts;
  for (size_t k = 0; k < words.size(); ++k) {
    if (!words[k].empty() && !text::IsHan(words[k][0])) ++counts[ToUtf8(words[k])];
  }
  for (const auto& st : streams) {
    std::u32string_view v(st);
    for (size_t n = 1; n <= 3; ++n) {
      for (size_t k = 0; k + n <= v.size(); ++k) ++counts[ToUtf8(v.substr(k, n))];
    }
  }
  return {counts.begin(), counts.end()};
}

double Analyzer::Rarity(std::string_view utf8_word) const {
  std::u32string w = Utf8To32(utf8_word);
  auto it = logp_.find(w);
  // Single characters outside the dictionary are mostly function characters; longer unknown
  // strings are content (product words, places) and weigh fully.
  if (it == logp_.end()) return w.size() == 1 ? 0.5 : 1.0;
  // Linear in log-probability between the most frequent words (0.2) and the rarest (1).
  double r = -it->second / rarity_scale_;
  return std::clamp(r, 0.2, 1.0);
}

std::vector<std::string> Analyzer::Words(std::string_view text) const {
  std::vector<std::u32string> words;
  std::vector<bool> is_number;
  std::vector<std::u32string> streams;
  Tokenize(text, &words, &is_number, &streams);
  std::vector<std::string> out;
  for (const auto& w : words) out.push_back(ToUtf8(w));
  return out;
}

}  // namespace kefu::robot::internal

namespace kefu::robot {

std::string Normalize(std::string_view text) {
  return internal::ToUtf8(internal::NormalizeToCodePoints(text));
}

core::Result<Lexicon> ParseLexicon(std::string_view dict, std::string_view synonyms,
                                   std::string_view stopwords, std::string_view general_dict) {
  Lexicon lex;
  auto lines = [](std::string_view text, auto fn) -> core::Status {
    size_t pos = 0, no = 0;
    while (pos < text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      std::string_view line = text.substr(pos, nl - pos);
      pos = nl + 1;
      ++no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty() || line[0] == '#') continue;
      std::vector<std::string> fields;
      size_t p = 0;
      while (p < line.size()) {
        size_t q = line.find_first_of(" \t", p);
        if (q == std::string_view::npos) q = line.size();
        if (q > p) fields.emplace_back(line.substr(p, q - p));
        p = q + 1;
      }
      if (fields.empty()) continue;
      KEFU_TRY(fn(no, fields));
    }
    return core::Status::Ok();
  };
  KEFU_TRY(lines(dict, [&](size_t no, const std::vector<std::string>& f) -> core::Status {
    double freq = 1;
    if (f.size() > 2) return core::InvalidArgument("dict line " + std::to_string(no) + ": want `word frequency`");
    if (f.size() == 2) {
      char* end = nullptr;
      freq = std::strtod(f[1].c_str(), &end);
      if (end == f[1].c_str() || *end != '\0' || !(freq > 0)) {
        return core::InvalidArgument("dict line " + std::to_string(no) + ": frequency must be a positive number");
      }
    }
    lex.words.emplace_back(f[0], freq);
    return core::Status::Ok();
  }));
  KEFU_TRY(lines(general_dict, [&](size_t no, const std::vector<std::string>& f) -> core::Status {
    char* end = nullptr;
    const double freq = f.size() == 2 ? std::strtod(f[1].c_str(), &end) : 0;
    if (f.size() != 2 || end == f[1].c_str() || *end != '\0' || !(freq > 0)) {
      return core::InvalidArgument("general dict line " + std::to_string(no) + ": want `word frequency`");
    }
    lex.general_words.emplace_back(f[0], freq);
    return core::Status::Ok();
  }));
  KEFU_TRY(lines(synonyms, [&](size_t, const std::vector<std::string>& f) -> core::Status {
    lex.synonym_groups.push_back(f);
    return core::Status::Ok();
  }));
  KEFU_TRY(lines(stopwords, [&](size_t, const std::vector<std::string>& f) -> core::Status {
    lex.stopwords.insert(lex.stopwords.end(), f.begin(), f.end());
    return core::Status::Ok();
  }));
  return lex;
}

const Lexicon& DefaultLexicon() {
  static const Lexicon* lex = [] {
    auto r = ParseLexicon(kefu::embedded::robot_data("data/robot/dict.txt"),
                          kefu::embedded::robot_data("data/robot/synonyms.txt"),
                          kefu::embedded::robot_data("data/robot/stopwords.txt"),
                          kefu::embedded::robot_data("data/robot/general-words.txt"));
    KEFU_DCHECK(r.ok(), "the embedded lexicon in data/robot/ must parse");
    return new Lexicon(std::move(r).value());
  }();
  return *lex;
}

}  // namespace kefu::robot
