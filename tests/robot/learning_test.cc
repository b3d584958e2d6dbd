#include <gtest/gtest.h>

#include "robot/robot.h"

namespace kefu::robot {
namespace {

TEST(RobotLearning, ClustersUnansweredQuestionsIntoSuggestions) {
  auto kb = ParseKbJsonl("{\"id\":\"ship\",\"question\":\"什么时候发货\",\"answer\":\"48小时内\"}\n");
  auto m = Matcher::Build(std::move(kb).value(), DefaultLexicon());
  ASSERT_TRUE(m.ok());
  std::vector<QuestionRecord> day = {
      {"你们有实体店吗", "亲，我们只有网店哦", true},
      {"有没有实体店", "亲，我们只有网店哦", true},
      {"实体店在哪", "亲，没有线下门店", true},
      {"裤子有口袋吗", "有两个侧袋", true},
      {"什么时候发货", "", true},  // the robot answers this one: not a suggestion
      {"什么时候发货", "", true},
  };
  auto s = SuggestFaqs(*m, day, 2, 0.3);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].count, 3);
  EXPECT_EQ(s[0].example_answers.front(), "亲，我们只有网店哦");
  EXPECT_EQ(s[0].similar.size(), 2u);
  EXPECT_EQ(SuggestFaqs(*m, day, 1, 0.3).size(), 2u);
}

}  // namespace
}  // namespace kefu::robot
