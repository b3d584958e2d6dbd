// Text analysis for matching: normalisation, max-probability word segmentation over a
// dictionary, synonyms, stopwords, and the terms (words, character bigrams and unigrams,
// numbers) the index is built from.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "robot/robot.h"

namespace kefu::robot::internal {

enum class TermKind : uint8_t { kWord = 0, kBigram = 1, kUnigram = 2, kNumber = 3 };

struct Term {
  std::string key;  // kind tag byte + UTF-8 text; unique per (kind, text)
  TermKind kind;
  std::string text;  // UTF-8, for explanations
};

// NFKC + case fold + traditional -> simplified, as code points.
std::u32string NormalizeToCodePoints(std::string_view text);
std::string ToUtf8(std::u32string_view s);
// Drops the first "A不" / "A没" of an A-not-A question (包不包邮 -> 包邮, 有没有 -> 有).
std::u32string CollapseAnotA(std::u32string s);
// Drops a final 不/没 that ends a Chinese run of three or more characters (包邮不 -> 包邮).
std::u32string DropTrailingNegation(std::u32string s);

// Question kinds (IntentMask bits): when, how much/many, how, where, which/what, why.
inline constexpr uint32_t kIntentWhen = 1, kIntentAmount = 2, kIntentHow = 4, kIntentWhere = 8,
                          kIntentWhich = 16, kIntentWhy = 32;
// The question kinds cued in normalised text `s`.
uint32_t IntentMask(std::u32string_view s);

// Immutable after construction; all methods are const and thread-safe.
class Analyzer {
 public:
  Analyzer(const Lexicon& lexicon, const std::vector<std::vector<std::string>>& extra_synonyms,
           const std::vector<std::string>& extra_words);

  // IntentMask of the normalised `text`.
  uint32_t Intent(std::string_view text) const;
  // The distinct terms of `text`.
  std::vector<Term> Analyze(std::string_view text) const;
  // How rare a word is in general shop talk, in [0, 1]: 1 for words outside the dictionary,
  // lower for frequent dictionary words (我, 买, 衣服). Weighs buyer words the KB never uses.
  double Rarity(std::string_view utf8_word) const;
  // The canonical non-stopword words of `text`, in order.
  std::vector<std::string> Words(std::string_view text) const;
  // Character n-gram keys (n = 1..3 within each Chinese run, whole Latin and number words) of
  // `text` after stopwords, with their counts; canonical (synonyms applied) or as written.
  std::vector<std::pair<std::string, int>> Ngrams(std::string_view text, bool canonical) const;

 private:
  void AddWord(std::u32string_view w, double freq);
  void Segment(std::u32string_view run, std::vector<std::u32string_view>* out) const;
  // Canonical words (stopwords removed) and, per CJK run, the joined canonical string.
  void Tokenize(std::string_view text, std::vector<std::u32string>* words,
                std::vector<bool>* is_number, std::vector<std::u32string>* cjk_streams,
                bool canonical = true) const;

  std::deque<std::u32string> storage_;  // owns the keys the views below point into
  std::unordered_map<std::u32string_view, float> logp_;
  std::unordered_map<std::u32string_view, std::u32string_view> canon_;
  std::unordered_set<std::u32string_view> stop_;
  size_t max_len_ = 1;
  float unknown_logp_ = -20;
  double rarity_scale_ = 20;  // -log p of the rarest word
};

}  // namespace kefu::robot::internal
