// The learning loop: a day's unanswered questions grouped by word overlap (Jaccard over the
// matcher's canonical words, so synonyms fall together) into suggested FAQ entries.
#include <algorithm>
#include <map>
#include <set>

#include "robot/robot.h"

namespace kefu::robot {

std::vector<FaqSuggestion> SuggestFaqs(const Matcher& matcher,
                                       const std::vector<QuestionRecord>& records, int min_count,
                                       double similarity) {
  struct Cluster {
    std::set<std::string> words;  // the first question's words: a stable centre
    std::map<std::string, int> texts;
    std::map<std::string, int> answers;
    int count = 0;
    size_t first = 0;
  };
  std::vector<Cluster> clusters;
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    if (matcher.Match(r.text).faq_id) continue;  // already answered confidently
    auto w = matcher.Words(r.text);
    std::set<std::string> words(w.begin(), w.end());
    if (words.empty()) continue;
    double best = 0;
    Cluster* into = nullptr;
    for (auto& c : clusters) {
      size_t inter = 0;
      for (const auto& x : words) inter += c.words.count(x);
      const double j = double(inter) / double(words.size() + c.words.size() - inter);
      if (j > best) {
        best = j;
        into = &c;
      }
    }
    if (!into || best < similarity) {
      clusters.push_back(Cluster{words, {}, {}, 0, i});
      into = &clusters.back();
    }
    ++into->count;
    ++into->texts[r.text];
    if (!r.agent_answer.empty()) ++into->answers[r.agent_answer];
  }
  std::vector<FaqSuggestion> out;
  auto by_count = [](const std::map<std::string, int>& m) {
    std::vector<std::pair<std::string, int>> v(m.begin(), m.end());
    std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
    return v;
  };
  std::stable_sort(clusters.begin(), clusters.end(), [](const Cluster& a, const Cluster& b) {
    return a.count != b.count ? a.count > b.count : a.first < b.first;
  });
  for (const auto& c : clusters) {
    if (c.count < min_count) continue;
    FaqSuggestion s;
    s.count = c.count;
    auto texts = by_count(c.texts);
    s.question = texts[0].first;
    for (size_t i = 1; i < texts.size(); ++i) s.similar.push_back(texts[i].first);
    auto answers = by_count(c.answers);
    for (size_t i = 0; i < answers.size() && i < 3; ++i) s.example_answers.push_back(answers[i].first);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace kefu::robot
