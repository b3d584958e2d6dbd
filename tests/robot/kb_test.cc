#include <gtest/gtest.h>

#include "robot/robot.h"

namespace kefu::robot {
namespace {

TEST(RobotKb, ParsesJsonlWithOptionalFields) {
  auto kb = ParseKbJsonl(
      "{\"id\":\"a\",\"question\":\"什么时候发货\",\"answer\":\"48小时内\",\"similar\":[\"多久发\"],"
      "\"category\":\"物流\"}\n\n"
      "{\"id\":\"b\",\"question\":\"q\",\"answer\":\"x\",\"enabled\":false,"
      "\"valid_from\":\"2026-11-01T00:00:00+08:00\",\"valid_to\":\"2026-11-12T00:00:00+08:00\"}\n");
  ASSERT_TRUE(kb.ok()) << kb.status().ToString();
  ASSERT_EQ(kb->size(), 2u);
  EXPECT_EQ((*kb)[0].similar, std::vector<std::string>{"多久发"});
  EXPECT_EQ((*kb)[0].category, "物流");
  EXPECT_FALSE((*kb)[1].enabled);
  ASSERT_TRUE((*kb)[1].valid_from.has_value());
}

TEST(RobotKb, NamesTheBadLine) {
  auto r = ParseKbJsonl("{\"id\":\"a\",\"question\":\"q\",\"answer\":\"x\"}\n{\"id\":\"b\",\"question\":\"q\"}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 2"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().field(), "answer");
  auto j = ParseKbJsonl("{\"id\":\"a\",\"question\":\"q\",\"answer\":\"x\"}\n{oops\n");
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("line 2"), std::string::npos);
  auto d = ParseKbJsonl("{\"id\":\"a\",\"question\":\"q\",\"answer\":\"x\"}\n{\"id\":\"a\",\"question\":\"q\",\"answer\":\"x\"}");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("duplicate"), std::string::npos);
  auto s = ParseKbJsonl("{\"id\":\"a\",\"question\":\"q\",\"answer\":\"x\",\"similar\":\"no\"}");
  EXPECT_FALSE(s.ok());
  auto t = ParseKbJsonl("{\"id\":\"a\",\"question\":\"q\",\"answer\":\"x\",\"valid_to\":\"tomorrow\"}");
  EXPECT_FALSE(t.ok());
}

TEST(RobotKb, CsvRoundTripsWithQuotesAndNewlines) {
  std::vector<FaqEntry> kb(2);
  kb[0].id = "a";
  kb[0].question = "能开发票吗";
  kb[0].similar = {"开票", "要发票, 怎么开"};
  kb[0].answer = "亲，可以\n\"电子\"发票";
  kb[1].id = "b";
  kb[1].question = "q2";
  kb[1].answer = "x";
  kb[1].enabled = false;
  kb[1].valid_to = core::ParseRfc3339("2026-11-12T00:00:00Z").value();
  auto back = ParseKbCsv(KbToCsv(kb));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].answer, kb[0].answer);
  EXPECT_EQ((*back)[0].similar, kb[0].similar);
  EXPECT_FALSE((*back)[1].enabled);
  EXPECT_EQ((*back)[1].valid_to, kb[1].valid_to);
  auto j = ParseKbJsonl(KbToJsonl(kb));
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)[0].answer, kb[0].answer);
  EXPECT_EQ((*j)[1].valid_to, kb[1].valid_to);
}

TEST(RobotKb, CsvErrorsNameTheLine) {
  auto r = ParseKbCsv("id,question,answer\na,q,x\nb,q\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 3"), std::string::npos) << r.status().message();
  EXPECT_FALSE(ParseKbCsv("id,question\na,q\n").ok());
  EXPECT_FALSE(ParseKbCsv("id,question,answer\na,\"q,x\n").ok());
}

TEST(RobotKb, ActiveOnlyInsideCampaignWindow) {
  FaqEntry e;
  e.valid_from = core::ParseRfc3339("2026-11-01T00:00:00Z").value();
  e.valid_to = core::ParseRfc3339("2026-11-12T00:00:00Z").value();
  EXPECT_FALSE(e.ActiveAt(core::ParseRfc3339("2026-10-31T23:59:59Z").value()));
  EXPECT_TRUE(e.ActiveAt(core::ParseRfc3339("2026-11-05T00:00:00Z").value()));
  EXPECT_FALSE(e.ActiveAt(*e.valid_to));
  e.enabled = false;
  EXPECT_FALSE(e.ActiveAt(core::ParseRfc3339("2026-11-05T00:00:00Z").value()));
}

TEST(RobotKb, RendersTemplateVariables) {
  EXPECT_EQ(RenderAnswer("{buyer}亲，订单{order_id}在{ship_time}前发出{x}",
                         {{"buyer", "小王"}, {"order_id", "123"}, {"ship_time", "3月6日18点"}}),
            "小王亲，订单123在3月6日18点前发出{x}");
}

}  // namespace
}  // namespace kefu::robot
