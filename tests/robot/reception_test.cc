#include <gtest/gtest.h>

#include "robot/robot.h"

namespace kefu::robot {
namespace {

core::Timestamp T(const char* s) { return core::ParseRfc3339(s).value(); }

class RobotReception : public ::testing::Test {
 protected:
  RobotReception() : matcher_(Build()) { settings_.hot_questions = {"什么时候发货", "怎么退货"}; }
  static Matcher Build() {
    auto kb = ParseKbJsonl(
        "{\"id\":\"ship\",\"question\":\"什么时候发货\",\"answer\":\"{buyer}亲，订单{order_id}会在{ship_time}前发出\",\"similar\":[\"多久发货\"]}\n"
        "{\"id\":\"wash\",\"question\":\"怎么洗\",\"answer\":\"冷水手洗\",\"similar\":[\"能机洗吗\"]}\n");
    return std::move(Matcher::Build(std::move(kb).value(), DefaultLexicon())).value();
  }
  RobotSettings settings_;
  Matcher matcher_;
};

TEST_F(RobotReception, OpeningMessageAndHotQuestionsOnFirstEntry) {
  BuyerTurn t{BuyerTurn::Kind::kEnter, "", std::nullopt, "小王", true};
  auto a = Respond(settings_, matcher_, t, T("2026-03-05T10:00:00+08:00"));
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].text, settings_.opening_message);
  EXPECT_EQ(a[1].kind, ActionKind::kButtons);
  EXPECT_EQ(a[1].options, settings_.hot_questions);
  t.first_visit = false;
  EXPECT_EQ(Respond(settings_, matcher_, t, T("2026-03-05T10:00:00+08:00")).size(), 1u);
}

TEST_F(RobotReception, OrderCardShowsSelfServiceMenuAndPickRunsFlow) {
  OrderSnapshot o;
  o.order_id = "A1";
  o.promised_ship_time = T("2026-03-06T10:00:00+08:00");
  BuyerTurn card{BuyerTurn::Kind::kOrderCard, "", o, "b", false};
  auto a = Respond(settings_, matcher_, card, T("2026-03-05T10:00:00+08:00"));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].options, settings_.self_service_menu);
  BuyerTurn pick{BuyerTurn::Kind::kMenuPick, "催发货", o, "b", false};
  auto r = Respond(settings_, matcher_, pick, T("2026-03-05T10:00:00+08:00"));
  ASSERT_FALSE(r.empty());
  EXPECT_NE(r[0].text.find("3月6日10点"), std::string::npos) << r[0].text;
}

TEST_F(RobotReception, AnswersWithTemplateVariablesWhenSure) {
  OrderSnapshot o;
  o.order_id = "A1";
  o.promised_ship_time = T("2026-03-06T10:00:00+08:00");
  BuyerTurn t{BuyerTurn::Kind::kText, "请问多久发货呀", o, "小王", false};
  auto a = Respond(settings_, matcher_, t, T("2026-03-05T10:00:00+08:00"));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].text, "小王亲，订单A1会在3月6日10点前发出");
  // Without an order the answer cannot be filled in: a human takes it.
  t.order.reset();
  auto b = Respond(settings_, matcher_, t, T("2026-03-05T10:00:00+08:00"));
  EXPECT_EQ(b.back().kind, ActionKind::kHandover);
}

TEST_F(RobotReception, HumanAlwaysWorksAndUnknownHandsOver) {
  BuyerTurn t{BuyerTurn::Kind::kText, "转人工", std::nullopt, "b", false};
  auto a = Respond(settings_, matcher_, t, T("2026-03-05T10:00:00+08:00"));
  EXPECT_EQ(a.back().kind, ActionKind::kHandover);
  EXPECT_EQ(a.back().text, "buyer_asked_for_human");
  t.text = "明天会下雨吗";
  auto b = Respond(settings_, matcher_, t, T("2026-03-05T10:00:00+08:00"));
  EXPECT_EQ(b.back().kind, ActionKind::kHandover);
  EXPECT_EQ(b.back().text, "robot_unsure");
}

TEST_F(RobotReception, OffHoursTellsWhenHumansReturnAndLeavesNote) {
  BuyerTurn t{BuyerTurn::Kind::kText, "我要人工", std::nullopt, "b", false};
  auto a = Respond(settings_, matcher_, t, T("2026-03-05T02:00:00+08:00"));
  ASSERT_GE(a.size(), 3u);
  EXPECT_NE(a[0].text.find("09:00"), std::string::npos) << a[0].text;
  EXPECT_EQ(a[1].kind, ActionKind::kLeaveNote);
  EXPECT_EQ(a[2].kind, ActionKind::kHandover);
  // The robot still answers what it knows at night.
  t.text = "能机洗吗";
  auto b = Respond(settings_, matcher_, t, T("2026-03-05T02:00:00+08:00"));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].text, "冷水手洗");
}

}  // namespace
}  // namespace kefu::robot
