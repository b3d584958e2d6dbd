// robot_tune: grid search of the matcher's knobs on the DEV split only (the test split stays
// held out). `robot_tune` prints the best settings; `robot_tune -v [threshold]` prints the
// dev misses of the defaults and the score histograms.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "eval_util.h"

using namespace kefu::robot;

int main(int argc, char** argv) {
  auto kb = ParseKbJsonl(testing::ReadFile("tests/robot/eval/kb.jsonl"));
  if (!kb.ok()) { std::fprintf(stderr, "%s\n", kb.status().ToString().c_str()); return 2; }
  auto qs = testing::LoadQuestions("tests/robot/eval/questions.jsonl");
  std::vector<testing::EvalQuestion> dev;
  for (auto& q : qs) if (q.split == "dev") dev.push_back(q);
  if (argc > 2 && std::strcmp(argv[1], "-w") == 0) {  // -w TEXT...: words and candidates
    auto m = Matcher::Build(*kb, DefaultLexicon());
    for (int i = 2; i < argc; ++i) {
      auto r = m->Match(argv[i]);
      std::printf("%s ->", argv[i]);
      for (auto& w : m->Words(argv[i])) std::printf(" %s", w.c_str());
      std::printf(" | %s [%s]", r.faq_id.value_or("null").c_str(), r.reason.c_str());
      for (auto& c : r.candidates) std::printf(" %s %.3f", c.faq_id.c_str(), c.score);
      std::printf(" | %s\n", r.matched_question.c_str());
    }
    return 0;
  }
  if (argc > 1 && std::strcmp(argv[1], "-v") == 0) {
    MatcherOptions o0;
    if (argc > 2) o0.threshold = std::atof(argv[2]);
    auto m = Matcher::Build(*kb, DefaultLexicon(), o0);
    int top_ok = 0, ans = 0;
    std::vector<double> good, bad, unans;
    for (auto& q : dev) {
      auto r = m->Match(q.text);
      std::string top = r.candidates.empty() ? "" : r.candidates[0].faq_id;
      if (q.expect) { ++ans; if (top == *q.expect) { ++top_ok; good.push_back(r.score); } else bad.push_back(r.score); }
      else unans.push_back(r.score);
    }
    auto hist = [](const char* n, std::vector<double> v) {
      std::printf("%-6s", n); int b[10] = {0};
      for (double x : v) b[std::min(9, int(x * 10))]++;
      for (int i = 0; i < 10; ++i) std::printf(" %3d", b[i]); std::printf("\n"); };
    std::printf("top1 (no threshold) %.3f\n", double(top_ok) / ans);
    hist("good", good); hist("bad", bad); hist("unans", unans);
    std::vector<std::string> f;
    auto s = testing::Score(*m, dev, "dev", &f);
    for (auto& x : f) std::printf("%s\n", x.c_str());
    std::printf("dev acc %.3f wrong %.3f abst %.3f\n", s.Accuracy(), s.WrongRate(), s.AbstentionRecall());
    return 0;
  }
  // Cross-validation over the KB's own phrasings: fold f drops every similar question whose
  // running index % 5 == f and asks it back. Unlike the dev questions (read while the KB was
  // written) these say how the matcher does on phrasings it has not seen.
  struct Fold { std::vector<FaqEntry> kb; std::vector<std::pair<std::string, std::string>> qs; };
  std::vector<Fold> folds(5);
  {
    size_t idx = 0;
    for (auto& f : folds) f.kb = *kb;
    for (size_t e = 0; e < kb->size(); ++e) {
      for (auto& f : folds) f.kb[e].similar.clear();
      for (const auto& sim : (*kb)[e].similar) {
        const size_t fi = idx++ % folds.size();
        for (size_t g = 0; g < folds.size(); ++g) {
          if (g == fi) folds[g].qs.emplace_back(sim, (*kb)[e].id);
          else folds[g].kb[e].similar.push_back(sim);
        }
      }
    }
  }
  const bool use_cv = getenv("NOCV") == nullptr;
  // Grid search; a setting is ranked by its dev accuracy averaged with its neighbours at
  // threshold +-0.02 (a flat optimum generalises better than a sharp one), subject to the
  // wrong-answer cap MAXW (default 0.035) and abstention >= 0.85 at the setting itself.
  struct Row { double acc, wrong, abst, smooth; std::string desc; };
  std::vector<Row> rows;
  for (double up : {0.0, 0.2, 0.35})
  for (double sw : {0.0})
  for (double bw : {0.6, 1.0})
  for (double uw : {0.6})
  for (double beta : {1.0, 1.5})
  for (double unk : {2.5})
  for (double aw : {0.6}) {
    MatcherOptions o;
    o.bigram_weight = bw; o.unigram_weight = uw; o.beta = beta; o.unknown_weight = unk;
    o.answer_weight = aw; o.support_weight = sw; o.uncovered_penalty = up; o.threshold = 0; o.margin = 0;
    auto m = Matcher::Build(*kb, DefaultLexicon(), o);
    struct R { std::string top; double s1, s2; };
    std::vector<R> res;
    for (auto& q : dev) {
      auto r = m->Match(q.text);
      res.push_back({r.candidates.empty() ? "" : r.candidates[0].faq_id,
                     r.candidates.empty() ? 0 : r.candidates[0].score,
                     r.candidates.size() > 1 ? r.candidates[1].score : 0});
    }
    std::vector<std::optional<std::string>> expect;
    for (auto& q : dev) expect.push_back(q.expect);
    if (use_cv) {
      for (auto& f : folds) {
        auto fm = Matcher::Build(f.kb, DefaultLexicon(), o);
        for (auto& [text, id] : f.qs) {
          auto r = fm->Match(text);
          res.push_back({r.candidates.empty() ? "" : r.candidates[0].faq_id,
                         r.candidates.empty() ? 0 : r.candidates[0].score,
                         r.candidates.size() > 1 ? r.candidates[1].score : 0});
          expect.push_back(id);
        }
      }
    }
    double kb = 0;
    auto eval = [&](double th, double mg, double* acc, double* wrong, double* abst) {
      int ans = 0, ok = 0, wr = 0, answered = 0, un = 0, ab = 0;
      for (size_t i = 0; i < res.size(); ++i) {
        bool give = !res[i].top.empty() && res[i].s1 + kb * (res[i].s1 - res[i].s2) >= th && res[i].s1 - res[i].s2 >= mg;
        answered += give;
        if (expect[i]) { ++ans; if (give && res[i].top == *expect[i]) ++ok; else if (give) ++wr; }
        else { ++un; if (!give) ++ab; else ++wr; }
      }
      *acc = double(ok) / ans; *wrong = answered ? double(wr) / answered : 0; *abst = double(ab) / un;
    };
    for (double k : {0.0, 0.5, 1.0})
    for (int ti = 15; ti <= 40; ++ti)
    for (double mg : {0.0, 0.05, 0.1}) {
      kb = k;
      const double th = ti * 0.02;
      Row row;
      eval(th, mg, &row.acc, &row.wrong, &row.abst);
      double a1, a2, w, b;
      eval(th - 0.02, mg, &a1, &w, &b);
      eval(th + 0.02, mg, &a2, &w, &b);
      row.smooth = (a1 + row.acc + a2) / 3;
      char buf[200];
      std::snprintf(buf, sizeof buf, "k %.1f up %.2f sw %.2f bw %.1f uw %.1f beta %.1f unk %.1f aw %.1f th %.2f mg %.2f", k, up, sw, bw, uw, beta, unk, aw, th, mg);
      row.desc = buf;
      rows.push_back(row);
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.smooth > b.smooth; });
  int shown = 0;
  for (auto& r : rows) {
    if (r.wrong > std::atof(getenv("MAXW") ? getenv("MAXW") : "0.035") || r.abst < 0.85) continue;
    std::printf("%s | acc %.3f (smoothed %.3f) wrong %.3f abst %.3f\n", r.desc.c_str(), r.acc, r.smooth, r.wrong, r.abst);
    if (++shown == 20) break;
  }
}
