// Acceptance 1 of issue 7: top-1 accuracy, wrong-answer rate and abstention recall on the
// evaluation set in tests/robot/eval/. The knobs were tuned on the dev split only
// (tests/robot/tune_main.cc); the targets are checked on the held-out test split and on all.
#include <cstdio>

#include <gtest/gtest.h>

#include "eval_util.h"

namespace kefu::robot {
namespace {

// Issue 7's targets. They are NOT met yet on the held-out split (issue 7 stays open): the run
// prints "target NOT MET" for each miss, and the test fails on a regression below the floors
// measured when this was written, so work towards the targets can only move one way.
constexpr double kMinAccuracy = 0.85;
constexpr double kMaxWrongRate = 0.05;
constexpr double kMinAbstention = 0.80;

struct Floor {
  double accuracy, wrong_rate, abstention;
};
// Measured 2026-11-23 (test split: 0.770 / 0.059 / 0.957; whole set: 0.823 / 0.031 / 0.964).
constexpr Floor kTestFloor{0.76, 0.060, 0.80};
constexpr Floor kAllFloor{0.81, 0.035, 0.80};

class RobotEval : public ::testing::Test {
 protected:
  void SetUp() override {
    auto kb = ParseKbJsonl(testing::ReadFile("tests/robot/eval/kb.jsonl"));
    ASSERT_TRUE(kb.ok()) << kb.status().ToString();
    kb_size_ = kb->size();
    auto m = Matcher::Build(std::move(kb).value(), DefaultLexicon());
    ASSERT_TRUE(m.ok());
    matcher_.emplace(std::move(m).value());
    questions_ = testing::LoadQuestions("tests/robot/eval/questions.jsonl");
  }
  void Check(const std::string& split, const Floor& floor) {
    std::vector<std::string> failures;
    auto s = testing::Score(*matcher_, questions_, split, &failures);
    std::printf("robot eval [%s]: %d answerable, %d unanswerable | top-1 accuracy %.3f (target >= "
                "%.2f) | wrong-answer rate %.3f of %d answers (target <= %.2f) | abstention "
                "recall %.3f (target >= %.2f)\n",
                split.empty() ? "all" : split.c_str(), s.answerable, s.unanswerable,
                s.Accuracy(), kMinAccuracy, s.WrongRate(), s.answered, kMaxWrongRate,
                s.AbstentionRecall(), kMinAbstention);
    for (const auto& f : failures) std::printf("  miss: %s\n", f.c_str());
    auto verdict = [](bool met) { return met ? "target met" : "target NOT MET (issue 7 open)"; };
    std::printf("robot eval [%s]: accuracy %s; wrong-answer rate %s; abstention recall %s\n",
                split.empty() ? "all" : split.c_str(), verdict(s.Accuracy() >= kMinAccuracy),
                verdict(s.WrongRate() <= kMaxWrongRate), verdict(s.AbstentionRecall() >= kMinAbstention));
    EXPECT_GE(s.Accuracy(), floor.accuracy) << "accuracy regressed";
    EXPECT_LE(s.WrongRate(), floor.wrong_rate) << "wrong-answer rate regressed";
    EXPECT_GE(s.AbstentionRecall(), floor.abstention) << "abstention recall regressed";
  }
  size_t kb_size_ = 0;
  std::optional<Matcher> matcher_;
  std::vector<testing::EvalQuestion> questions_;
};

TEST_F(RobotEval, SetIsLargeEnough) {
  EXPECT_GE(kb_size_, 50u);
  ASSERT_GE(questions_.size(), 500u);
  size_t unanswerable = 0;
  for (const auto& q : questions_) unanswerable += !q.expect;
  EXPECT_GE(unanswerable * 5, questions_.size());  // >= 20%
}

TEST_F(RobotEval, HeldOutTestSplitHoldsItsFloor) { Check("test", kTestFloor); }
TEST_F(RobotEval, WholeSetHoldsItsFloor) { Check("", kAllFloor); }

}  // namespace
}  // namespace kefu::robot
