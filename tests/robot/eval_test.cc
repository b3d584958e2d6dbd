// Acceptance 1 of issue 7: top-1 accuracy, wrong-answer rate and abstention recall on the
// evaluation set in tests/robot/eval/. The knobs were tuned on the dev split only
// (tests/robot/tune_main.cc); the targets are checked on the held-out test split and on all.
#include <cstdio>

#include <gtest/gtest.h>

#include "eval_util.h"

namespace kefu::robot {
namespace {

constexpr double kMinAccuracy = 0.85;
constexpr double kMaxWrongRate = 0.05;
constexpr double kMinAbstention = 0.80;

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
  void Check(const std::string& split) {
    std::vector<std::string> failures;
    auto s = testing::Score(*matcher_, questions_, split, &failures);
    std::printf("robot eval [%s]: %d answerable, %d unanswerable | top-1 accuracy %.3f (target >= "
                "%.2f) | wrong-answer rate %.3f of %d answers (target <= %.2f) | abstention "
                "recall %.3f (target >= %.2f)\n",
                split.empty() ? "all" : split.c_str(), s.answerable, s.unanswerable,
                s.Accuracy(), kMinAccuracy, s.WrongRate(), s.answered, kMaxWrongRate,
                s.AbstentionRecall(), kMinAbstention);
    for (const auto& f : failures) std::printf("  miss: %s\n", f.c_str());
    EXPECT_GE(s.Accuracy(), kMinAccuracy);
    EXPECT_LE(s.WrongRate(), kMaxWrongRate);
    EXPECT_GE(s.AbstentionRecall(), kMinAbstention);
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

TEST_F(RobotEval, MeetsTargetsOnHeldOutTestSplit) { Check("test"); }
TEST_F(RobotEval, MeetsTargetsOnWholeSet) { Check(""); }

}  // namespace
}  // namespace kefu::robot
