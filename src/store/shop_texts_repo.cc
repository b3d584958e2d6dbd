#include "store/shop_texts_repo.h"

#include <sqlite3.h>

#include "store/internal/stmt.h"

namespace kefu::store {

namespace {

using internal::FromMicros;
using internal::Micros;
using internal::Stmt;

core::Status Audit(sqlite3* db, const ChangeAudit& a) {
  return Stmt(db,
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
  Stmt q(db_,
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
  Stmt q(db_,
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
  return internal::Atomic(db_, "shop_texts", [&]() -> core::Status {
    core::Status st = Stmt(db_,
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
  return internal::Atomic(db_, "shop_texts", [&]() -> core::Status {
    KEFU_TRY(Stmt(db_, "DELETE FROM compliance_words WHERE shop_id = ? AND id = ?").Bind(shop_id).Bind(id).Exec());
    if (sqlite3_changes(db_) == 0) return core::NotFound("custom word " + id + " not found");
    return Audit(db_, audit);
  });
}

core::Status ShopTextsDb::InsertTemplate(const TemplateRow& r, const ChangeAudit& audit) {
  return internal::Atomic(db_, "shop_texts", [&]() -> core::Status {
    core::Status st = Stmt(db_,
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
  return internal::Atomic(db_, "shop_texts", [&]() -> core::Status {
    KEFU_TRY(Stmt(db_,
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
  return internal::Atomic(db_, "shop_texts", [&]() -> core::Status {
    KEFU_TRY(Stmt(db_, "DELETE FROM templates WHERE shop_id = ? AND id = ?").Bind(shop_id).Bind(id).Exec());
    if (sqlite3_changes(db_) == 0) return core::NotFound("template " + id + " not found");
    return Audit(db_, audit);
  });
}

}  // namespace kefu::store
