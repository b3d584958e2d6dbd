#include "store/shop_texts_repo.h"

#include <sqlite3.h>

namespace kefu::store {

namespace {

int64_t Micros(core::Timestamp t) { return t.time_since_epoch().count(); }
core::Timestamp FromMicros(int64_t v) { return core::Timestamp(core::Duration(v)); }

// A statement prepared for one call (these tables see few writes; no cache needed).
class Query {
 public:
  Query(sqlite3* db, const char* sql) : db_(db) { rc_ = sqlite3_prepare_v2(db, sql, -1, &st_, nullptr); }
  ~Query() { sqlite3_finalize(st_); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& Bind(const std::string& v) {
    sqlite3_bind_text(st_, ++idx_, v.data(), int(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Query& Bind(int64_t v) {
    sqlite3_bind_int64(st_, ++idx_, v);
    return *this;
  }
  // true: a row; false: done. A constraint violation is kAlreadyExists.
  core::Result<bool> Step() {
    if (rc_ != SQLITE_OK) return core::Unavailable(std::string("sqlite prepare: ") + sqlite3_errmsg(db_));
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    if ((rc & 0xff) == SQLITE_CONSTRAINT) return core::AlreadyExists(std::string("constraint: ") + sqlite3_errmsg(db_));
    return core::Unavailable(std::string("sqlite: ") + sqlite3_errmsg(db_));
  }
  core::Status Exec() {
    auto r = Step();
    return r.ok() ? core::Status::Ok() : r.status();
  }
  std::string Text(int col) const {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(st_, col));
    return p ? std::string(p, size_t(sqlite3_column_bytes(st_, col))) : std::string();
  }
  int64_t Int(int col) const { return sqlite3_column_int64(st_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
  int rc_ = SQLITE_OK;
  int idx_ = 0;
};

core::Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown";
    sqlite3_free(err);
    return core::Unavailable("sqlite: " + m);
  }
  return core::Status::Ok();
}

// Runs fn in a savepoint: atomic on its own, and part of the caller's transaction if any.
template <typename Fn>
core::Status InSavepoint(sqlite3* db, Fn&& fn) {
  KEFU_TRY(Exec(db, "SAVEPOINT shop_texts"));
  core::Status st = fn();
  if (!st.ok()) (void)Exec(db, "ROLLBACK TO shop_texts");
  core::Status released = Exec(db, "RELEASE shop_texts");
  return st.ok() ? released : st;
}

core::Status Audit(sqlite3* db, const ChangeAudit& a) {
  return Query(db,
               "INSERT INTO audit_log (id, shop_id, actor_id, at, action, entity_type, entity_id, before_json, "
               "after_json) VALUES (?,?,?,?,?,?,?,?,?)")
      .Bind(core::NewId("au_"))
      .Bind(a.shop_id)
      .Bind(a.actor_id)
      .Bind(Micros(a.at))
      .Bind(a.action)
      .Bind(a.entity_type)
      .Bind(a.entity_id)
      .Bind(a.before_json.empty() ? std::string("null") : a.before_json)
      .Bind(a.after_json.empty() ? std::string("null") : a.after_json)
      .Exec();
}

}  // namespace

core::Result<std::vector<CustomWordRow>> ShopTextsDb::AllWords() {
  Query q(db_,
          "SELECT shop_id, id, kind, word, word_key, suggestion, note, created_by, created_at "
          "FROM compliance_words ORDER BY seq");
  std::vector<CustomWordRow> out;
  for (;;) {
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(CustomWordRow{q.Text(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5), q.Text(6),
                                q.Text(7), FromMicros(q.Int(8))});
  }
  return out;
}

core::Result<std::vector<TemplateRow>> ShopTextsDb::AllTemplates() {
  Query q(db_,
          "SELECT shop_id, id, scene, title, text, updated_by, created_at, updated_at FROM templates ORDER BY seq");
  std::vector<TemplateRow> out;
  for (;;) {
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(TemplateRow{q.Text(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5),
                              FromMicros(q.Int(6)), FromMicros(q.Int(7))});
  }
  return out;
}

core::Status ShopTextsDb::InsertWord(const CustomWordRow& r, const ChangeAudit& audit) {
  return InSavepoint(db_, [&]() -> core::Status {
    core::Status st = Query(db_,
                            "INSERT INTO compliance_words (shop_id, id, kind, word, word_key, suggestion, note, "
                            "created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?)")
                          .Bind(r.shop_id)
                          .Bind(r.id)
                          .Bind(r.kind)
                          .Bind(r.word)
                          .Bind(r.word_key)
                          .Bind(r.suggestion)
                          .Bind(r.note)
                          .Bind(r.created_by)
                          .Bind(Micros(r.created_at))
                          .Exec();
    if (st.code() == core::Code::kAlreadyExists)
      return core::AlreadyExists("\"" + r.word + "\" is already a custom word of this shop", "word");
    KEFU_TRY(st);
    return Audit(db_, audit);
  });
}

core::Status ShopTextsDb::DeleteWord(const std::string& shop_id, const std::string& id, const ChangeAudit& audit) {
  return InSavepoint(db_, [&]() -> core::Status {
    KEFU_TRY(Query(db_, "DELETE FROM compliance_words WHERE shop_id = ? AND id = ?").Bind(shop_id).Bind(id).Exec());
    if (sqlite3_changes(db_) == 0) return core::NotFound("custom word " + id + " not found");
    return Audit(db_, audit);
  });
}

core::Status ShopTextsDb::InsertTemplate(const TemplateRow& r, const ChangeAudit& audit) {
  return InSavepoint(db_, [&]() -> core::Status {
    core::Status st = Query(db_,
                            "INSERT INTO templates (shop_id, id, scene, title, text, updated_by, created_at, "
                            "updated_at) VALUES (?,?,?,?,?,?,?,?)")
                          .Bind(r.shop_id)
                          .Bind(r.id)
                          .Bind(r.scene)
                          .Bind(r.title)
                          .Bind(r.text)
                          .Bind(r.updated_by)
                          .Bind(Micros(r.created_at))
                          .Bind(Micros(r.updated_at))
                          .Exec();
    if (st.code() == core::Code::kAlreadyExists)
      return core::AlreadyExists("template " + r.id + " already exists", "id");
    KEFU_TRY(st);
    return Audit(db_, audit);
  });
}

core::Status ShopTextsDb::UpdateTemplate(const TemplateRow& r, const ChangeAudit& audit) {
  return InSavepoint(db_, [&]() -> core::Status {
    KEFU_TRY(Query(db_,
                   "UPDATE templates SET scene = ?, title = ?, text = ?, updated_by = ?, updated_at = ? "
                   "WHERE shop_id = ? AND id = ?")
                 .Bind(r.scene)
                 .Bind(r.title)
                 .Bind(r.text)
                 .Bind(r.updated_by)
                 .Bind(Micros(r.updated_at))
                 .Bind(r.shop_id)
                 .Bind(r.id)
                 .Exec());
    if (sqlite3_changes(db_) == 0) return core::NotFound("template " + r.id + " not found");
    return Audit(db_, audit);
  });
}

core::Status ShopTextsDb::DeleteTemplate(const std::string& shop_id, const std::string& id,
                                         const ChangeAudit& audit) {
  return InSavepoint(db_, [&]() -> core::Status {
    KEFU_TRY(Query(db_, "DELETE FROM templates WHERE shop_id = ? AND id = ?").Bind(shop_id).Bind(id).Exec());
    if (sqlite3_changes(db_) == 0) return core::NotFound("template " + id + " not found");
    return Audit(db_, audit);
  });
}

}  // namespace kefu::store
