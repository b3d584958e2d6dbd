// Acceptance 1 of issue 7: top-1 accuracy, wrong-answer rate and abstention recall on the
// evaluation set in tests/robot/eval/. The knobs and the decision model were fitted on the dev
// split and on pools built from the KB and dev alone (tests/robot/tune_main.cc); the targets
// are checked on the held-out test split, on dev and on all.
#include <cstdio>

#include <gtest/gtest.h>

#include "eval_util.h"

namespace kefu::robot {
namespace {

// Issue 7's targets.
constexpr double kMinAccuracy = 0.85;
constexpr double kMaxWrongRate = 0.05;
constexpr double kMinAbstention = 0.80;

// All three targets are asserted outright on the held-out test split, the dev split and the
// whole set. Measured 2026-12-06 (robot2 session): test 0.877 / 0.047 / 0.928, dev 0.961 /
// 0.026 / 0.942, all 0.923 / 0.035 / 0.935. The test split's wrong-answer rate has no room to
// spare: 8 wrong of 172 answers, a ninth would be 5.2%. See docs/robot.md for how the decision
// was fitted without the test split and how often its totals were looked at.
struct Bounds {
  double accuracy, wrong_rate, abstention;
};
constexpr Bounds kTargets{kMinAccuracy, kMaxWrongRate, kMinAbstention};

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
  // Misses are listed for the dev split only: the test split's misses must not steer the tuning.
  void Check(const std::string& split, const Bounds& bounds) {
    std::vector<std::string> failures;
    auto s = testing::Score(*matcher_, questions_, split, split == "dev" ? &failures : nullptr);
    std::printf("robot eval [%s]: %d answerable, %d unanswerable | top-1 accuracy %.3f (target >= "
                "%.2f) | wrong-answer rate %.3f of %d answers (target <= %.2f) | abstention "
                "recall %.3f (target >= %.2f)\n",
                split.empty() ? "all" : split.c_str(), s.answerable, s.unanswerable,
                s.Accuracy(), kMinAccuracy, s.WrongRate(), s.answered, kMaxWrongRate,
                s.AbstentionRecall(), kMinAbstention);
    for (const auto& f : failures) std::printf("  miss: %s\n", f.c_str());
    auto verdict = [](bool met) { return met ? "target met" : "target NOT MET"; };
    std::printf("robot eval [%s]: accuracy %s; wrong-answer rate %s; abstention recall %s\n",
                split.empty() ? "all" : split.c_str(), verdict(s.Accuracy() >= kMinAccuracy),
                verdict(s.WrongRate() <= kMaxWrongRate), verdict(s.AbstentionRecall() >= kMinAbstention));
    EXPECT_GE(s.Accuracy(), bounds.accuracy) << "top-1 accuracy below the target";
    EXPECT_LE(s.WrongRate(), bounds.wrong_rate) << "wrong-answer rate above its bound";
    EXPECT_GE(s.AbstentionRecall(), bounds.abstention) << "abstention recall below its bound";
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

TEST_F(RobotEval, HeldOutTestSplitMeetsTargets) { Check("test", kTargets); }
TEST_F(RobotEval, WholeSetMeetsTargets) { Check("", kTargets); }
TEST_F(RobotEval, DevSplitMeetsTargets) { Check("dev", kTargets); }

}  // namespace
}  // namespace kefu::robot
