// Custom compliance words and reply templates in SQLite: round trips, per-shop keys, not-found
// answers, each change with its audit row in the same transaction, and survival across reopen.
#include <gtest/gtest.h>

#include <filesystem>

#include "store/shop_texts_repo.h"
#include "store/store.h"

namespace kefu::store {
namespace {

std::string TempDir() {
  auto p = std::filesystem::temp_directory_path() / ("kefu-texts-" + core::NewId(""));
  std::filesystem::create_directories(p);
  return p.string();
}

core::Timestamp At(const char* rfc3339) { return *core::ParseRfc3339(rfc3339); }

CustomWordRow Word(const std::string& shop, const std::string& id, const std::string& word, const std::string& key,
                   const std::string& kind = "block") {
  return CustomWordRow{shop, id, kind, word, key, kind == "block" ? "官方渠道" : "", "备注", "u_lead",
                       At("2026-03-05T09:00:00+08:00")};
}

ChangeAudit AuditOf(const std::string& shop, const std::string& action, const std::string& type, const std::string& id) {
  return ChangeAudit{shop, "u_lead", At("2026-03-05T09:00:00+08:00"), action, type, id, "", "{\"id\":\"" + id + "\"}"};
}

struct Fixture {
  std::string dir = TempDir();
  std::unique_ptr<Store> store;
  Fixture() { Open(); }
  ~Fixture() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
  void Open() {
    store.reset();
    auto st = Store::Open(dir);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    store = std::move(*st);
  }
  // Runs fn on the writer connection in a transaction of its own (fails: rolled back).
  core::Status Write(const std::function<core::Status(ShopTextsDb&)>& fn) {
    ShopTextsDb db(store->WriterConnection());
    return store->WriteNow([&] { return fn(db); });
  }
  std::vector<AuditRow> Audit(const std::string& shop) {
    OrdersDb db(store->WriterConnection());
    AuditQuery q;
    q.shop_id = shop;
    auto page = db.QueryAudit(q);
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->items : std::vector<AuditRow>{};
  }
};

TEST(ShopTextsRepo, WordsRoundTripWithTheirAudit) {
  Fixture f;
  ASSERT_TRUE(f.Write([](ShopTextsDb& db) {
                 KEFU_TRY(db.InsertWord(Word("s1", "cw_1", "秘密渠道", "秘密渠道"),
                                        AuditOf("s1", "compliance_word.add", "compliance_word", "cw_1")));
                 return db.InsertWord(Word("s1", "cw_2", "旺旺", "旺旺", "allow"),
                                      AuditOf("s1", "compliance_word.add", "compliance_word", "cw_2"));
               }).ok());
  ShopTextsDb db(f.store->WriterConnection());
  auto all = db.AllWords().value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "cw_1");
  EXPECT_EQ(all[0].kind, "block");
  EXPECT_EQ(all[0].suggestion, "官方渠道");
  EXPECT_EQ(all[0].note, "备注");
  EXPECT_EQ(all[0].created_by, "u_lead");
  EXPECT_EQ(all[0].created_at, At("2026-03-05T09:00:00+08:00"));
  EXPECT_EQ(all[1].kind, "allow");
  auto audit = f.Audit("s1");
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].record.action, "compliance_word.add");
  EXPECT_EQ(audit[0].record.entity_type, "compliance_word");
  EXPECT_EQ(audit[0].record.before_json, "null");
}

TEST(ShopTextsRepo, AWordKeyIsUniquePerShopOnly) {
  Fixture f;
  auto add = [&](const CustomWordRow& w) {
    return f.Write([&](ShopTextsDb& db) { return db.InsertWord(w, AuditOf(w.shop_id, "compliance_word.add", "compliance_word", w.id)); });
  };
  ASSERT_TRUE(add(Word("s1", "cw_1", "秘密渠道", "秘密渠道")).ok());
  auto dup = add(Word("s1", "cw_2", "秘 密 渠 道", "秘密渠道"));
  EXPECT_EQ(dup.code(), core::Code::kAlreadyExists);
  EXPECT_EQ(dup.field(), "word");
  EXPECT_TRUE(add(Word("s2", "cw_3", "秘密渠道", "秘密渠道")).ok()) << "another shop may list the same word";
  EXPECT_EQ(f.Audit("s1").size(), 1u) << "the refused insert wrote no audit row";
}

TEST(ShopTextsRepo, DeleteIsScopedToTheShop) {
  Fixture f;
  ASSERT_TRUE(f.Write([](ShopTextsDb& db) {
                 return db.InsertWord(Word("s1", "cw_1", "秘密渠道", "秘密渠道"),
                                      AuditOf("s1", "compliance_word.add", "compliance_word", "cw_1"));
               }).ok());
  auto other = f.Write([](ShopTextsDb& db) {
    return db.DeleteWord("s2", "cw_1", AuditOf("s2", "compliance_word.delete", "compliance_word", "cw_1"));
  });
  EXPECT_EQ(other.code(), core::Code::kNotFound);
  EXPECT_TRUE(f.Audit("s2").empty());
  ASSERT_TRUE(f.Write([](ShopTextsDb& db) {
                 return db.DeleteWord("s1", "cw_1", AuditOf("s1", "compliance_word.delete", "compliance_word", "cw_1"));
               }).ok());
  EXPECT_TRUE(ShopTextsDb(f.store->WriterConnection()).AllWords().value().empty());
  EXPECT_EQ(f.Audit("s1").size(), 2u);
}

TEST(ShopTextsRepo, AChangeAndItsAuditRollBackTogether) {
  Fixture f;
  // The caller's transaction fails after the insert: neither the word nor its audit row stays.
  auto st = f.Write([](ShopTextsDb& db) -> core::Status {
    KEFU_TRY(db.InsertWord(Word("s1", "cw_1", "秘密渠道", "秘密渠道"),
                           AuditOf("s1", "compliance_word.add", "compliance_word", "cw_1")));
    return core::Unavailable("the job failed later");
  });
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(ShopTextsDb(f.store->WriterConnection()).AllWords().value().empty());
  EXPECT_TRUE(f.Audit("s1").empty());
}

TEST(ShopTextsRepo, TemplatesRoundTripUpdateAndDelete) {
  Fixture f;
  TemplateRow t{"s1", "tpl_1", "shipping_notice", "发货通知", "亲，{订单号}已发出", "u_lead",
                At("2026-03-05T09:00:00+08:00"), At("2026-03-05T09:00:00+08:00")};
  ASSERT_TRUE(f.Write([&](ShopTextsDb& db) { return db.InsertTemplate(t, AuditOf("s1", "template.create", "template", "tpl_1")); }).ok());
  auto again = f.Write([&](ShopTextsDb& db) { return db.InsertTemplate(t, AuditOf("s1", "template.create", "template", "tpl_1")); });
  EXPECT_EQ(again.code(), core::Code::kAlreadyExists);
  EXPECT_EQ(again.field(), "id");

  TemplateRow changed = t;
  changed.title = "发货通知（带单号）";
  changed.scene = "logistics";
  changed.updated_by = "u_owner";
  changed.updated_at = At("2026-03-06T10:00:00+08:00");
  ASSERT_TRUE(f.Write([&](ShopTextsDb& db) { return db.UpdateTemplate(changed, AuditOf("s1", "template.update", "template", "tpl_1")); }).ok());
  TemplateRow foreign = changed;
  foreign.shop_id = "s2";
  EXPECT_EQ(f.Write([&](ShopTextsDb& db) { return db.UpdateTemplate(foreign, AuditOf("s2", "template.update", "template", "tpl_1")); }).code(),
            core::Code::kNotFound);

  f.Open();  // survives a restart
  auto all = ShopTextsDb(f.store->WriterConnection()).AllTemplates().value();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].title, "发货通知（带单号）");
  EXPECT_EQ(all[0].scene, "logistics");
  EXPECT_EQ(all[0].text, "亲，{订单号}已发出");
  EXPECT_EQ(all[0].updated_by, "u_owner");
  EXPECT_EQ(all[0].created_at, At("2026-03-05T09:00:00+08:00"));
  EXPECT_EQ(all[0].updated_at, At("2026-03-06T10:00:00+08:00"));

  EXPECT_EQ(f.Write([&](ShopTextsDb& db) { return db.DeleteTemplate("s2", "tpl_1", AuditOf("s2", "template.delete", "template", "tpl_1")); }).code(),
            core::Code::kNotFound);
  ASSERT_TRUE(f.Write([&](ShopTextsDb& db) { return db.DeleteTemplate("s1", "tpl_1", AuditOf("s1", "template.delete", "template", "tpl_1")); }).ok());
  EXPECT_TRUE(ShopTextsDb(f.store->WriterConnection()).AllTemplates().value().empty());
  auto audit = f.Audit("s1");
  ASSERT_EQ(audit.size(), 3u);
  EXPECT_EQ(audit[0].record.action, "template.delete");  // newest first
}

}  // namespace
}  // namespace kefu::store
