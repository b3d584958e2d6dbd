#include "store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <condition_variable>
#include <filesystem>
#include <thread>

namespace kefu::store {
namespace {

using conversation::Conversation;
using conversation::Message;

std::string TempDir() {
  auto p = std::filesystem::temp_directory_path() / ("kefu-store-" + core::NewId(""));
  std::filesystem::create_directories(p);
  return p.string();
}

Message Msg(const std::string& conv, const std::string& text) {
  Message m;
  m.id = core::NewId("m_");
  m.conversation_id = conv;
  m.shop_id = "s1";
  m.buyer = "b1";
  m.text = text;
  m.ts = core::SystemClock().Now();
  return m;
}

TEST(Store, MigratesOnceAndReopens) {
  const auto dir = TempDir();
  {
    auto st = Store::Open(dir);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    ShopRow shop{"s1", "店", "pdd", "Asia/Shanghai", Sha256Hex("key"), core::SystemClock().Now()};
    ASSERT_TRUE((*st)->WriteNow([&] { return (*st)->InsertShop(shop); }).ok());
  }
  auto again = Store::Open(dir);
  ASSERT_TRUE(again.ok());
  auto shop = (*again)->ShopByKeyHash(Sha256Hex("key"));
  ASSERT_TRUE(shop.ok() && shop->has_value());
  EXPECT_EQ((*shop)->name, "店");
  // A duplicate user name is refused and leaves nothing half-written.
  UserRow u;
  u.id = "u1";
  u.username = "amy";
  u.display_name = "Amy";
  u.role = "agent";
  u.password_hash = "x";
  u.skills = {"presale"};
  u.shop_ids = {"s1"};
  ASSERT_TRUE((*again)->WriteNow([&] { return (*again)->InsertUser(u); }).ok());
  u.id = "u2";
  auto dup = (*again)->WriteNow([&] { return (*again)->InsertUser(u); });
  EXPECT_EQ(dup.code(), core::Code::kAlreadyExists);
  EXPECT_EQ(dup.field(), "username");
  EXPECT_EQ((*again)->ListUsers("s1")->size(), 1u);
}

TEST(Store, DedupeKeyFindsTheFirstMessage) {
  auto st = Store::Open(TempDir());
  ASSERT_TRUE(st.ok());
  Message m = Msg("c1", "在吗");
  ASSERT_TRUE((*st)->WriteNow([&] { return (*st)->InsertMessage(m, "k1"); }).ok());
  auto found = (*st)->FindMessageByDedupeKey("k1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, m.id);
  EXPECT_FALSE((*(*st)->FindMessageByDedupeKey("k2")).has_value());
  Message again = Msg("c1", "在吗");
  EXPECT_FALSE((*st)->WriteNow([&] { return (*st)->InsertMessage(again, "k1"); }).ok());
}

TEST(Store, PaginatesHistoryNewestFirstPagesOldestFirstWithin) {
  auto st = Store::Open(TempDir());
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE((*st)->WriteNow([&]() -> core::Status {
    for (int i = 0; i < 25; ++i) {
      Message m = Msg("c1", "m" + std::to_string(i));
      KEFU_TRY((*st)->InsertMessage(m, ""));
    }
    return core::Status::Ok();
  }).ok());
  std::vector<std::string> seen;
  int64_t before = 0;
  for (int page = 0; page < 10; ++page) {
    auto items = (*st)->ListMessages("c1", before, 10);
    ASSERT_TRUE(items.ok());
    if (items->empty()) break;
    for (auto it = items->rbegin(); it != items->rend(); ++it) seen.push_back(it->text);
    for (size_t i = 1; i < items->size(); ++i) EXPECT_LT((*items)[i - 1].seq, (*items)[i].seq);
    before = items->front().seq;
  }
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(seen.front(), "m24");
  EXPECT_EQ(seen.back(), "m0");
}

// Three conversations written in turns: each one's pages hold only its own messages, newest
// page first, and any cursor works (one of the page before, another conversation's, or none).
std::vector<std::string> AllPages(Store& st, const std::string& conv, int64_t before, int limit) {
  std::vector<std::string> seen;
  for (int page = 0; page < 100; ++page) {
    auto items = st.ListMessages(conv, before, limit);
    EXPECT_TRUE(items.ok());
    if (!items.ok() || items->empty()) break;
    for (size_t i = 1; i < items->size(); ++i) EXPECT_LT((*items)[i - 1].seq, (*items)[i].seq);
    for (auto it = items->rbegin(); it != items->rend(); ++it) seen.push_back(it->text);
    before = items->front().seq;
  }
  return seen;
}

std::vector<std::string> Expected(const std::string& conv, int from, int to) {  // newest first
  std::vector<std::string> out;
  for (int i = to; i >= from; --i) out.push_back(conv + "-" + std::to_string(i));
  return out;
}

TEST(Store, HistoryOfInterleavedConversationsWithAnyCursor) {
  auto st = Store::Open(TempDir());
  ASSERT_TRUE(st.ok());
  std::map<std::string, std::vector<int64_t>> seqs;
  ASSERT_TRUE((*st)->WriteNow([&]() -> core::Status {
    for (int i = 0; i < 30; ++i)
      for (const char* c : {"c1", "c2", "c3"}) {
        if (std::string(c) == "c3" && i >= 5) continue;  // c3 stops early
        Message m = Msg(c, std::string(c) + "-" + std::to_string(i));
        KEFU_TRY((*st)->InsertMessage(m, ""));
        seqs[c].push_back(m.seq);
      }
    return core::Status::Ok();
  }).ok());
  for (int limit : {1, 7, 50}) {
    EXPECT_EQ(AllPages(**st, "c1", 0, limit), Expected("c1", 0, 29)) << limit;
    EXPECT_EQ(AllPages(**st, "c3", 0, limit), Expected("c3", 0, 4)) << limit;
  }
  // A cursor that is a message of another conversation, or no message at all.
  EXPECT_EQ(AllPages(**st, "c2", seqs["c1"][10], 4), Expected("c2", 0, 9));
  EXPECT_EQ(AllPages(**st, "c2", seqs["c2"][10] + 100000, 4), Expected("c2", 0, 29));
  EXPECT_EQ(AllPages(**st, "c3", seqs["c1"][20], 4), Expected("c3", 0, 4));
  EXPECT_TRUE((*st)->ListMessages("c9", 0, 10)->empty());
  EXPECT_TRUE((*st)->ListMessages("c1", seqs["c1"][0], 10)->empty());
}

// A data directory written before migration 7 (history by an index on the conversation) gets
// its chains built when it is opened, and reads the same history.
TEST(Store, MigrationBuildsTheChainsOfExistingMessages) {
  const auto dir = TempDir();
  {
    auto st = Store::Open(dir);
    ASSERT_TRUE(st.ok());
    ASSERT_TRUE((*st)->WriteNow([&]() -> core::Status {
      for (int i = 0; i < 40; ++i) {
        Message m = Msg(i % 4 == 0 ? "c2" : "c1", (i % 4 == 0 ? "c2-" : "c1-") + std::to_string(i));
        KEFU_TRY((*st)->InsertMessage(m, ""));
      }
      return core::Status::Ok();
    }).ok());
  }
  {
    // Turn it back into a schema-6 store.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir + "/kefu.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "DROP TABLE message_heads; ALTER TABLE messages DROP COLUMN prev_seq;"
                           "CREATE INDEX messages_by_conversation ON messages (conversation_id, seq);"
                           "DELETE FROM schema_migrations WHERE version = 7;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto st = Store::Open(dir);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  std::vector<std::string> c1, c2;
  for (int i = 39; i >= 0; --i) (i % 4 == 0 ? c2 : c1).push_back((i % 4 == 0 ? "c2-" : "c1-") + std::to_string(i));
  EXPECT_EQ(AllPages(**st, "c1", 0, 8), c1);
  EXPECT_EQ(AllPages(**st, "c2", 0, 3), c2);
  // New messages continue the migrated chains.
  Message m = Msg("c2", "c2-new");
  ASSERT_TRUE((*st)->WriteNow([&] { return (*st)->InsertMessage(m, ""); }).ok());
  c2.insert(c2.begin(), "c2-new");
  EXPECT_EQ(AllPages(**st, "c2", 0, 3), c2);
}

// A rolled-back message leaves its conversation's chain as it was.
TEST(Store, RolledBackMessageLeavesTheChainIntact) {
  auto st = Store::Open(TempDir());
  ASSERT_TRUE(st.ok());
  Message a = Msg("c1", "a"), b = Msg("c1", "b"), c = Msg("c1", "c");
  ASSERT_TRUE((*st)->WriteNow([&] { return (*st)->InsertMessage(a, ""); }).ok());
  EXPECT_FALSE((*st)->WriteNow([&]() -> core::Status {
    KEFU_TRY((*st)->InsertMessage(b, ""));
    return core::Internal("undo");
  }).ok());
  ASSERT_TRUE((*st)->WriteNow([&] { return (*st)->InsertMessage(c, ""); }).ok());
  EXPECT_EQ(AllPages(**st, "c1", 0, 10), (std::vector<std::string>{"c", "a"}));
}

// Jobs that return false roll back alone; the rest of the batch commits.
class TestJob final : public WriteJob {
 public:
  TestJob(Store& st, bool keep, std::atomic<int>& done, std::atomic<int>& committed)
      : st_(st), keep_(keep), done_(done), committed_(committed) {}
  bool Run() override {
    Message m = Msg("c2", keep_ ? "keep" : "drop");
    (void)st_.InsertMessage(m, "");
    return keep_;
  }
  void Done(bool c) override {
    committed_ += c;
    ++done_;
  }

 private:
  Store& st_;
  bool keep_;
  std::atomic<int>& done_;
  std::atomic<int>& committed_;
};

TEST(Store, GroupCommitRollsBackOnlyFailedJobs) {
  const auto dir = TempDir();
  auto st = Store::Open(dir);
  ASSERT_TRUE(st.ok());
  (*st)->StartWriter();
  std::atomic<int> done{0}, committed{0};
  for (int i = 0; i < 200; ++i) (*st)->Submit(std::make_unique<TestJob>(**st, i % 4 != 0, done, committed));
  (*st)->StopWriter();
  EXPECT_EQ(done.load(), 200);
  EXPECT_EQ(committed.load(), 200);
  auto msgs = (*st)->ListMessages("c2", 0, 500);
  ASSERT_TRUE(msgs.ok());
  EXPECT_EQ(msgs->size(), 150u);
  for (const auto& m : *msgs) EXPECT_EQ(m.text, "keep");
  // After the writer stops, jobs are refused (completed uncommitted), not lost silently.
  (*st)->Submit(std::make_unique<TestJob>(**st, true, done, committed));
  EXPECT_EQ(done.load(), 201);
  EXPECT_EQ(committed.load(), 200);
}

// A job given to the writer as a function, with the job kinds the writer distinguishes.
class FnJob final : public WriteJob {
 public:
  FnJob(std::function<bool()> run, std::function<void(bool)> done, bool no_undo, bool outside = false)
      : run_(std::move(run)), done_(std::move(done)), no_undo_(no_undo), outside_(outside) {}
  bool Run() override { return run_(); }
  void Done(bool c) override { done_(c); }
  bool FailsOnlyBeforeWriting() const override { return no_undo_; }
  bool OutsideTransaction() const override { return outside_; }

 private:
  std::function<bool()> run_;
  std::function<void(bool)> done_;
  bool no_undo_, outside_;
};

TEST(Store, JobWithoutSavepointFailingBeforeWritingLeavesTheBatchAlone) {
  const auto dir = TempDir();
  auto st = Store::Open(dir);
  ASSERT_TRUE(st.ok());
  Store& s = **st;
  s.StartWriter();
  std::vector<std::pair<int, bool>> done;  // completion order with the outcome
  std::mutex mu;
  auto record = [&](int i) { return [&, i](bool c) { std::lock_guard l(mu); done.emplace_back(i, c); }; };
  for (int i = 0; i < 30; ++i) {
    const bool fail = i % 3 == 0;
    s.Submit(std::make_unique<FnJob>([&s, fail, i] {
      if (fail) return false;  // before any write
      Message m = Msg("c3", "m" + std::to_string(i));
      return s.InsertMessage(m, "").ok();
    }, record(i), true));
  }
  s.StopWriter();
  ASSERT_EQ(done.size(), 30u);
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(done[size_t(i)].first, i) << "jobs complete in submission order";
    EXPECT_TRUE(done[size_t(i)].second) << "a job that wrote nothing does not fail the batch";
  }
  EXPECT_EQ(s.ListMessages("c3", 0, 100)->size(), 20u);
}

TEST(Store, JobWithoutSavepointFailingAfterWritingRollsBackItsBatch) {
  const auto dir = TempDir();
  auto st = Store::Open(dir);
  ASSERT_TRUE(st.ok());
  Store& s = **st;
  // Before the writer starts, one committed message that must survive.
  Message first = Msg("c4", "before");
  ASSERT_TRUE(s.WriteNow([&] { return s.InsertMessage(first, ""); }).ok());
  s.StartWriter();
  std::atomic<int> committed{0}, completed{0};
  std::mutex gate;
  gate.lock();  // holds the writer inside the first job so the next three share its batch
  auto count = [&](bool c) { committed += c; ++completed; };
  s.Submit(std::make_unique<FnJob>([&] { std::lock_guard l(gate); Message m = Msg("c4", "a"); return s.InsertMessage(m, "").ok(); }, count, true));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  s.Submit(std::make_unique<FnJob>([&] { Message m = Msg("c4", "b"); return s.InsertMessage(m, "").ok(); }, count, true));
  s.Submit(std::make_unique<FnJob>([&] { Message m = Msg("c4", "half"); (void)s.InsertMessage(m, ""); return false; }, count, true));
  s.Submit(std::make_unique<FnJob>([&] { Message m = Msg("c4", "c"); return s.InsertMessage(m, "").ok(); }, count, true));
  gate.unlock();
  s.StopWriter();
  EXPECT_EQ(completed.load(), 4);
  auto msgs = s.ListMessages("c4", 0, 100);
  ASSERT_TRUE(msgs.ok());
  // Whatever shared a transaction with the half-written job is gone and reported uncommitted;
  // nothing committed earlier is touched.
  EXPECT_EQ(int(msgs->size()) - 1, committed.load());
  EXPECT_EQ(msgs->front().text, "before");
  for (const auto& m : *msgs) EXPECT_NE(m.text, "half");
  EXPECT_LT(committed.load(), 4);
}

TEST(Store, JobOutsideTransactionRunsBetweenBatches) {
  const auto dir = TempDir();
  auto st = Store::Open(dir);
  ASSERT_TRUE(st.ok());
  Store& s = **st;
  s.StartWriter();
  std::atomic<int> outside_ran{0}, in_txn_seen{0};
  std::vector<int> order;
  std::mutex mu;
  for (int i = 0; i < 40; ++i) {
    const bool outside = i % 10 == 5;
    s.Submit(std::make_unique<FnJob>(
        [&, outside, i] {
          // A reader sees every message queued before an outside job: its batch committed.
          if (outside) {
            ++outside_ran;
            auto n = s.CountMessages();
            if (n.ok() && *n == i - i / 10) ++in_txn_seen;
            return true;
          }
          Message m = Msg("c5", "m");
          return s.InsertMessage(m, "").ok();
        },
        [&, i](bool c) { std::lock_guard l(mu); if (c) order.push_back(i); }, false, outside));
  }
  s.StopWriter();
  EXPECT_EQ(outside_ran.load(), 4);
  EXPECT_EQ(in_txn_seen.load(), 4) << "everything queued before an outside job was committed first";
  ASSERT_EQ(order.size(), 40u);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
}

TEST(Passwords, Argon2idVerifies) {
  auto h = HashPassword("kefu-demo");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(VerifyPassword(*h, "kefu-demo"));
  EXPECT_FALSE(VerifyPassword(*h, "kefu-dem0"));
  EXPECT_FALSE(VerifyPassword("garbage", "kefu-demo"));
}

}  // namespace
}  // namespace kefu::store
