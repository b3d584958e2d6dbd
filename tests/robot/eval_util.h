// Loads the evaluation set in tests/robot/eval/ and scores a matcher on it.
#pragma once

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "robot/robot.h"

namespace kefu::robot::testing {

struct EvalQuestion {
  std::string id, text, split;
  std::optional<std::string> expect;  // nullopt: the robot must abstain
};

struct EvalScore {
  int answerable = 0, unanswerable = 0;
  int correct = 0;        // answerable, answered with the expected entry
  int wrong = 0;          // answered (any question) with a wrong entry
  int answered = 0;       // answered at all
  int abstained_unanswerable = 0;
  double Accuracy() const { return answerable ? double(correct) / answerable : 0; }
  // Share of all answers given that were wrong (answered but wrong).
  double WrongRate() const { return answered ? double(wrong) / answered : 0; }
  double AbstentionRecall() const {
    return unanswerable ? double(abstained_unanswerable) / unanswerable : 0;
  }
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses the question file: a header line {"name","description"}, then
// {"id","text","expect": id|null,"split"} lines. Minimal field extraction: values are
// plain JSON strings without escapes (checked by the test that loads them).
std::vector<EvalQuestion> LoadQuestions(const std::string& path);

EvalScore Score(const Matcher& m, const std::vector<EvalQuestion>& qs, const std::string& split,
                std::vector<std::string>* failures = nullptr);

}  // namespace kefu::robot::testing
