// robot_tune: fits the matcher's answer/abstain decision and searches its scoring knobs on the
// DEV split and on pools built from the KB alone; the test split stays held out (only
// `-r test` reads it, for the aggregate figures, never for a miss list).
//   robot_tune            fit the decision model, print its accuracy/wrong-rate curve and the
//                         operating point (C++ weights to paste into MatcherOptions)
//   robot_tune -g         grid search over scoring knobs (each with its own fitted model)
//   robot_tune -r [test]  the defaults' figures on dev and the KB pools (and test, when asked)
//   robot_tune -v         the defaults' dev misses and confidence histograms
//   robot_tune -c         the defaults' misses on the KB's own held-out phrasings
//   robot_tune -l         the defaults' misses on dev with the nearest phrasing held out
//   robot_tune -w TEXT... words, candidates and features of each TEXT
// Environment: MAXW (wrong-answer bound, default 0.05), FEATS (feature indices to use, e.g.
// "0,1,2"), UNSEEN_W (weight of the unseen-entry pool in the fit, default 0.25), CROSSFIT=1
// (score each question with a model fitted without its fold).
// Run from the repo root.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "eval_util.h"

using namespace kefu::robot;

namespace {

struct Sample {
  std::string text;
  std::optional<std::string> expect;
};

// A knowledge base and questions asked of it.
struct Pool {
  std::string name;
  std::vector<FaqEntry> kb;
  std::vector<Sample> qs;
};

// Pool names; rows refer to them by index.
enum PoolId : size_t { kDev = 0, kCv = 1, kUnseen = 2, kDevLoo = 3, kOwn = 4, kTest = 5, kPools = 6 };
const char* const kPoolNames[kPools] = {"dev", "cv", "unseen", "devloo", "own", "test"};

double EnvOr(const char* name, double fallback) {
  const char* v = std::getenv(name);
  return v ? std::atof(v) : fallback;
}

// Cross-validation over the KB's own phrasings. Fold f drops every similar question whose
// running index % 5 == f and asks it back (answerable). "Unseen entries": group g drops every
// entry whose index % 5 == g and asks its questions (the robot must abstain): questions near
// the shop's topics that the KB does not cover, the hardest kind of unanswerable question.
std::vector<Pool> CrossValidation(const std::vector<FaqEntry>& kb) {
  constexpr size_t kFolds = 5;
  std::vector<Pool> folds(kFolds);
  size_t idx = 0;
  for (size_t f = 0; f < kFolds; ++f) {
    folds[f].name = "cv";
    folds[f].kb = kb;
    for (auto& e : folds[f].kb) e.similar.clear();
  }
  for (size_t e = 0; e < kb.size(); ++e) {
    for (const auto& sim : kb[e].similar) {
      const size_t fi = idx++ % kFolds;
      for (size_t g = 0; g < kFolds; ++g) {
        if (g == fi) folds[g].qs.push_back({sim, kb[e].id});
        else folds[g].kb[e].similar.push_back(sim);
      }
    }
  }
  for (size_t g = 0; g < kFolds; ++g) {
    Pool p{"unseen", {}, {}};
    for (size_t e = 0; e < kb.size(); ++e) {
      if (e % kFolds != g) {
        p.kb.push_back(kb[e]);
        continue;
      }
      p.qs.push_back({kb[e].question, std::nullopt});
      for (size_t i = 0; i < kb[e].similar.size(); i += 3) p.qs.push_back({kb[e].similar[i], std::nullopt});
    }
    folds.push_back(std::move(p));
  }
  return folds;
}

std::set<std::u32string> Bigrams(const std::string& text) {
  std::u32string s;
  const std::string n = Normalize(text);
  for (size_t i = 0; i < n.size();) {
    const unsigned char c = n[i];
    const int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    char32_t cp = len == 1 ? c : c & (0xFF >> (len + 1));
    for (int k = 1; k < len && i + k < n.size(); ++k) cp = (cp << 6) | (n[i + k] & 0x3F);
    s.push_back(cp);
    i += len;
  }
  std::set<std::u32string> out;
  for (size_t i = 0; i + 1 < s.size(); ++i) out.insert(s.substr(i, 2));
  if (s.size() == 1) out.insert(s);
  return out;
}

double Jaccard(const std::set<std::u32string>& a, const std::set<std::u32string>& b) {
  size_t both = 0;
  for (const auto& x : a) both += b.count(x);
  const size_t any = a.size() + b.size() - both;
  return any ? double(both) / any : 0;
}

// "Dev, leave the nearest out": the KB's similar questions were written while reading dev
// misses, so dev flatters the robot. Fold f asks the dev questions whose index % 5 == f of a KB
// from which, for each of them, the expected entry's phrasing nearest to it (character-bigram
// Jaccard) is removed: roughly the KB as it was before that question was read.
std::vector<Pool> DevLeaveNearestOut(const std::vector<FaqEntry>& kb,
                                     const std::vector<kefu::robot::testing::EvalQuestion>& dev) {
  constexpr size_t kFolds = 5;
  std::vector<Pool> pools;
  for (size_t f = 0; f < kFolds; ++f) {
    Pool p{"devloo", kb, {}};
    for (size_t i = f; i < dev.size(); i += kFolds) {
      const auto& q = dev[i];
      p.qs.push_back({q.text, q.expect});
      if (!q.expect) continue;
      for (auto& e : p.kb) {
        if (e.id != *q.expect || e.similar.empty()) continue;
        const auto qb = Bigrams(q.text);
        size_t best = 0;
        double best_j = Jaccard(qb, Bigrams(e.question));
        for (size_t k = 0; k < e.similar.size(); ++k) {
          const double j = Jaccard(qb, Bigrams(e.similar[k]));
          if (j > best_j) best_j = j, best = k + 1;
        }
        if (best == 0) {
          e.question = e.similar.front();
          e.similar.erase(e.similar.begin());
        } else {
          e.similar.erase(e.similar.begin() + (best - 1));
        }
      }
    }
    pools.push_back(std::move(p));
  }
  return pools;
}

// One question's outcome under a setting, before the decision.
struct Row {
  size_t pool;
  bool answerable, top_right;
  double score, lead;
  std::vector<double> x;  // MatchFeatures::Values(), plus products when INTER=1 (experiments)
  size_t fold = 0;  // for cross-fitting
};

struct Figures {
  double answerable = 0, unanswerable = 0, correct = 0, wrong = 0, answered = 0, abstained = 0;
  double Acc() const { return answerable ? correct / answerable : 0; }
  double Wrong() const { return answered ? wrong / answered : 0; }
  double Abst() const { return unanswerable ? abstained / unanswerable : 1; }
  // Adds `o` scaled by `w`.
  void Add(const Figures& o, double w) {
    answerable += w * o.answerable; unanswerable += w * o.unanswerable; correct += w * o.correct;
    wrong += w * o.wrong; answered += w * o.answered; abstained += w * o.abstained;
  }
};

// The KB pools as the issue counts them: cv's answerable questions (new phrasings of known
// intents) with unanswerable questions mixed in at the eval set's share (25%): dev's and the
// tuning-only ones of tune_unanswerable.jsonl ("own", written after the lexicon had been shaped
// by dev's), half each, so the wrong rate counts both kinds of mistake. (The unseen-entry pool
// is reported apart: its questions are a removed entry's own phrasings, nearer the KB than
// buyers' off-topic ones.)
Figures CvMixed(const std::vector<Figures>& f) {
  Figures m = f[kCv];
  for (const size_t pool : {kDev, kOwn}) {
    const Figures& d = f[pool];
    if (d.unanswerable <= 0) continue;
    const double w = f[kCv].answerable / 3 / 2 / d.unanswerable;
    const double given = d.unanswerable - d.abstained;
    m.unanswerable += w * d.unanswerable;
    m.abstained += w * d.abstained;
    m.answered += w * given;
    m.wrong += w * given;
  }
  return m;
}

// The default options with environment overrides, for quick experiments: CANON (0/1),
// BW (bigram weight), UW (unigram weight), BETA, UNK, AW (answer weight), UP (uncovered penalty),
// NUW (n-gram unigram weight).
MatcherOptions EnvOptions() {
  MatcherOptions o;
  o.ngram_canonical = EnvOr("CANON", o.ngram_canonical);
  o.bigram_weight = EnvOr("BW", o.bigram_weight);
  o.unigram_weight = EnvOr("UW", o.unigram_weight);
  o.beta = EnvOr("BETA", o.beta);
  o.unknown_weight = EnvOr("UNK", o.unknown_weight);
  o.answer_weight = EnvOr("AW", o.answer_weight);
  o.uncovered_penalty = EnvOr("UP", o.uncovered_penalty);
  o.ngram_unigram_weight = EnvOr("NUW", o.ngram_unigram_weight);
  return o;
}

double Sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

std::vector<bool> FeatureMask(size_t k) {
  std::vector<bool> use(k, true);
  if (const char* f = std::getenv("FEATS")) {
    use.assign(k, false);
    for (const char* p = f; *p;) {
      const long i = std::strtol(p, const_cast<char**>(&p), 10);
      if (i >= 0 && static_cast<size_t>(i) < use.size()) use[i] = true;
      while (*p == ',' || *p == ' ') ++p;
    }
  }
  return use;
}

// L2-regularised logistic regression (Newton steps on standardised features); returns weights
// and bias for the raw features. Label: the top candidate is the right answer. Each pool weighs
// the same in total (the unseen-entry pool UNSEEN_W of that), so the many CV questions do not
// drown dev. Rows with `skip_fold` set are left out (cross-fitting).
void Fit(const std::vector<Row>& rows, std::vector<double>* w, double* b, int skip_fold = -1) {
  const size_t k = rows.empty() ? MatchFeatures::kCount : rows[0].x.size();
  const auto use = FeatureMask(k);
  std::vector<double> pool_n(kPools, 0);
  std::vector<const Row*> fit;
  for (const auto& r : rows) {
    if (r.pool == kTest || static_cast<int>(r.fold) == skip_fold) continue;
    fit.push_back(&r);
    pool_n[r.pool]++;
  }
  pool_n[kUnseen] /= EnvOr("UNSEEN_W", 0.25) + 1e-9;
  pool_n[kOwn] /= EnvOr("OWN_W", 0.5) + 1e-9;
  std::vector<double> mean(k, 0), sd(k, 0);
  for (const Row* r : fit) for (size_t i = 0; i < k; ++i) mean[i] += r->x[i] / fit.size();
  for (const Row* r : fit) for (size_t i = 0; i < k; ++i) sd[i] += (r->x[i] - mean[i]) * (r->x[i] - mean[i]) / fit.size();
  for (auto& v : sd) v = v > 1e-12 ? std::sqrt(v) : 1;
  // Parameters: k weights then the bias, on standardised features.
  const size_t d = k + 1;
  std::vector<double> theta(d, 0);
  const double lambda = EnvOr("LAMBDA", 1e-3);
  for (int it = 0; it < 25; ++it) {
    std::vector<double> g(d, 0), h(d * d, 0);
    double total = 0;
    std::vector<double> z(d);
    for (const Row* r : fit) {
      const double weight = 1.0 / pool_n[r->pool];
      for (size_t i = 0; i < k; ++i) z[i] = use[i] ? (r->x[i] - mean[i]) / sd[i] : 0;
      z[k] = 1;
      double s = 0;
      for (size_t i = 0; i < d; ++i) s += theta[i] * z[i];
      const double p = Sigmoid(s);
      const double err = (p - (r->top_right ? 1 : 0)) * weight;
      const double curv = p * (1 - p) * weight;
      for (size_t i = 0; i < d; ++i) {
        g[i] += err * z[i];
        for (size_t j = 0; j < d; ++j) h[i * d + j] += curv * z[i] * z[j];
      }
      total += weight;
    }
    for (size_t i = 0; i < d; ++i) {
      g[i] = g[i] / total + (i < k ? lambda * theta[i] : 0);
      for (size_t j = 0; j < d; ++j) h[i * d + j] /= total;
      h[i * d + i] += i < k ? lambda : 1e-9;
    }
    // Solve h * step = g (Gaussian elimination with partial pivoting).
    std::vector<double> a = h, step = g;
    for (size_t c = 0; c < d; ++c) {
      size_t piv = c;
      for (size_t r = c + 1; r < d; ++r) if (std::fabs(a[r * d + c]) > std::fabs(a[piv * d + c])) piv = r;
      for (size_t j = 0; j < d; ++j) std::swap(a[c * d + j], a[piv * d + j]);
      std::swap(step[c], step[piv]);
      for (size_t r = c + 1; r < d; ++r) {
        const double m = a[r * d + c] / a[c * d + c];
        for (size_t j = c; j < d; ++j) a[r * d + j] -= m * a[c * d + j];
        step[r] -= m * step[c];
      }
    }
    for (size_t c = d; c-- > 0;) {
      for (size_t j = c + 1; j < d; ++j) step[c] -= a[c * d + j] * step[j];
      step[c] /= a[c * d + c];
    }
    for (size_t i = 0; i < d; ++i) theta[i] -= step[i];
  }
  w->assign(k, 0);
  *b = theta[k];
  for (size_t i = 0; i < k; ++i) {
    if (!use[i]) continue;
    (*w)[i] = theta[i] / sd[i];
    *b -= theta[i] * mean[i] / sd[i];
  }
}

double Confidence(const Row& r, const std::vector<double>& w, double b) {
  double z = b;
  for (size_t i = 0; i < w.size(); ++i) z += w[i] * r.x[i];
  return Sigmoid(z);
}

// Figures per pool when answering at confidence >= p (conf[i] is row i's confidence).
std::vector<Figures> Decide(const std::vector<Row>& rows, const std::vector<double>& conf, double p) {
  std::vector<Figures> f(kPools);
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    auto& s = f[r.pool];
    const bool give = r.score > 0 && conf[i] >= p;
    s.answered += give;
    if (r.answerable) {
      ++s.answerable;
      if (give && r.top_right) ++s.correct;
      else if (give) ++s.wrong;
    } else {
      ++s.unanswerable;
      if (give) ++s.wrong;
      else ++s.abstained;
    }
  }
  return f;
}

std::vector<Row> Collect(const std::vector<Pool>& pools, const MatcherOptions& o,
                         const Lexicon& lexicon = DefaultLexicon()) {
  std::vector<Row> rows;
  size_t n = 0;
  for (const auto& p : pools) {
    const size_t pi = std::find(kPoolNames, kPoolNames + kPools, p.name) - kPoolNames;
    auto m = Matcher::Build(p.kb, lexicon, o);
    for (const auto& q : p.qs) {
      auto r = m->Match(q.text);
      const std::string top = r.candidates.empty() ? "" : r.candidates[0].faq_id;
      const auto v = r.features.Values();
      std::vector<double> x(v.begin(), v.end());
      if (EnvOr("INTER", 0)) {
        const size_t base = x.size();
        for (size_t i = 0; i < base; ++i) {
          for (size_t j = i; j < base; ++j) x.push_back(x[i] * x[j]);
        }
      }
      rows.push_back({pi, q.expect.has_value(), q.expect && top == *q.expect, r.score,
                      r.features.lead, std::move(x), (n++ * 7919) % 5});
    }
  }
  return rows;
}

// Confidences of every row: by one model fitted on all rows, or (CROSSFIT=1) each row by a
// model fitted without its fold.
std::vector<double> Confidences(const std::vector<Row>& rows, std::vector<double>* w, double* b) {
  Fit(rows, w, b);
  std::vector<double> conf(rows.size());
  if (EnvOr("CROSSFIT", 0) == 0) {
    for (size_t i = 0; i < rows.size(); ++i) conf[i] = Confidence(rows[i], *w, *b);
    return conf;
  }
  for (int f = 0; f < 5; ++f) {
    std::vector<double> wf;
    double bf;
    Fit(rows, &wf, &bf, f);
    for (size_t i = 0; i < rows.size(); ++i) {
      if (static_cast<int>(rows[i].fold) == f) conf[i] = Confidence(rows[i], wf, bf);
    }
  }
  return conf;
}

// The operating point: the cut with the best mean accuracy over dev and the mixed KB pools,
// subject to the bounds (wrong <= MAXW on dev and on cv+unanswerable; abstention >= 0.8
// on dev, own and unseen); among cuts within
// 0.005 of the best, the highest (fewer answers, less risk). Returns -1 when none qualifies.
double Operate(const std::vector<Row>& rows, const std::vector<double>& conf, double* objective) {
  const double max_wrong = EnvOr("MAXW", 0.05);
  const double min_abst = EnvOr("MINA", 0.8);
  std::vector<std::pair<double, double>> ok;  // (p, objective)
  for (int pi = 20; pi <= 97; ++pi) {
    const double p = pi / 100.0;
    auto f = Decide(rows, conf, p);
    const Figures cv = CvMixed(f);
    if (f[kDev].Wrong() > max_wrong || cv.Wrong() > max_wrong) continue;
    // The abstention target on every kind of unanswerable question: dev's, the tuning-only
    // ones, and questions about intents the KB lacks (unseen entries, the near-topic risk).
    if (f[kDev].Abst() < min_abst || f[kOwn].Abst() < min_abst || f[kUnseen].Abst() < min_abst) continue;
    if (EnvOr("LOO_BOUND", 0) && f[kDevLoo].Wrong() > max_wrong) continue;
    ok.push_back({p, (f[kDev].Acc() + cv.Acc()) / 2});
  }
  if (ok.empty()) return -1;
  double best = 0;
  for (auto& [p, o] : ok) best = std::max(best, o);
  double chosen = -1;
  for (auto& [p, o] : ok) if (o >= best - 0.005) chosen = p;
  *objective = best;
  return chosen;
}

// Separability: the best accuracy on a pool with a cut of its own such that wrong answers
// stay <= `bound` (pool kCv: mixed with dev's unanswerable questions as CvMixed does).
double AccAt(const std::vector<Row>& rows, const std::vector<double>& conf, size_t pool,
             double bound) {
  std::vector<std::pair<double, double>> v;  // (confidence, weight) with sign via flags below
  struct Item { double c, w; bool right, answerable; };
  std::vector<Item> items;
  double n_ans = 0, n_cv = 0, n_dvu = 0, n_own = 0;
  for (const auto& r : rows) {
    if (r.pool == kCv) n_cv += r.answerable;
    if (r.pool == kDev && !r.answerable) n_dvu++;
    if (r.pool == kOwn) n_own++;
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    if (r.score <= 0) continue;
    if (r.pool == pool) items.push_back({conf[i], 1, r.answerable && r.top_right, r.answerable});
    else if (pool == kCv && r.pool == kDev && !r.answerable) items.push_back({conf[i], n_cv / 6 / n_dvu, false, false});
    else if (pool == kCv && r.pool == kOwn && n_own > 0) items.push_back({conf[i], n_cv / 6 / n_own, false, false});
  }
  for (const auto& r : rows) if (r.pool == pool && r.answerable) n_ans++;
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.c > b.c; });
  double answered = 0, wrong = 0, right = 0, best = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    answered += items[i].w;
    if (items[i].right) right += items[i].w; else wrong += items[i].w;
    if (i + 1 < items.size() && items[i + 1].c == items[i].c) continue;
    if (wrong <= bound * answered) best = std::max(best, right / n_ans);
  }
  return best;
}

void PrintPools(const std::vector<Figures>& f, bool test) {
  auto line = [](const char* name, const Figures& s) {
    std::printf("  %-7s acc %.3f wrong %.3f (%4.0f answers) abst %.3f  [%.0f answerable, %.0f unanswerable]\n",
                name, s.Acc(), s.Wrong(), s.answered, s.Abst(), s.answerable, s.unanswerable);
  };
  line("dev", f[kDev]);
  line("cv", f[kCv]);
  line("unseen", f[kUnseen]);
  line("own", f[kOwn]);
  line("cv+unans", CvMixed(f));
  line("devloo", f[kDevLoo]);
  if (test) line("test", f[kTest]);
}

std::vector<Pool> TuningPools(const std::vector<FaqEntry>& kb,
                              const std::vector<testing::EvalQuestion>& dev) {
  std::vector<Pool> pools = CrossValidation(kb);
  Pool d{"dev", kb, {}};
  for (auto& q : dev) d.qs.push_back({q.text, q.expect});
  pools.push_back(std::move(d));
  for (auto& p : DevLeaveNearestOut(kb, dev)) pools.push_back(std::move(p));
  Pool own{"own", kb, {}};
  for (auto& q : testing::LoadQuestions("tests/robot/eval/tune_unanswerable.jsonl")) {
    own.qs.push_back({q.text, q.expect});
  }
  pools.push_back(std::move(own));
  return pools;
}

std::string WeightsCpp(const std::vector<double>& w, double b) {
  std::string s = "decision_weights = {";
  char buf[32];
  for (size_t i = 0; i < w.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%.4f", i ? ", " : "", w[i]);
    s += buf;
  }
  std::snprintf(buf, sizeof buf, "}; decision_bias = %.4f", b);
  return s + buf;
}

void Misses(const std::vector<Pool>& pools, const char* name) {
  for (const auto& p : pools) {
    if (p.name != name) continue;
    auto fm = Matcher::Build(p.kb, DefaultLexicon());
    for (const auto& q : p.qs) {
      auto r = fm->Match(q.text);
      if (r.faq_id == q.expect) continue;
      std::printf("[%s] want %s got %s top %s %.2f conf %.2f |", q.text.c_str(),
                  q.expect.value_or("null").c_str(), r.faq_id.value_or("null").c_str(),
                  r.candidates.empty() ? "-" : r.candidates[0].faq_id.c_str(), r.score, r.confidence);
      for (auto& w : fm->Words(q.text)) std::printf(" %s", w.c_str());
      std::printf(" | %s\n", r.matched_question.c_str());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto kb = ParseKbJsonl(testing::ReadFile("tests/robot/eval/kb.jsonl"));
  if (!kb.ok()) { std::fprintf(stderr, "%s\n", kb.status().ToString().c_str()); return 2; }
  auto qs = testing::LoadQuestions("tests/robot/eval/questions.jsonl");
  std::vector<testing::EvalQuestion> dev;
  for (auto& q : qs) if (q.split == "dev") dev.push_back(q);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "-w" && argc > 2) {
    auto m = Matcher::Build(*kb, DefaultLexicon());
    for (int i = 2; i < argc; ++i) {
      auto r = m->Match(argv[i]);
      std::printf("%s ->", argv[i]);
      for (auto& w : m->Words(argv[i])) std::printf(" %s", w.c_str());
      std::printf(" | %s [%s] conf %.3f", r.faq_id.value_or("null").c_str(), r.reason.c_str(), r.confidence);
      for (auto& c : r.candidates) std::printf(" %s %.3f", c.faq_id.c_str(), c.score);
      std::printf(" | %s |", r.matched_question.c_str());
      for (double x : r.features.Values()) std::printf(" %.2f", x);
      std::printf("\n");
    }
    return 0;
  }
  if (mode == "-r") {
    // The defaults' figures. The test split is read only when asked for by name.
    const bool test = argc > 2 && std::strcmp(argv[2], "test") == 0;
    std::vector<Pool> pools = TuningPools(*kb, dev);
    if (test) {
      Pool t{"test", *kb, {}};
      for (auto& q : qs) if (q.split == "test") t.qs.push_back({q.text, q.expect});
      pools.push_back(std::move(t));
    }
    std::vector<Figures> f(kPools);
    std::vector<double> top1(kPools, 0), n(kPools, 0);
    for (const auto& p : pools) {
      const size_t pi = std::find(kPoolNames, kPoolNames + kPools, p.name) - kPoolNames;
      auto m = Matcher::Build(p.kb, DefaultLexicon());
      std::vector<testing::EvalQuestion> eq;
      for (const auto& q : p.qs) {
        eq.push_back({"", q.text, "", q.expect});
        if (!q.expect) continue;
        auto r = m->Match(q.text);
        n[pi]++;
        top1[pi] += !r.candidates.empty() && r.candidates[0].faq_id == *q.expect;
      }
      auto s = testing::Score(*m, eq, "");
      Figures g;
      g.answerable = s.answerable; g.unanswerable = s.unanswerable; g.correct = s.correct;
      g.wrong = s.wrong; g.answered = s.answered; g.abstained = s.abstained_unanswerable;
      f[pi].Add(g, 1);
    }
    PrintPools(f, test);
    std::printf("  top-1 without abstention:");
    for (size_t i = 0; i < kPools; ++i) if (n[i] > 0) std::printf(" %s %.3f", kPoolNames[i], top1[i] / n[i]);
    std::printf("\n");
    return 0;
  }
  if (mode == "-v") {
    auto m = Matcher::Build(*kb, DefaultLexicon());
    int top_ok = 0, ans = 0;
    std::vector<double> good, bad, unans;
    for (auto& q : dev) {
      auto r = m->Match(q.text);
      std::string top = r.candidates.empty() ? "" : r.candidates[0].faq_id;
      if (q.expect) { ++ans; if (top == *q.expect) { ++top_ok; good.push_back(r.confidence); } else bad.push_back(r.confidence); }
      else unans.push_back(r.confidence);
    }
    auto hist = [](const char* n, std::vector<double> v) {
      std::printf("%-6s", n);
      int b[10] = {0};
      for (double x : v) b[std::clamp(int(x * 10), 0, 9)]++;
      for (int i = 0; i < 10; ++i) std::printf(" %3d", b[i]);
      std::printf("\n");
    };
    std::printf("top1 (no abstention) %.3f; confidence histograms:\n", double(top_ok) / ans);
    hist("good", good); hist("bad", bad); hist("unans", unans);
    std::vector<std::string> f;
    auto s = testing::Score(*m, dev, "dev", &f);
    for (auto& x : f) std::printf("%s\n", x.c_str());
    std::printf("dev acc %.3f wrong %.3f abst %.3f\n", s.Accuracy(), s.WrongRate(), s.AbstentionRecall());
    return 0;
  }
  if (mode == "-c") { Misses(CrossValidation(*kb), "cv"); return 0; }
  if (mode == "-l") { Misses(DevLeaveNearestOut(*kb, dev), "devloo"); return 0; }

  const std::vector<Pool> pools = TuningPools(*kb, dev);
  if (mode.empty()) {
    // Fit the decision on the defaults' features, print the curve and the operating point.
    const MatcherOptions o = EnvOptions();
    const auto rows = Collect(pools, o);
    std::vector<double> w;
    double b;
    const auto conf = Confidences(rows, &w, &b);
    std::printf("   p   dev acc/wrong/abst   cv+unans acc/wrong/abst  devloo acc/wrong/abst  own, unseen abst\n");
    for (int pi = 30; pi <= 95; pi += 5) {
      auto f = Decide(rows, conf, pi / 100.0);
      const Figures cv = CvMixed(f);
      std::printf("  %.2f  %.3f %.3f %.3f    %.3f %.3f %.3f    %.3f %.3f %.3f   %.3f %.3f\n", pi / 100.0,
                  f[kDev].Acc(), f[kDev].Wrong(), f[kDev].Abst(), cv.Acc(), cv.Wrong(), cv.Abst(),
                  f[kDevLoo].Acc(), f[kDevLoo].Wrong(), f[kDevLoo].Abst(), f[kOwn].Abst(), f[kUnseen].Abst());
    }
    double objective = 0;
    const double p = Operate(rows, conf, &objective);
    std::printf("%s\noperating point: answer_confidence = %.2f (objective %.3f)\n",
                WeightsCpp(w, b).c_str(), p, objective);
    if (p > 0) PrintPools(Decide(rows, conf, p), false);
    std::vector<double> top1(kPools, 0), n(kPools, 0);
    for (const auto& r : rows) if (r.answerable) n[r.pool]++, top1[r.pool] += r.top_right;
    const auto f = Decide(rows, conf, p > 0 ? p : 2);
    const Figures cv = CvMixed(f);
    std::printf("SEP4 acc at <=4%% wrong: dev %.3f cv %.3f loo %.3f | mean %.3f\n",
                AccAt(rows, conf, kDev, 0.04), AccAt(rows, conf, kCv, 0.04), AccAt(rows, conf, kDevLoo, 0.04),
                (AccAt(rows, conf, kDev, 0.04) + AccAt(rows, conf, kCv, 0.04) + AccAt(rows, conf, kDevLoo, 0.04)) / 3);
    std::printf("SEPARATION acc at <=5%% wrong: dev %.3f cv %.3f loo %.3f | mean %.3f\n",
                AccAt(rows, conf, kDev, 0.05), AccAt(rows, conf, kCv, 0.05), AccAt(rows, conf, kDevLoo, 0.05),
                (AccAt(rows, conf, kDev, 0.05) + AccAt(rows, conf, kCv, 0.05) + AccAt(rows, conf, kDevLoo, 0.05)) / 3);
    std::printf("SUMMARY obj %.3f p %.2f | dev %.3f/%.3f/%.3f | cv %.3f/%.3f | loo %.3f/%.3f | own %.3f unseen %.3f | top1 %.3f %.3f %.3f\n",
                objective, p, f[kDev].Acc(), f[kDev].Wrong(), f[kDev].Abst(), cv.Acc(), cv.Wrong(), f[kDevLoo].Acc(),
                f[kDevLoo].Wrong(), f[kOwn].Abst(), f[kUnseen].Abst(), top1[kDev] / n[kDev],
                top1[kCv] / n[kCv], top1[kDevLoo] / n[kDevLoo]);
    return 0;
  }
  if (mode == "-g") {
    struct Result {
      double objective;
      std::vector<Figures> f;
      std::string desc;
    };
    std::vector<Result> results;
    Lexicon lexicon = DefaultLexicon();
    for (double share : {0.3})
    for (double up : {0.0, 0.2})
    for (double bw : {0.6, 1.0})
    for (double beta : {1.0, 1.5})
    for (double unk : {1.5, 2.5})
    for (int canon : {0, 1}) {
      lexicon.general_share = share;
      MatcherOptions o;
      o.bigram_weight = bw; o.beta = beta; o.unknown_weight = unk; o.uncovered_penalty = up;
      o.ngram_canonical = canon;
      const auto rows = Collect(pools, o, lexicon);
      std::vector<double> w;
      double b;
      const auto conf = Confidences(rows, &w, &b);
      Result r;
      const double p = Operate(rows, conf, &r.objective);
      if (p < 0) continue;
      r.f = Decide(rows, conf, p);
      char buf[200];
      std::snprintf(buf, sizeof buf, "share %.1f up %.1f bw %.1f beta %.1f unk %.1f canon %d p %.2f | ",
                    share, up, bw, beta, unk, canon, p);
      r.desc = buf + WeightsCpp(w, b);
      results.push_back(std::move(r));
    }
    std::sort(results.begin(), results.end(), [](const Result& a, const Result& b) { return a.objective > b.objective; });
    for (size_t i = 0; i < results.size() && i < 8; ++i) {
      std::printf("%s\n  objective %.3f\n", results[i].desc.c_str(), results[i].objective);
      PrintPools(results[i].f, false);
    }
    return 0;
  }
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
