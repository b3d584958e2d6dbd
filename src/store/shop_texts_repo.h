// store/shop_texts_repo.h: the texts a shop keeps for what it sends: custom compliance words
// (compliance_words) and reply templates (templates), with an audit_log row for every change.
// The tables come from the store's migration 4. This file knows rows and SQL only; the server
// maps rows to compliance:: and outreach:: values.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/core.h"

struct sqlite3;

namespace kefu::store {

// One custom word of a shop. `kind` is "block" or "allow"; `word_key` is the normalised word
// (compliance::CustomWordKey), unique per shop.
struct CustomWordRow {
  std::string shop_id;
  std::string id;
  std::string kind;
  std::string word;
  std::string word_key;
  std::string suggestion;
  std::string note;
  std::string created_by;  // user id
  core::Timestamp created_at;
};

// One reply template of a shop. `scene` is an outreach::SceneName.
struct TemplateRow {
  std::string shop_id;
  std::string id;
  std::string scene;
  std::string title;
  std::string text;
  std::string updated_by;  // user id
  core::Timestamp created_at;
  core::Timestamp updated_at;
};

// One audit_log row: who changed what, before and after (JSON texts; "null" when absent).
struct ChangeAudit {
  std::string shop_id;
  std::string actor_id;
  core::Timestamp at;
  std::string action;       // "compliance_word.add", "template.update", ...
  std::string entity_type;  // "compliance_word" | "template"
  std::string entity_id;
  std::string before_json;
  std::string after_json;
};

// The rows on one SQLite connection. Not thread-safe: one thread at a time. Each write and its
// audit row run in a SAVEPOINT, so they are atomic and join the caller's transaction: use the
// store's writer connection inside a write job (App::Write) or Store::WriteNow.
class ShopTextsDb {
 public:
  // `db` must outlive this object.
  explicit ShopTextsDb(sqlite3* db) : db_(db) {}

  // Every shop's words / templates, oldest first (loaded once at startup).
  core::Result<std::vector<CustomWordRow>> AllWords();
  core::Result<std::vector<TemplateRow>> AllTemplates();

  // kAlreadyExists (field "word") when the shop has a word with the same key.
  core::Status InsertWord(const CustomWordRow& row, const ChangeAudit& audit);
  // kNotFound when the shop has no such word.
  core::Status DeleteWord(const std::string& shop_id, const std::string& id, const ChangeAudit& audit);

  // kAlreadyExists (field "id") when the id is taken.
  core::Status InsertTemplate(const TemplateRow& row, const ChangeAudit& audit);
  // Replaces scene, title, text, updated_by and updated_at; kNotFound when the shop has no such
  // template.
  core::Status UpdateTemplate(const TemplateRow& row, const ChangeAudit& audit);
  // kNotFound when the shop has no such template.
  core::Status DeleteTemplate(const std::string& shop_id, const std::string& id, const ChangeAudit& audit);

 private:
  sqlite3* db_;
};

}  // namespace kefu::store
