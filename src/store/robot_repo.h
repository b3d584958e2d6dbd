// store/robot_repo.h: the FAQ robot's tables (faq_entries, robot_settings, robot_questions) in
// the store's database file. Rows carry the robot's values as JSON text, which the server
// encodes and decodes with the robot module; this file knows only rows and SQL.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

struct sqlite3;

namespace kefu::store {

// One FAQ entry of a shop: `data` is the entry as one JSON object (robot::KbToJsonl line).
struct FaqRow {
  std::string shop_id;
  std::string id;
  std::string data;
  core::Timestamp updated_at;
};

// A shop's robot settings as one JSON object.
struct RobotSettingsRow {
  std::string shop_id;
  std::string data;
  core::Timestamp updated_at;
};

// A buyer question the robot did not answer (robot_abstained) or that an agent answered by
// hand (agent_answer set): the learning loop's input.
struct RobotQuestionRow {
  std::string id;
  std::string shop_id;
  std::string conversation_id;
  std::string text;
  std::string agent_answer;
  bool robot_abstained = true;
  core::Timestamp ts;
};

// The robot's rows over two connections of its own on DIR/kefu.db (the tables come from the
// store's migrations, so Store::Open must have run first). Thread-safe: each connection is
// used under its own mutex. Every write runs in its own transaction, so call writes where the
// store's writer holds no open transaction (its job's done callback, or before StartWriter);
// elsewhere they wait for the writer's lock (busy timeout 5 s) and fail with kUnavailable.
class RobotRepo {
 public:
  // Opens DIR/kefu.db. kUnavailable when it cannot be opened; kFailedPrecondition when the
  // robot tables are missing (the store's migrations have not run).
  static core::Result<std::unique_ptr<RobotRepo>> Open(const std::string& data_dir);
  ~RobotRepo();
  RobotRepo(const RobotRepo&) = delete;
  RobotRepo& operator=(const RobotRepo&) = delete;

  // Writes.
  // Inserts or replaces one entry; a replaced entry keeps its place in the list.
  core::Status PutFaq(const FaqRow& row);
  // Deletes one entry; kNotFound when the shop has no such entry.
  core::Status DeleteFaq(const std::string& shop_id, const std::string& id);
  // Imports entries in one transaction: with `replace` the shop's other entries are deleted.
  core::Status PutFaqs(const std::string& shop_id, const std::vector<FaqRow>& rows, bool replace);
  core::Status PutSettings(const RobotSettingsRow& row);
  core::Status AddQuestion(const RobotQuestionRow& row);
  // Records the agent's answer to a question added earlier; kNotFound for an unknown id.
  core::Status SetAgentAnswer(const std::string& question_id, const std::string& answer);

  // Reads.
  // The shop's entries in the order they were first stored.
  core::Result<std::vector<FaqRow>> ListFaqs(const std::string& shop_id);
  core::Result<std::optional<RobotSettingsRow>> GetSettings(const std::string& shop_id);
  // Questions of a shop with from <= ts < to, oldest first, at most `limit`.
  core::Result<std::vector<RobotQuestionRow>> ListQuestions(const std::string& shop_id,
                                                            core::Timestamp from,
                                                            core::Timestamp to, int limit);
  // Shops that have entries or settings.
  core::Result<std::vector<std::string>> ShopsWithRobot();

 private:
  RobotRepo() = default;
  std::mutex write_mu_;
  sqlite3* writer_ = nullptr;  // guarded by write_mu_
  std::mutex read_mu_;
  sqlite3* reader_ = nullptr;  // guarded by read_mu_
};

// The default knowledge base of the demo shop (data/robot/demo-kb.jsonl, embedded).
std::string_view DemoRobotKb();

}  // namespace kefu::store
