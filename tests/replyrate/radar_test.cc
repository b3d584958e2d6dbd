// The live radar with a manual clock: warnings at the lead time, once; replies cancel them;
// escalation once per wait; the service window; time left per line.
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "replyrate/replyrate.h"

namespace rr = kefu::replyrate;
using kefu::core::ManualClock;
using kefu::core::Timestamp;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

Timestamp At(const char* text) { return *kefu::core::ParseRfc3339(text); }

rr::Radar PddRadar() {
  rr::RadarSettings s;
  s.profile = *rr::LoadProfile(kefu::core::Platform::kPdd);
  s.tz = *kefu::core::TimeZone::Load("Asia/Shanghai");
  return rr::Radar(std::move(s));
}

TEST(Radar, WarnsAtLeadTimeOnce) {
  ManualClock clock(At("2026-03-05T10:00:00+08:00"));
  rr::Radar radar = PddRadar();
  radar.OnBuyerMessage("s", "b1", "c1", "a1", clock.Now());
  clock.Advance(seconds(119));
  EXPECT_TRUE(radar.Poll(clock.Now()).empty());  // 61 s before the 3-minute line
  clock.Advance(seconds(1));
  auto w = radar.Poll(clock.Now());
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].threshold, "3m_human");
  EXPECT_EQ(w[0].conversation_id, "c1");
  EXPECT_EQ(w[0].agent, "a1");
  EXPECT_EQ(w[0].deadline, At("2026-03-05T10:03:00+08:00"));
  clock.Advance(seconds(30));
  EXPECT_TRUE(radar.Poll(clock.Now()).empty());  // not twice
  clock.Set(At("2026-03-05T10:49:59+08:00"));
  EXPECT_TRUE(radar.Poll(clock.Now()).empty());
  clock.Set(At("2026-03-05T10:50:00+08:00"));  // 10 min before the 1-hour line
  w = radar.Poll(clock.Now());
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].threshold, "60m");
  EXPECT_EQ(w[0].deadline, At("2026-03-05T11:00:00+08:00"));
  EXPECT_TRUE(radar.Poll(clock.Now() + minutes(30)).empty());
}

TEST(Radar, AgentReplyCancelsWarnings) {
  rr::Radar radar = PddRadar();
  const Timestamp t0 = At("2026-03-05T10:00:00+08:00");
  radar.OnBuyerMessage("s", "b1", "c1", "", t0);
  radar.OnReply("s", "b1", rr::Sender::kAgent, t0 + seconds(100));
  EXPECT_TRUE(radar.Poll(t0 + minutes(59)).empty());
  EXPECT_TRUE(radar.Escalations(t0 + minutes(59)).empty());
  EXPECT_TRUE(radar.Waiting("s", t0 + minutes(2)).empty());
}

TEST(Radar, RobotReplyCancelsOnlyLinesRobotsMayAnswer) {
  rr::Radar radar = PddRadar();
  const Timestamp t0 = At("2026-03-05T10:00:00+08:00");
  radar.OnBuyerMessage("s", "b1", "c1", "a1", t0);
  radar.OnReply("s", "b1", rr::Sender::kRobot, t0 + seconds(10));
  auto w = radar.Poll(t0 + minutes(55));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].threshold, "3m_human");  // the 1-hour line is answered by the robot
  auto waiting = radar.Waiting("s", t0 + seconds(20));
  ASSERT_EQ(waiting.size(), 1u);
  ASSERT_EQ(waiting[0].lines.size(), 1u);
  EXPECT_EQ(waiting[0].lines[0].threshold, "3m_human");
  EXPECT_EQ(waiting[0].lines[0].left, seconds(160));
}

TEST(Radar, AutoAndSystemDoNotCancel) {
  rr::Radar radar = PddRadar();
  const Timestamp t0 = At("2026-03-05T10:00:00+08:00");
  radar.OnBuyerMessage("s", "b1", "c1", "a1", t0);
  radar.OnReply("s", "b1", rr::Sender::kAuto, t0 + seconds(1));
  radar.OnReply("s", "b1", rr::Sender::kSystem, t0 + seconds(2));
  EXPECT_EQ(radar.Poll(t0 + minutes(2)).size(), 1u);
}

TEST(Radar, LaterMessagesDoNotRestartTheClock) {
  rr::Radar radar = PddRadar();
  const Timestamp t0 = At("2026-03-05T10:00:00+08:00");
  radar.OnBuyerMessage("s", "b1", "c1", "a1", t0);
  radar.OnBuyerMessage("s", "b1", "c1", "a1", t0 + seconds(90));
  auto w = radar.Poll(t0 + seconds(120));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].deadline, t0 + minutes(3));
}

TEST(Radar, NewWaitAfterAnswerWarnsAgain) {
  rr::Radar radar = PddRadar();
  const Timestamp t0 = At("2026-03-05T10:00:00+08:00");
  radar.OnBuyerMessage("s", "b1", "c1", "a1", t0);
  EXPECT_EQ(radar.Poll(t0 + minutes(2)).size(), 1u);
  radar.OnReply("s", "b1", rr::Sender::kAgent, t0 + minutes(4));
  radar.OnBuyerMessage("s", "b1", "c1", "a1", t0 + minutes(10));
  auto w = radar.Poll(t0 + minutes(12));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].deadline, t0 + minutes(13));
}

TEST(Radar, OutsideServiceWindowStartsNoCountdown) {
  rr::Radar radar = PddRadar();
  radar.OnBuyerMessage("s", "b1", "c1", "a1", At("2026-03-05T07:59:59+08:00"));
  radar.OnBuyerMessage("s", "b2", "c2", "a1", At("2026-03-05T23:00:00+08:00"));
  EXPECT_TRUE(radar.Poll(At("2026-03-06T06:00:00+08:00")).empty());
  EXPECT_TRUE(radar.Waiting("s", At("2026-03-05T23:30:00+08:00")).empty());
  radar.OnBuyerMessage("s", "b3", "c3", "a1", At("2026-03-05T08:00:00+08:00"));
  EXPECT_EQ(radar.Waiting("s", At("2026-03-05T08:00:30+08:00")).size(), 1u);
}

TEST(Radar, EscalatesOncePerWaitToTheNextAgent) {
  rr::RadarSettings s;
  s.profile = *rr::LoadProfile(kefu::core::Platform::kPdd);
  s.tz = kefu::core::TimeZone::Fixed(480);
  s.escalate_after = seconds(90);
  s.warn_at = {{"3m_human", seconds(30)}};
  rr::Radar radar(std::move(s));
  ManualClock clock(At("2026-03-05T10:00:00+08:00"));
  radar.OnBuyerMessage("s", "b1", "c1", "a1", clock.Now());
  clock.Advance(seconds(89));
  EXPECT_TRUE(radar.Escalations(clock.Now()).empty());
  EXPECT_TRUE(radar.Poll(clock.Now()).empty());
  clock.Advance(seconds(1));
  auto e = radar.Escalations(clock.Now());
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].agent, "a1");
  EXPECT_EQ(e[0].conversation_id, "c1");
  radar.OnAssigned("s", "b1", "a2");
  clock.Advance(seconds(60));
  EXPECT_TRUE(radar.Escalations(clock.Now()).empty());
  auto w = radar.Poll(clock.Now());  // 30 s before the line, to the new agent
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].agent, "a2");
}

TEST(Radar, WaitingListsTimeLeftPerLineLongestFirst) {
  rr::Radar radar = PddRadar();
  const Timestamp t0 = At("2026-03-05T10:00:00+08:00");
  radar.OnBuyerMessage("s", "b2", "c2", "", t0 + minutes(1));
  radar.OnBuyerMessage("s", "b1", "c1", "", t0);
  radar.OnBuyerMessage("other", "b9", "c9", "", t0);
  auto w = radar.Waiting("s", t0 + minutes(4));
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].buyer, "b1");
  ASSERT_EQ(w[0].lines.size(), 4u);
  EXPECT_EQ(w[0].lines[0].threshold, "3m_human");
  EXPECT_EQ(w[0].lines[0].left, -minutes(1));  // already missed
  EXPECT_EQ(w[0].lines[3].threshold, "60m");
  EXPECT_EQ(w[0].lines[3].left, minutes(56));
}

TEST(Radar, ConfiguredLeadTimesAndAReplyAfterTheFirstWarningCancelsTheRest) {
  rr::RadarSettings s;
  s.profile = *rr::LoadProfile(kefu::core::Platform::kPdd);
  s.tz = *kefu::core::TimeZone::Load("Asia/Shanghai");
  s.warn_at = {{"3m_human", seconds(45)}, {"15m", minutes(5)}, {"60m", minutes(10)}};
  rr::Radar radar(std::move(s));
  ManualClock clock(At("2026-03-05T10:00:00+08:00"));
  radar.OnBuyerMessage("s", "b1", "c1", "a1", clock.Now());
  // Every second up to 11:30: each warning exactly at its deadline minus its lead, once.
  std::vector<std::pair<std::string, Timestamp>> fired;
  auto run_until = [&](Timestamp end) {
    while (clock.Now() < end) {
      clock.Advance(seconds(1));
      for (const auto& w : radar.Poll(clock.Now())) fired.emplace_back(w.threshold, clock.Now());
    }
  };
  run_until(At("2026-03-05T10:12:00+08:00"));
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0], std::make_pair(std::string("3m_human"), At("2026-03-05T10:02:15+08:00")));
  EXPECT_EQ(fired[1], std::make_pair(std::string("15m"), At("2026-03-05T10:10:00+08:00")));
  // The agent answers after both warnings: the 1-hour warning (due at 10:50) never comes.
  radar.OnReply("s", "b1", rr::Sender::kAgent, clock.Now());
  run_until(At("2026-03-05T11:30:00+08:00"));
  EXPECT_EQ(fired.size(), 2u);
  EXPECT_TRUE(radar.Waiting("s", clock.Now()).empty());
  EXPECT_TRUE(radar.Escalations(clock.Now()).empty());
}

}  // namespace
