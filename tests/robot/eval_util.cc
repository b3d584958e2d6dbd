#include "eval_util.h"

#include <simdjson.h>

namespace kefu::robot::testing {

std::vector<EvalQuestion> LoadQuestions(const std::string& path) {
  std::vector<EvalQuestion> out;
  std::string text = ReadFile(path);
  simdjson::dom::parser parser;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    simdjson::dom::element doc = parser.parse(line);
    if (doc["name"].error() == simdjson::SUCCESS) continue;  // header
    EvalQuestion q;
    q.id = std::string(std::string_view(doc["id"]));
    q.text = std::string(std::string_view(doc["text"]));
    if (doc["split"].error() == simdjson::SUCCESS) q.split = std::string(std::string_view(doc["split"]));
    auto e = doc["expect"];
    if (!e.is_null()) q.expect = std::string(std::string_view(e));
    out.push_back(std::move(q));
  }
  return out;
}

EvalScore Score(const Matcher& m, const std::vector<EvalQuestion>& qs, const std::string& split,
                std::vector<std::string>* failures) {
  EvalScore s;
  for (const auto& q : qs) {
    if (!split.empty() && q.split != split) continue;
    auto r = m.Match(q.text);
    if (r.faq_id) ++s.answered;
    if (q.expect) {
      ++s.answerable;
      if (r.faq_id == q.expect) {
        ++s.correct;
      } else if (r.faq_id) {
        ++s.wrong;
      }
    } else {
      ++s.unanswerable;
      if (!r.faq_id) {
        ++s.abstained_unanswerable;
      } else {
        ++s.wrong;
      }
    }
    if (failures && r.faq_id != q.expect) {
      std::string top = r.candidates.empty() ? "-" : r.candidates[0].faq_id + " " +
                                                         std::to_string(r.candidates[0].score);
      failures->push_back(q.id + " [" + q.text + "] want " + q.expect.value_or("null") + " got " +
                          r.faq_id.value_or("null") + " top " + top + " " + r.reason);
    }
  }
  return s;
}

}  // namespace kefu::robot::testing
