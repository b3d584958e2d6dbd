#include "store/robot_repo.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/store.h"

namespace kefu::store {
namespace {

using std::chrono::hours;

std::string TempDir() {
  auto p = std::filesystem::temp_directory_path() / ("kefu-robot-repo-" + core::NewId(""));
  std::filesystem::create_directories(p);
  return p.string();
}

// The store creates the tables; the repo opens its own connections on the same file.
std::unique_ptr<RobotRepo> OpenRepo(const std::string& dir, std::unique_ptr<Store>* store) {
  auto st = Store::Open(dir);
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  *store = std::move(*st);
  auto repo = RobotRepo::Open(dir);
  EXPECT_TRUE(repo.ok()) << repo.status().ToString();
  return std::move(*repo);
}

core::Timestamp T0() { return *core::ParseRfc3339("2026-03-05T10:00:00+08:00", nullptr); }

FaqRow Faq(const std::string& shop, const std::string& id, const std::string& data) {
  return FaqRow{shop, id, data, T0()};
}

TEST(RobotRepo, RefusesADatabaseWithoutTheRobotTables) {
  const auto dir = TempDir();
  auto repo = RobotRepo::Open(dir);  // no kefu.db at all
  EXPECT_FALSE(repo.ok());
}

TEST(RobotRepo, FaqUpsertKeepsOrderAndDeletes) {
  const auto dir = TempDir();
  std::unique_ptr<Store> store;
  auto repo = OpenRepo(dir, &store);
  ASSERT_TRUE(repo->PutFaq(Faq("s1", "b", R"({"id":"b"})")).ok());
  ASSERT_TRUE(repo->PutFaq(Faq("s1", "a", R"({"id":"a"})")).ok());
  ASSERT_TRUE(repo->PutFaq(Faq("s2", "a", R"({"id":"a","shop":2})")).ok());
  // Replacing "b" keeps it first.
  ASSERT_TRUE(repo->PutFaq(Faq("s1", "b", R"({"id":"b","v":2})")).ok());
  auto rows = repo->ListFaqs("s1");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].id, "b");
  EXPECT_EQ((*rows)[0].data, R"({"id":"b","v":2})");
  EXPECT_EQ((*rows)[1].id, "a");
  EXPECT_EQ((*rows)[0].updated_at, T0());

  EXPECT_TRUE(repo->DeleteFaq("s1", "a").ok());
  EXPECT_EQ(repo->DeleteFaq("s1", "a").code(), core::Code::kNotFound);
  // Another shop's entry with the same id is untouched.
  auto other = repo->ListFaqs("s2");
  ASSERT_TRUE(other.ok());
  ASSERT_EQ(other->size(), 1u);
  EXPECT_EQ((*other)[0].data, R"({"id":"a","shop":2})");
}

TEST(RobotRepo, ImportMergesOrReplacesAtomically) {
  const auto dir = TempDir();
  std::unique_ptr<Store> store;
  auto repo = OpenRepo(dir, &store);
  ASSERT_TRUE(repo->PutFaq(Faq("s1", "old", "{}")).ok());
  ASSERT_TRUE(repo->PutFaqs("s1", {Faq("s1", "x", "{}"), Faq("s1", "y", "{}")}, false).ok());
  EXPECT_EQ(repo->ListFaqs("s1")->size(), 3u);
  ASSERT_TRUE(repo->PutFaqs("s1", {Faq("s1", "z", "{}")}, true).ok());
  auto rows = repo->ListFaqs("s1");
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].id, "z");
  // A bad row rolls the whole import back.
  auto st = repo->PutFaqs("s1", {Faq("s1", "w", "{}"), Faq("s2", "v", "{}")}, true);
  EXPECT_FALSE(st.ok());
  rows = repo->ListFaqs("s1");
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].id, "z");
}

TEST(RobotRepo, SettingsRoundTripAndSurviveReopen) {
  const auto dir = TempDir();
  {
    std::unique_ptr<Store> store;
    auto repo = OpenRepo(dir, &store);
    EXPECT_FALSE(repo->GetSettings("s1")->has_value());
    ASSERT_TRUE(repo->PutSettings({"s1", R"({"enabled":true})", T0()}).ok());
    ASSERT_TRUE(repo->PutSettings({"s1", R"({"enabled":false})", T0() + hours(1)}).ok());
    ASSERT_TRUE(repo->PutFaq(Faq("s3", "q", "{}")).ok());
  }
  std::unique_ptr<Store> store;
  auto repo = OpenRepo(dir, &store);
  auto s = repo->GetSettings("s1");
  ASSERT_TRUE(s.ok() && s->has_value());
  EXPECT_EQ((*s)->data, R"({"enabled":false})");
  EXPECT_EQ((*s)->updated_at, T0() + hours(1));
  auto shops = repo->ShopsWithRobot();
  ASSERT_TRUE(shops.ok());
  std::sort(shops->begin(), shops->end());
  EXPECT_EQ(*shops, (std::vector<std::string>{"s1", "s3"}));
}

TEST(RobotRepo, QuestionsByDayWithAgentAnswers) {
  const auto dir = TempDir();
  std::unique_ptr<Store> store;
  auto repo = OpenRepo(dir, &store);
  ASSERT_TRUE(repo->AddQuestion({"q1", "s1", "c1", "能开专票吗", "", true, T0()}).ok());
  ASSERT_TRUE(repo->AddQuestion({"q2", "s1", "c2", "明天到吗", "", false, T0() + hours(20)}).ok());
  ASSERT_TRUE(repo->AddQuestion({"q3", "s2", "c3", "别家", "", true, T0()}).ok());
  ASSERT_TRUE(repo->SetAgentAnswer("q1", "亲，可以开专票").ok());
  EXPECT_EQ(repo->SetAgentAnswer("nope", "x").code(), core::Code::kNotFound);

  auto day = repo->ListQuestions("s1", T0() - hours(1), T0() + hours(12), 100);
  ASSERT_TRUE(day.ok());
  ASSERT_EQ(day->size(), 1u);
  EXPECT_EQ((*day)[0].text, "能开专票吗");
  EXPECT_EQ((*day)[0].agent_answer, "亲，可以开专票");
  EXPECT_TRUE((*day)[0].robot_abstained);
  EXPECT_EQ((*day)[0].conversation_id, "c1");

  auto two = repo->ListQuestions("s1", T0() - hours(1), T0() + hours(48), 100);
  ASSERT_EQ(two->size(), 2u);
  EXPECT_FALSE((*two)[1].robot_abstained);
  EXPECT_EQ(repo->ListQuestions("s1", T0() - hours(1), T0() + hours(48), 1)->size(), 1u);
}

TEST(RobotRepo, ShipsTheDemoKnowledgeBase) {
  const auto kb = DemoRobotKb();
  EXPECT_GT(kb.size(), 1000u);
  EXPECT_NE(kb.find("\"question\""), std::string_view::npos);
}

}  // namespace
}  // namespace kefu::store
