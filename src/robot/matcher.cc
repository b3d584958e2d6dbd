// The FAQ index and its scoring.
//
// Each standard/similar question is a document of terms (words, character bigrams and
// unigrams, numbers). A term weighs its kind's weight times its BM25 idf over entries (not
// questions, so an entry with many phrasings of one word does not make that word common).
// A question's score against a document is the F-measure of the idf-weighted overlap: how much
// of the buyer's weight the document covers (recall) and how much of the document's weight the
// buyer's question covers (precision). Unlike a raw BM25 sum this lies in [0, 1] and means the
// same on a 4-entry and a 10,000-entry knowledge base, so one threshold can decide abstention.
#include <algorithm>
#include <cmath>
#include <iterator>
#include <unordered_map>

#include "robot/internal/analyzer.h"
#include "robot/robot.h"

namespace kefu::robot {
namespace {
// A sparse vector: (id, weight) sorted by id.
using Sparse = std::vector<std::pair<uint32_t, float>>;
// A CJK character as an n-gram key (UTF-8, 3 bytes), as opposed to a bigram or a Latin word.
bool IsCharGram(const std::string& g) { return g.size() == 3 && static_cast<unsigned char>(g[0]) >= 0xE0; }
}  // namespace

struct Matcher::Impl {
  Impl(std::vector<FaqEntry> kb_in, const Lexicon& lexicon, MatcherOptions opts)
      : options(std::move(opts)),
        kb(std::move(kb_in)),
        analyzer(lexicon, options.shop_synonyms, options.product_names) {}

  struct Doc {
    uint32_t entry;
    std::vector<uint32_t> terms;  // sorted term ids
    float total = 0;              // sum of the terms' weights
  };

  double KindWeight(internal::TermKind k) const {
    switch (k) {
      case internal::TermKind::kWord: return options.word_weight;
      case internal::TermKind::kBigram: return options.bigram_weight;
      case internal::TermKind::kUnigram: return options.unigram_weight;
      case internal::TermKind::kNumber: return options.number_weight;
    }
    return 0;
  }

  MatcherOptions options;
  std::vector<FaqEntry> kb;
  internal::Analyzer analyzer;
  std::unordered_map<std::string, uint32_t> term_ids;
  std::vector<std::string> term_text;
  std::vector<internal::TermKind> term_kind;
  std::vector<float> term_weight;  // kind weight * idf
  std::vector<std::vector<uint32_t>> postings;  // term -> docs
  // term -> (entry, factor): the entry's questions (1) or only its answer (answer_weight).
  std::vector<std::vector<std::pair<uint32_t, float>>> entry_postings;
  std::vector<Doc> docs;
  std::vector<uint32_t> entry_docs;  // entry -> number of phrasings (docs)
  // entry -> sorted ids of the words its phrasings or its answer use (second-stage coverage).
  std::vector<std::vector<uint32_t>> entry_vocab;
  std::vector<std::string_view> doc_text;
  std::vector<uint32_t> entry_intent;  // entry -> union of its phrasings' IntentMask
  double unknown_idf = 0;

  // The n-gram view: unit-length TF-IDF vectors (sorted by n-gram id) per phrasing and per
  // entry (the normalised sum of its phrasings' vectors).
  std::unordered_map<std::string, uint32_t> ngram_ids;
  std::vector<float> ngram_idf;
  float ngram_unknown_idf = 0;
  std::vector<Sparse> doc_ngrams;
  std::vector<Sparse> entry_centroid;
  std::vector<uint32_t> entry_doc_begin;  // entry -> its first doc (docs are grouped by entry)

  // The query's unit vector; n-grams the index lacks only add to its length.
  Sparse QueryNgrams(std::string_view text) const;
  void BuildNgrams();
};

namespace {

float Dot(const Sparse& a, const Sparse& b) {
  float s = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i].first < b[j].first) {
      ++i;
    } else if (a[i].first > b[j].first) {
      ++j;
    } else {
      s += a[i++].second * b[j++].second;
    }
  }
  return s;
}

void Normalise(Sparse* v) {
  double norm = 0;
  for (const auto& [id, w] : *v) norm += double(w) * w;
  if (norm <= 0) return;
  const float inv = static_cast<float>(1 / std::sqrt(norm));
  for (auto& [id, w] : *v) w *= inv;
}

}  // namespace

void Matcher::Impl::BuildNgrams() {
  // Document frequency over entries (as for the words): an entry that repeats an n-gram in
  // every phrasing does not make it common.
  std::vector<std::vector<std::pair<std::string, int>>> grams(docs.size());
  std::vector<uint32_t> df;
  std::vector<uint32_t> last_entry;
  for (size_t d = 0; d < docs.size(); ++d) {
    grams[d] = analyzer.Ngrams(doc_text[d], options.ngram_canonical);
    for (const auto& [g, c] : grams[d]) {
      auto [it, inserted] = ngram_ids.emplace(g, df.size());
      if (inserted) {
        df.push_back(0);
        last_entry.push_back(UINT32_MAX);
      }
      if (last_entry[it->second] != docs[d].entry) {
        last_entry[it->second] = docs[d].entry;
        ++df[it->second];
      }
    }
  }
  const double n = std::max<size_t>(kb.size(), 1);
  ngram_idf.resize(df.size());
  for (size_t g = 0; g < df.size(); ++g) ngram_idf[g] = static_cast<float>(std::log(1 + n / df[g]));
  ngram_unknown_idf = static_cast<float>(std::log(1 + n / 0.5));
  doc_ngrams.resize(docs.size());
  entry_centroid.assign(kb.size(), {});
  for (size_t d = 0; d < docs.size(); ++d) {
    Sparse& v = doc_ngrams[d];
    for (const auto& [g, c] : grams[d]) {
      const uint32_t id = ngram_ids.at(g);
      const double kind = IsCharGram(g) ? options.ngram_unigram_weight : 1.0;
      v.emplace_back(id, static_cast<float>((1 + std::log(c)) * ngram_idf[id] * kind));
    }
    std::sort(v.begin(), v.end());
    Normalise(&v);
    // Centroid: the sum of the entry's unit phrasing vectors.
    Sparse& cen = entry_centroid[docs[d].entry];
    Sparse merged;
    merged.reserve(cen.size() + v.size());
    std::merge(cen.begin(), cen.end(), v.begin(), v.end(), std::back_inserter(merged));
    cen.clear();
    for (const auto& p : merged) {
      if (!cen.empty() && cen.back().first == p.first) cen.back().second += p.second;
      else cen.push_back(p);
    }
  }
  for (auto& cen : entry_centroid) Normalise(&cen);
  entry_doc_begin.assign(kb.size() + 1, docs.size());
  for (size_t d = docs.size(); d-- > 0;) entry_doc_begin[docs[d].entry] = d;
  for (size_t e = kb.size(); e-- > 0;) {
    entry_doc_begin[e] = std::min(entry_doc_begin[e], entry_doc_begin[e + 1]);
  }
}

Sparse Matcher::Impl::QueryNgrams(std::string_view text) const {
  Sparse v;
  double unknown = 0;
  for (const auto& [g, c] : analyzer.Ngrams(text, options.ngram_canonical)) {
    const double kind = IsCharGram(g) ? options.ngram_unigram_weight : 1.0;
    auto it = ngram_ids.find(g);
    if (it == ngram_ids.end()) {
      const double w = (1 + std::log(c)) * ngram_unknown_idf * kind;
      unknown += w * w;
      continue;
    }
    v.emplace_back(it->second, static_cast<float>((1 + std::log(c)) * ngram_idf[it->second] * kind));
  }
  std::sort(v.begin(), v.end());
  double norm = unknown;
  for (const auto& [id, w] : v) norm += double(w) * w;
  if (norm > 0) {
    const float inv = static_cast<float>(1 / std::sqrt(norm));
    for (auto& [id, w] : v) w *= inv;
  }
  return v;
}

namespace {
double Idf(double n, double df) { return std::log(1.0 + (n - df + 0.5) / (df + 0.5)); }
}  // namespace

core::Result<Matcher> Matcher::Build(std::vector<FaqEntry> kb, const Lexicon& lexicon,
                                     MatcherOptions options) {
  {
    std::unordered_map<std::string_view, int> seen;
    for (const auto& e : kb) {
      if (e.id.empty()) return core::InvalidArgument("an entry has an empty id", "id");
      if (seen[e.id]++) return core::InvalidArgument("duplicate entry id " + e.id, "id");
    }
  }
  auto impl = std::make_unique<Impl>(std::move(kb), lexicon, std::move(options));
  Impl& m = *impl;
  std::vector<uint32_t> df;
  std::unordered_map<uint32_t, std::vector<std::pair<uint32_t, float>>> entry_lists;
  for (uint32_t ei = 0; ei < m.kb.size(); ++ei) {
    const FaqEntry& e = m.kb[ei];
    std::vector<const std::string*> texts{&e.question};
    for (const auto& s : e.similar) texts.push_back(&s);
    std::vector<uint32_t> entry_terms;
    uint32_t intent = 0;
    for (const std::string* t : texts) {
      intent |= m.analyzer.Intent(*t);
      Impl::Doc doc{ei, {}, 0};
      for (auto& term : m.analyzer.Analyze(*t)) {
        auto [it, inserted] = m.term_ids.emplace(term.key, m.term_text.size());
        if (inserted) {
          m.term_text.push_back(term.text);
          m.term_kind.push_back(term.kind);
          m.postings.emplace_back();
          df.push_back(0);
        }
        doc.terms.push_back(it->second);
      }
      if (doc.terms.empty()) continue;
      std::sort(doc.terms.begin(), doc.terms.end());
      const uint32_t di = m.docs.size();
      for (uint32_t t : doc.terms) {
        m.postings[t].push_back(di);
        entry_terms.push_back(t);
      }
      m.docs.push_back(std::move(doc));
      if (m.entry_docs.size() <= ei) m.entry_docs.resize(ei + 1, 0);
      ++m.entry_docs[ei];
      m.doc_text.push_back(*t);
    }
    std::sort(entry_terms.begin(), entry_terms.end());
    entry_terms.erase(std::unique(entry_terms.begin(), entry_terms.end()), entry_terms.end());
    for (uint32_t t : entry_terms) ++df[t];
    for (uint32_t t : entry_terms) entry_lists[t].emplace_back(ei, 1.f);
    // Answer words: only those the questions lack; they never enter df (answers are long and
    // would make every word look common).
    std::vector<uint32_t> vocab = entry_terms;
    {
      for (auto& term : m.analyzer.Analyze(e.answer)) {
        if (term.kind != internal::TermKind::kWord) continue;
        auto it = m.term_ids.find(term.key);
        if (it == m.term_ids.end()) {
          it = m.term_ids.emplace(term.key, m.term_text.size()).first;
          m.term_text.push_back(term.text);
          m.term_kind.push_back(term.kind);
          m.postings.emplace_back();
          df.push_back(0);
        }
        if (!std::binary_search(entry_terms.begin(), entry_terms.end(), it->second)) {
          vocab.push_back(it->second);
          if (m.options.answer_weight > 0) {
            entry_lists[it->second].emplace_back(ei, static_cast<float>(m.options.answer_weight));
          }
        }
      }
    }
    std::sort(vocab.begin(), vocab.end());
    vocab.erase(std::unique(vocab.begin(), vocab.end()), vocab.end());
    m.entry_vocab.push_back(std::move(vocab));
    m.entry_intent.push_back(intent);
  }
  m.entry_docs.resize(m.kb.size(), 0);
  const double n = std::max<size_t>(m.kb.size(), 1);
  // An unknown word weighs like a word of one entry: Idf(n, 0) would make it outweigh every
  // known word on a small knowledge base.
  m.unknown_idf = Idf(n, 1);
  m.term_weight.resize(df.size());
  for (size_t t = 0; t < df.size(); ++t) {
    m.term_weight[t] = static_cast<float>(m.KindWeight(m.term_kind[t]) * Idf(n, df[t]));
  }
  for (auto& d : m.docs) {
    for (uint32_t t : d.terms) d.total += m.term_weight[t];
  }
  m.entry_postings.resize(df.size());
  for (auto& [t, list] : entry_lists) m.entry_postings[t] = std::move(list);
  m.BuildNgrams();
  return Matcher(std::move(impl));
}

Matcher::Matcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Matcher::Matcher(Matcher&&) noexcept = default;
Matcher& Matcher::operator=(Matcher&&) noexcept = default;
Matcher::~Matcher() = default;

size_t Matcher::size() const { return impl_->kb.size(); }

const FaqEntry* Matcher::Find(std::string_view id) const {
  for (const auto& e : impl_->kb) {
    if (e.id == id) return &e;
  }
  return nullptr;
}

std::vector<std::string> Matcher::Words(std::string_view text) const {
  return impl_->analyzer.Words(text);
}

MatchResult Matcher::Match(std::string_view question, std::optional<core::Timestamp> now) const {
  const Impl& m = *impl_;
  MatchResult result;
  const auto terms = m.analyzer.Analyze(question);
  // Scratch space reused per thread: the accumulators cost O(docs) to allocate otherwise.
  thread_local std::vector<float> acc;
  thread_local std::vector<uint32_t> touched;
  thread_local std::vector<float> entry_acc;
  thread_local std::vector<uint32_t> entry_touched;
  if (acc.size() < m.docs.size()) acc.assign(m.docs.size(), 0.f);
  if (entry_acc.size() < m.kb.size()) entry_acc.assign(m.kb.size(), 0.f);
  touched.clear();
  entry_touched.clear();
  double query_total = 0, unknown_total = 0;
  size_t query_words = 0;
  std::vector<uint32_t> query_ids;
  for (const auto& term : terms) {
    if (term.kind == internal::TermKind::kWord || term.kind == internal::TermKind::kNumber) ++query_words;
    auto it = m.term_ids.find(term.key);
    if (it == m.term_ids.end()) {
      // Only unknown words count against the match: the bigrams and characters of an unknown
      // word would count it again, and bigrams across word boundaries are mostly noise.
      if (term.kind == internal::TermKind::kBigram || term.kind == internal::TermKind::kUnigram) continue;
      const double rarity = term.kind == internal::TermKind::kWord ? m.analyzer.Rarity(term.text) : 1.0;
      const double w = m.KindWeight(term.kind) * m.unknown_idf * m.options.unknown_weight * rarity;
      query_total += w;
      unknown_total += w;
      continue;
    }
    const uint32_t t = it->second;
    const float w = m.term_weight[t];
    query_total += w;
    query_ids.push_back(t);
    for (uint32_t d : m.postings[t]) {
      if (acc[d] == 0.f) touched.push_back(d);
      acc[d] += w;
    }
    // Entry-level evidence: any of its phrasings, or its answer at a discount.
    for (const auto& [e, factor] : m.entry_postings[t]) {
      if (entry_acc[e] == 0.f) entry_touched.push_back(e);
      entry_acc[e] += w > 0 ? w * factor : 0.f;
    }
  }
  // Best document per entry, and the second-best phrasing's score (support).
  struct Best {
    double f1 = 0, f2 = 0;
    uint32_t doc = 0;
    double precision = 0, recall = 0;  // of the best phrasing
  };
  std::unordered_map<uint32_t, Best> best;
  const double b2 = m.options.beta * m.options.beta;
  for (uint32_t d : touched) {
    const double matched = acc[d];
    acc[d] = 0.f;
    const auto& doc = m.docs[d];
    const FaqEntry& e = m.kb[doc.entry];
    if (now ? !e.ActiveAt(*now) : !e.enabled) continue;
    if (query_total <= 0 || doc.total <= 0) continue;
    // Recall counts the buyer's words found anywhere in the entry (all its phrasings, and
    // its answer at a discount); precision is the best single phrasing's.
    const double recall = std::min(1.0, std::max<double>(matched, entry_acc[doc.entry]) / query_total);
    const double precision = std::min(1.0, matched / doc.total);
    if (recall <= 0 || precision <= 0) continue;
    const double f = (1 + b2) * precision * recall / (b2 * precision + recall);
    auto& slot = best[doc.entry];
    if (f > slot.f1) {
      slot.f2 = slot.f1;
      slot.f1 = f;
      slot.doc = d;
      slot.precision = precision;
      slot.recall = recall;
    } else if (f > slot.f2) {
      slot.f2 = f;
    }
  }
  for (uint32_t e : entry_touched) entry_acc[e] = 0.f;
  std::vector<std::pair<double, uint32_t>> ranked;  // (score, entry)
  ranked.reserve(best.size());
  const double sw = m.options.support_weight;
  for (const auto& [entry, sd] : best) {
    const double f2 = m.entry_docs[entry] > 1 ? sd.f2 : sd.f1;
    ranked.emplace_back((1 - sw) * sd.f1 + sw * f2, entry);
  }
  // The buyer's content words (two or more characters): what a candidate leaves unexplained.
  struct Content {
    int64_t id;  // term id, -1 when no entry uses the word
    double rarity;
  };
  std::vector<Content> content;
  for (const auto& term : terms) {
    if (term.kind != internal::TermKind::kWord) continue;
    size_t chars = 0;
    for (unsigned char c : term.text) chars += (c & 0xC0) != 0x80;
    if (chars < 2) continue;
    auto it = m.term_ids.find(term.key);
    content.push_back({it == m.term_ids.end() ? -1 : static_cast<int64_t>(it->second),
                       m.analyzer.Rarity(term.text)});
  }
  double alien = 0;  // of the last entry passed to `uncovered`
  const auto uncovered = [&](uint32_t entry) {
    const auto& vocab = m.entry_vocab[entry];
    double missing = 0;
    alien = 0;
    for (const auto& c : content) {
      if (c.id < 0 || !std::binary_search(vocab.begin(), vocab.end(), static_cast<uint32_t>(c.id))) {
        missing += c.rarity;
        alien = std::max(alien, c.rarity);
      }
    }
    return missing;
  };
  if (m.options.uncovered_penalty > 0 && !ranked.empty()) {
    // Second stage: the buyer's content words each candidate leaves unexplained.
    if (!content.empty()) {
      const auto by_score = [](const auto& a, const auto& b) {
        if (a.first != b.first) return a.first > b.first;
        return a.second < b.second;
      };
      const size_t n2 = std::min(ranked.size(), std::max<size_t>(m.options.rerank, 2));
      std::partial_sort(ranked.begin(), ranked.begin() + n2, ranked.end(), by_score);
      ranked.resize(n2);
      const double keep = std::log(1.0 - std::min(m.options.uncovered_penalty, 0.99));
      for (auto& [score, entry] : ranked) score *= std::exp(keep * uncovered(entry));
    }
  }
  const size_t k = std::min(ranked.size(), std::max<size_t>({m.options.max_candidates, 2,
                                                              m.options.ngram_candidates}));
  std::partial_sort(ranked.begin(), ranked.begin() + k, ranked.end(),
                    [&](const auto& a, const auto& b) {
                      if (a.first != b.first) return a.first > b.first;
                      return a.second < b.second;  // deterministic ties: KB order
                    });
  // The buyer's n-gram vector, and the cosine of an entry's closest phrasing and its centroid.
  const Sparse qgrams = m.QueryNgrams(question);
  const auto closest = [&](uint32_t entry) {
    float best_cos = 0;
    for (uint32_t d = m.entry_doc_begin[entry]; d < m.entry_doc_begin[entry + 1]; ++d) {
      best_cos = std::max(best_cos, Dot(qgrams, m.doc_ngrams[d]));
    }
    return static_cast<double>(best_cos);
  };
  for (size_t i = 0; i < k && i < m.options.max_candidates; ++i) {
    result.candidates.push_back(Candidate{m.kb[ranked[i].second].id, ranked[i].first});
  }
  if (ranked.empty()) {
    result.reason = "no_match";
    return result;
  }
  const uint32_t top_entry = ranked[0].second;
  const uint32_t top_doc = best[top_entry].doc;
  result.score = ranked[0].first;
  result.matched_question = std::string(m.doc_text[top_doc]);
  for (uint32_t t : query_ids) {
    if (m.term_kind[t] != internal::TermKind::kWord && m.term_kind[t] != internal::TermKind::kNumber) continue;
    const auto& dt = m.docs[top_doc].terms;
    if (std::binary_search(dt.begin(), dt.end(), t)) result.matched_terms.push_back(m.term_text[t]);
  }
  const double second = ranked.size() > 1 ? ranked[1].first : 0.0;
  const Best& top = best[top_entry];
  MatchFeatures& f = result.features;
  f.score = result.score;
  f.lead = result.score - second;
  f.precision = top.precision;
  f.recall = top.recall;
  f.unknown_share = query_total > 0 ? unknown_total / query_total : 0;
  f.uncovered = uncovered(top_entry);
  f.alien = alien;
  const uint32_t intent = m.analyzer.Intent(question);
  f.intent = intent == 0 ? 0 : (intent & m.entry_intent[top_entry]) ? 1 : -1;
  f.words = std::log1p(static_cast<double>(query_words));
  {
    const auto& vocab = m.entry_vocab[top_entry];
    const double max_idf = Idf(std::max<size_t>(m.kb.size(), 1), 1);
    size_t shared = 0;
    for (uint32_t t : query_ids) {
      if (m.term_kind[t] != internal::TermKind::kWord) continue;
      if (!std::binary_search(vocab.begin(), vocab.end(), t)) continue;
      ++shared;
      const double idf = m.term_weight[t] / std::max(m.options.word_weight, 1e-9);
      f.key = std::max(f.key, max_idf > 0 ? idf / max_idf : 0.0);
    }
    f.shared = std::log1p(static_cast<double>(shared));
  }
  {
    // The n-gram view of the best candidates: the top entry's closest phrasing and centroid,
    // and how it compares with the other candidates' closest phrasings.
    f.ngram = closest(top_entry);
    f.centroid = Dot(qgrams, m.entry_centroid[top_entry]);
    double other = 0;
    for (size_t i = 1; i < k && i < m.options.ngram_candidates; ++i) {
      other = std::max(other, closest(ranked[i].second));
    }
    f.ngram_lead = f.ngram - other;
  }
  bool sure;
  if (!m.options.decision_weights.empty()) {
    const auto x = f.Values();
    double z = m.options.decision_bias;
    for (size_t i = 0; i < x.size() && i < m.options.decision_weights.size(); ++i) {
      z += m.options.decision_weights[i] * x[i];
    }
    result.confidence = 1 / (1 + std::exp(-z));
    sure = result.confidence >= m.options.answer_confidence;
  } else {
    result.confidence = result.score + m.options.margin_bonus * (result.score - second);
    sure = result.confidence >= m.options.threshold;
  }
  if (!sure) {
    result.reason = "below_threshold";
  } else if (result.score - second < m.options.margin) {
    result.reason = "ambiguous";
  } else {
    result.reason = "answered";
    result.faq_id = m.kb[top_entry].id;
  }
  return result;
}

}  // namespace kefu::robot
