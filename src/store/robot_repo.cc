#include "store/robot_repo.h"

#include <sqlite3.h>

#include <filesystem>

#include "embedded/store_robot_demo.h"
#include "store/internal/stmt.h"

namespace kefu::store {

namespace {

using internal::FromMicros;
using internal::InTransaction;
using internal::Micros;
// The robot's tables see few writes: a statement is prepared for each call, no cache needed.
using Query = internal::Stmt;

sqlite3* OpenDb(const std::string& path, bool readonly, std::string* err) {
  sqlite3* db = nullptr;
  const int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    *err = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

constexpr const char* kUpsertFaq =
    "INSERT INTO faq_entries (shop_id, id, data, updated_at) VALUES (?,?,?,?) "
    "ON CONFLICT (shop_id, id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at";

core::Status Upsert(sqlite3* db, const FaqRow& r) {
  return Query(db, kUpsertFaq).Bind(r.shop_id).Bind(r.id).Bind(r.data).Bind(Micros(r.updated_at)).Exec();
}

}  // namespace

core::Result<std::unique_ptr<RobotRepo>> RobotRepo::Open(const std::string& data_dir) {
  const std::string path = (std::filesystem::path(data_dir) / "kefu.db").string();
  std::unique_ptr<RobotRepo> repo(new RobotRepo());
  std::string err;
  repo->writer_ = OpenDb(path, false, &err);
  if (!repo->writer_) return core::Unavailable("cannot open " + path + ": " + err);
  // The store set WAL on the file; synchronous is per connection: as safe as the store's default.
  KEFU_TRY(internal::Exec(repo->writer_, "PRAGMA synchronous=FULL"));
  repo->reader_ = OpenDb(path, true, &err);
  if (!repo->reader_) return core::Unavailable("cannot open " + path + ": " + err);
  Query q(repo->reader_, "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('faq_entries','robot_settings','robot_questions')");
  auto r = q.Step();
  if (!r.ok()) return r.status();
  if (q.Int(0) != 3) return core::FailedPrecondition("the robot tables are missing in " + path);
  return repo;
}

RobotRepo::~RobotRepo() {
  if (reader_) sqlite3_close(reader_);
  if (writer_) sqlite3_close(writer_);
}

core::Status RobotRepo::PutFaq(const FaqRow& row) {
  std::lock_guard lock(write_mu_);
  return Upsert(writer_, row);
}

core::Status RobotRepo::DeleteFaq(const std::string& shop_id, const std::string& id) {
  std::lock_guard lock(write_mu_);
  KEFU_TRY(Query(writer_, "DELETE FROM faq_entries WHERE shop_id = ? AND id = ?").Bind(shop_id).Bind(id).Exec());
  if (sqlite3_changes(writer_) == 0) return core::NotFound("faq " + id + " not found");
  return core::Status::Ok();
}

core::Status RobotRepo::PutFaqs(const std::string& shop_id, const std::vector<FaqRow>& rows,
                                bool replace) {
  std::lock_guard lock(write_mu_);
  return InTransaction(writer_, [&]() -> core::Status {
    if (replace) KEFU_TRY(Query(writer_, "DELETE FROM faq_entries WHERE shop_id = ?").Bind(shop_id).Exec());
    for (const auto& r : rows) {
      if (r.shop_id != shop_id) return core::InvalidArgument("row of another shop", "shop");
      KEFU_TRY(Upsert(writer_, r));
    }
    return core::Status::Ok();
  });
}

core::Status RobotRepo::PutSettings(const RobotSettingsRow& row) {
  std::lock_guard lock(write_mu_);
  return Query(writer_,
               "INSERT INTO robot_settings (shop_id, data, updated_at) VALUES (?,?,?) "
               "ON CONFLICT (shop_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at")
      .Bind(row.shop_id).Bind(row.data).Bind(Micros(row.updated_at)).Exec();
}

core::Status RobotRepo::AddQuestion(const RobotQuestionRow& row) {
  std::lock_guard lock(write_mu_);
  return Query(writer_,
               "INSERT INTO robot_questions (id, shop_id, conversation_id, text, agent_answer, "
               "robot_abstained, ts) VALUES (?,?,?,?,?,?,?)")
      .Bind(row.id).Bind(row.shop_id).Bind(row.conversation_id).Bind(row.text).Bind(row.agent_answer)
      .Bind(int64_t(row.robot_abstained ? 1 : 0)).Bind(Micros(row.ts)).Exec();
}

core::Status RobotRepo::SetAgentAnswer(const std::string& question_id, const std::string& answer) {
  std::lock_guard lock(write_mu_);
  KEFU_TRY(Query(writer_, "UPDATE robot_questions SET agent_answer = ? WHERE id = ?").Bind(answer).Bind(question_id).Exec());
  if (sqlite3_changes(writer_) == 0) return core::NotFound("question " + question_id + " not found");
  return core::Status::Ok();
}

core::Result<std::vector<FaqRow>> RobotRepo::ListFaqs(const std::string& shop_id) {
  std::lock_guard lock(read_mu_);
  Query q(reader_, "SELECT id, data, updated_at FROM faq_entries WHERE shop_id = ? ORDER BY rowid");
  q.Bind(shop_id);
  std::vector<FaqRow> out;
  for (;;) {
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(FaqRow{shop_id, q.Text(0), q.Text(1), FromMicros(q.Int(2))});
  }
  return out;
}

core::Result<std::optional<RobotSettingsRow>> RobotRepo::GetSettings(const std::string& shop_id) {
  std::lock_guard lock(read_mu_);
  Query q(reader_, "SELECT data, updated_at FROM robot_settings WHERE shop_id = ?");
  q.Bind(shop_id);
  KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<RobotSettingsRow>();
  return std::optional<RobotSettingsRow>(RobotSettingsRow{shop_id, q.Text(0), FromMicros(q.Int(1))});
}

core::Result<std::vector<RobotQuestionRow>> RobotRepo::ListQuestions(const std::string& shop_id,
                                                                     core::Timestamp from,
                                                                     core::Timestamp to, int limit) {
  std::lock_guard lock(read_mu_);
  Query q(reader_,
          "SELECT id, conversation_id, text, agent_answer, robot_abstained, ts FROM robot_questions "
          "WHERE shop_id = ? AND ts >= ? AND ts < ? ORDER BY ts, rowid LIMIT ?");
  q.Bind(shop_id).Bind(Micros(from)).Bind(Micros(to)).Bind(int64_t(limit));
  std::vector<RobotQuestionRow> out;
  for (;;) {
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(RobotQuestionRow{q.Text(0), shop_id, q.Text(1), q.Text(2), q.Text(3), q.Int(4) != 0,
                                   FromMicros(q.Int(5))});
  }
  return out;
}

core::Result<std::vector<std::string>> RobotRepo::ShopsWithRobot() {
  std::lock_guard lock(read_mu_);
  Query q(reader_, "SELECT shop_id FROM robot_settings UNION SELECT DISTINCT shop_id FROM faq_entries");
  std::vector<std::string> out;
  for (;;) {
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(q.Text(0));
  }
  return out;
}

std::string_view DemoRobotKb() { return embedded::store_robot_demo("data/robot/demo-kb.jsonl"); }

}  // namespace kefu::store
