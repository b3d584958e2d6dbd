#include "store/orders_repo.h"

#include <sqlite3.h>

#include <boost/json.hpp>
#include <cstdio>
#include <map>
#include <variant>

#include "store/internal/stmt.h"
#include "store/store.h"

namespace kefu::store {

namespace {

namespace json = boost::json;
using aftersales::ApprovalRequest;
using aftersales::Case;
using aftersales::Compensation;
using orders::AuditRecord;
using orders::Order;
using orders::ReviewEntry;

using internal::Exec;
using internal::FromMicros;
using internal::Micros;
using internal::Stmt;
using internal::StmtCache;

// Runs fn in a savepoint: all of its writes or none. Inside an open transaction the savepoint
// nests, so the rows commit with the caller's transaction.
core::Status Atomic(sqlite3* db, const std::function<core::Status()>& fn) {
  return internal::Atomic(db, "orders_repo", fn);
}

void LogError(const char* what, const core::Status& st) {
  std::fprintf(stderr, "kefu store (orders): %s: %s\n", what, st.ToString().c_str());
}

// Finds an enum value by its name function over the values [0, count).
template <typename E, typename F>
std::optional<E> ByName(std::string_view s, F name, int count) {
  for (int i = 0; i < count; ++i)
    if (name(E(i)) == s) return E(i);
  return std::nullopt;
}

core::Status AppendAudit(StmtCache& c, const std::vector<AuditRecord>& audit) {
  if (audit.empty()) return core::Status::Ok();
  auto q = c.Use(
      "INSERT INTO audit_log (id, shop_id, actor_id, at, action, entity_type, entity_id, "
      "before_json, after_json) VALUES (?,?,?,?,?,?,?,?,?)");
  for (const auto& r : audit) {
    KEFU_TRY(q.Reset().Bind(r.id).Bind(r.shop_id).Bind(r.actor_id).Bind(Micros(r.at))
                 .Bind(r.action).Bind(r.entity_type).Bind(r.entity_id).Bind(r.before_json)
                 .Bind(r.after_json).Exec());
  }
  return core::Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Orders

constexpr const char* kOrderCols =
    "SELECT seq, shop_id, id, platform, buyer, status, shipping_fee, goods_total, "
    "original_goods_total, goods_total_changes, shipping_fee_changes, province, city, district, "
    "detail, recipient, phone, created_at, paid_at, promised_ship_time, shipped_at, delivered_at, "
    "tracking_no, carrier, campaign, group_id, group_required, group_joined, group_formed_at "
    "FROM orders";

Order ReadOrderRow(const Stmt& q) {
  Order o;
  o.shop_id = q.Text(1);
  o.id = q.Text(2);
  o.platform = core::ParsePlatform(q.Text(3)).value_or(core::Platform::kPdd);
  o.buyer = q.Text(4);
  o.status = orders::ParseOrderStatus(q.Text(5)).value_or(orders::OrderStatus::kPaid);
  o.shipping_fee = core::Money(q.Int(6));
  o.goods_total = core::Money(q.Int(7));
  o.original_goods_total = core::Money(q.Int(8));
  o.goods_total_changes = int(q.Int(9));
  o.shipping_fee_changes = int(q.Int(10));
  o.address = {q.Text(11), q.Text(12), q.Text(13), q.Text(14), q.Text(15), q.Text(16)};
  o.created_at = q.Time(17);
  o.paid_at = q.Time(18);
  o.promised_ship_time = q.Time(19);
  o.shipped_at = q.Time(20);
  o.delivered_at = q.Time(21);
  o.tracking_no = q.Text(22);
  o.carrier = q.Text(23);
  o.campaign = orders::ParseCampaign(q.Text(24)).value_or(orders::Campaign::kNone);
  if (!q.IsNull(25)) {
    orders::GroupInfo g;
    g.group_id = q.Text(25);
    g.required = int(q.Int(26));
    g.joined = int(q.Int(27));
    g.formed_at = q.Time(28);
    o.group = g;
  }
  return o;
}

// Which orders FillOrderParts reads the child rows of: one order, the whole shop, or the
// shop's orders with one of some statuses.
struct PartsScope {
  std::string shop_id;
  std::string order_id;                       // one order when set
  std::vector<orders::OrderStatus> statuses;  // else: only these statuses when not empty
};

// Items, remark and flag of the orders in `out` (by id), read with one query each.
core::Status FillOrderParts(StmtCache& c, const PartsScope& scope, std::vector<Order>& out) {
  if (out.empty()) return core::Status::Ok();
  std::map<std::string_view, Order*, std::less<>> by_id;
  for (auto& o : out) by_id[o.id] = &o;
  // The child table is `t`; a status scope joins the parent orders.
  std::string where;
  if (!scope.order_id.empty()) {
    where = " WHERE t.shop_id = ? AND t.order_id = ?";
  } else if (!scope.statuses.empty()) {
    where =
        " JOIN orders o ON o.shop_id = t.shop_id AND o.id = t.order_id WHERE t.shop_id = ? "
        "AND o.status IN (?";
    for (size_t i = 1; i < scope.statuses.size(); ++i) where += ",?";
    where += ")";
  } else {
    where = " WHERE t.shop_id = ?";
  }
  auto bind = [&](Stmt& q) {
    q.Bind(scope.shop_id);
    if (!scope.order_id.empty())
      q.Bind(scope.order_id);
    else
      for (auto st : scope.statuses) q.Bind(orders::OrderStatusName(st));
  };
  {
    auto q = c.Use("SELECT t.order_id, t.sku, t.name, t.qty, t.unit_price FROM order_items t" +
                   where + " ORDER BY t.order_id, t.idx");
    bind(*q);
    for (;;) {
      KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      auto it = by_id.find(q.TextView(0));
      if (it == by_id.end()) continue;
      it->second->items.push_back({q.Text(1), q.Text(2), q.Int(3), core::Money(q.Int(4))});
    }
  }
  {
    auto q = c.Use("SELECT t.order_id, t.text FROM order_remarks t" + where);
    bind(*q);
    for (;;) {
      KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      if (auto it = by_id.find(q.TextView(0)); it != by_id.end()) it->second->remark = q.Text(1);
    }
  }
  {
    auto q = c.Use("SELECT t.order_id, t.color, t.note FROM order_flags t" + where);
    bind(*q);
    for (;;) {
      KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      if (auto it = by_id.find(q.TextView(0)); it != by_id.end()) {
        it->second->flag = orders::ParseFlagColor(q.Text(1)).value_or(orders::FlagColor::kNone);
        it->second->flag_note = q.Text(2);
      }
    }
  }
  return core::Status::Ok();
}

core::Result<Order> GetOrder(StmtCache& c, std::string_view shop_id, std::string_view id) {
  auto q = c.Use(std::string(kOrderCols) + " WHERE shop_id = ? AND id = ?");
  q.Bind(shop_id).Bind(id);
  KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return core::NotFound("订单不存在 order " + std::string(id) + " not found");
  std::vector<Order> one{ReadOrderRow(*q)};
  q->Reset();
  KEFU_TRY(FillOrderParts(c, {std::string(shop_id), std::string(id), {}}, one));
  return std::move(one.front());
}

// Writes the order's child rows (items, remark, flag) after deleting the old ones.
core::Status WriteOrderParts(StmtCache& c, const Order& o, bool replace) {
  if (replace) {
    for (const char* sql : {"DELETE FROM order_items WHERE shop_id = ? AND order_id = ?",
                            "DELETE FROM order_remarks WHERE shop_id = ? AND order_id = ?",
                            "DELETE FROM order_flags WHERE shop_id = ? AND order_id = ?"}) {
      auto d = c.Use(sql);
      KEFU_TRY(d.Bind(o.shop_id).Bind(o.id).Exec());
    }
  }
  auto item = c.Use(
      "INSERT INTO order_items (shop_id, order_id, idx, sku, name, qty, unit_price) "
      "VALUES (?,?,?,?,?,?,?)");
  for (size_t i = 0; i < o.items.size(); ++i) {
    const auto& it = o.items[i];
    KEFU_TRY(item.Reset().Bind(o.shop_id).Bind(o.id).Bind(int64_t(i)).Bind(it.sku).Bind(it.name)
                 .Bind(it.qty).Bind(it.unit_price.fen()).Exec());
  }
  if (!o.remark.empty()) {
    auto r = c.Use("INSERT INTO order_remarks (shop_id, order_id, text) VALUES (?,?,?)");
    KEFU_TRY(r.Bind(o.shop_id).Bind(o.id).Bind(o.remark).Exec());
  }
  if (o.flag != orders::FlagColor::kNone || !o.flag_note.empty()) {
    auto f = c.Use("INSERT INTO order_flags (shop_id, order_id, color, note) VALUES (?,?,?,?)");
    KEFU_TRY(f.Bind(o.shop_id).Bind(o.id).Bind(orders::FlagColorName(o.flag)).Bind(o.flag_note)
                 .Exec());
  }
  return core::Status::Ok();
}

// Binds the order's own columns, in kOrderCols order from `platform` on.
void BindOrderColumns(Stmt& q, const Order& o) {
  q.Bind(core::PlatformName(o.platform)).Bind(o.buyer).Bind(orders::OrderStatusName(o.status))
      .Bind(o.shipping_fee.fen()).Bind(o.goods_total.fen()).Bind(o.original_goods_total.fen())
      .Bind(int64_t(o.goods_total_changes)).Bind(int64_t(o.shipping_fee_changes))
      .Bind(o.address.province).Bind(o.address.city).Bind(o.address.district)
      .Bind(o.address.detail).Bind(o.address.recipient).Bind(o.address.phone).Bind(o.created_at)
      .Bind(o.paid_at).Bind(o.promised_ship_time).Bind(o.shipped_at).Bind(o.delivered_at)
      .Bind(o.tracking_no).Bind(o.carrier).Bind(orders::CampaignName(o.campaign));
  if (o.group) {
    q.Bind(o.group->group_id).Bind(int64_t(o.group->required)).Bind(int64_t(o.group->joined))
        .Bind(o.group->formed_at);
  } else {
    q.BindNull().BindNull().BindNull().BindNull();
  }
}

class SqlOrders final : public orders::OrderRepository {
 public:
  explicit SqlOrders(StmtCache& c) : c_(c), db_(c.db()) {}
  core::Result<Order> Get(std::string_view shop_id, std::string_view order_id) const override {
    return GetOrder(c_, shop_id, order_id);
  }
  core::Status Insert(const std::vector<Order>& orders,
                      const std::vector<AuditRecord>& audit) override {
    return Atomic(db_, [&]() -> core::Status {
      auto q = c_.Use(
          "INSERT INTO orders (shop_id, id, platform, buyer, status, shipping_fee, goods_total, "
          "original_goods_total, goods_total_changes, shipping_fee_changes, province, city, "
          "district, detail, recipient, phone, created_at, paid_at, promised_ship_time, "
          "shipped_at, delivered_at, tracking_no, carrier, campaign, group_id, group_required, "
          "group_joined, group_formed_at) VALUES "
          "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
      for (const auto& o : orders) {
        q.Reset().Bind(o.shop_id).Bind(o.id);
        BindOrderColumns(*q, o);
        auto st = q.Exec();
        if (st.code() == core::Code::kAlreadyExists)
          return core::AlreadyExists("订单号已存在 order " + o.id + " already exists; nothing stored",
                                     "order_id");
        KEFU_TRY(st);
        KEFU_TRY(WriteOrderParts(c_, o, false));
      }
      return AppendAudit(c_, audit);
    });
  }
  core::Status Update(const Order& o, const std::vector<AuditRecord>& audit) override {
    return Atomic(db_, [&]() -> core::Status {
      auto q = c_.Use(
          "UPDATE orders SET platform=?, buyer=?, status=?, shipping_fee=?, goods_total=?, "
          "original_goods_total=?, goods_total_changes=?, shipping_fee_changes=?, province=?, "
          "city=?, district=?, detail=?, recipient=?, phone=?, created_at=?, paid_at=?, "
          "promised_ship_time=?, shipped_at=?, delivered_at=?, tracking_no=?, carrier=?, "
          "campaign=?, group_id=?, group_required=?, group_joined=?, group_formed_at=? "
          "WHERE shop_id=? AND id=?");
      BindOrderColumns(*q, o);
      q.Bind(o.shop_id).Bind(o.id);
      KEFU_TRY(q.Exec());
      if (sqlite3_changes(db_) == 0)
        return core::NotFound("订单不存在 order " + o.id + " not found");
      KEFU_TRY(WriteOrderParts(c_, o, true));
      return AppendAudit(c_, audit);
    });
  }
  std::vector<Order> List(std::string_view shop_id) const override {
    return ListWhere({std::string(shop_id), "", {}});
  }
  std::vector<Order> ListByStatus(std::string_view shop_id,
                                  const std::vector<orders::OrderStatus>& statuses) const override {
    if (statuses.empty()) return {};
    return ListWhere({std::string(shop_id), "", statuses});
  }

 private:
  std::vector<Order> ListWhere(const PartsScope& scope) const {
    std::vector<Order> out;
    std::string sql = std::string(kOrderCols) + " WHERE shop_id = ?";
    if (!scope.statuses.empty()) {
      sql += " AND status IN (?";
      for (size_t i = 1; i < scope.statuses.size(); ++i) sql += ",?";
      sql += ")";
    }
    {
      auto q = c_.Use(sql + " ORDER BY seq");
      q.Bind(scope.shop_id);
      for (auto st : scope.statuses) q.Bind(orders::OrderStatusName(st));
      for (;;) {
        auto row = q.Step();
        if (!row.ok()) {
          LogError("list orders", row.status());
          return {};
        }
        if (!*row) break;
        out.push_back(ReadOrderRow(*q));
      }
    }
    if (auto st = FillOrderParts(c_, scope, out); !st.ok()) {
      LogError("list order parts", st);
      return {};
    }
    return out;
  }

  StmtCache& c_;
  sqlite3* db_;
};

// ---------------------------------------------------------------------------------------------
// Review queue

std::string FindingsToJson(const std::vector<orders::ReviewFinding>& fs) {
  json::array a;
  for (const auto& f : fs)
    a.push_back(json::object{{"rule", f.rule},
                             {"bucket", std::string(orders::ReviewBucketName(f.bucket))},
                             {"message", f.message}});
  return json::serialize(a);
}

std::string Str(const json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return {};
  return std::string(it->value().get_string());
}
int64_t Int(const json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end()) return 0;
  if (it->value().is_int64()) return it->value().get_int64();
  if (it->value().is_uint64()) return int64_t(it->value().get_uint64());
  return 0;
}

json::array ParseArray(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_array()) return {};
  return std::move(v.get_array());
}

std::vector<orders::ReviewFinding> FindingsFromJson(const std::string& text) {
  std::vector<orders::ReviewFinding> out;
  for (const auto& v : ParseArray(text)) {
    if (!v.is_object()) continue;
    const auto& o = v.get_object();
    out.push_back({Str(o, "rule"),
                   orders::ParseReviewBucket(Str(o, "bucket")).value_or(orders::ReviewBucket::kPending),
                   Str(o, "message")});
  }
  return out;
}

constexpr const char* kReviewCols =
    "SELECT shop_id, order_id, bucket, findings, paid_at, decided_by, decided_at, note "
    "FROM review_queue";

ReviewEntry ReadReview(const Stmt& q) {
  ReviewEntry e;
  e.shop_id = q.Text(0);
  e.order_id = q.Text(1);
  e.bucket = orders::ParseReviewBucket(q.Text(2)).value_or(orders::ReviewBucket::kPending);
  e.findings = FindingsFromJson(q.Text(3));
  e.paid_at = q.Time(4);
  e.decided_by = q.Text(5);
  e.decided_at = q.Time(6);
  e.note = q.Text(7);
  return e;
}

class SqlReviews final : public orders::ReviewRepository {
 public:
  explicit SqlReviews(StmtCache& c) : c_(c), db_(c.db()) {}
  core::Result<ReviewEntry> Get(std::string_view shop_id,
                                std::string_view order_id) const override {
    auto q = c_.Use(std::string(kReviewCols) + " WHERE shop_id = ? AND order_id = ?");
    q.Bind(shop_id).Bind(order_id);
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return core::NotFound("审单记录不存在 no review entry for " + std::string(order_id));
    return ReadReview(*q);
  }
  core::Status Put(const ReviewEntry& e, const std::vector<AuditRecord>& audit) override {
    return PutMany({e}, audit);
  }
  core::Status PutMany(const std::vector<ReviewEntry>& entries,
                       const std::vector<AuditRecord>& audit) override {
    return Atomic(db_, [&]() -> core::Status {
      auto q = c_.Use(
          "INSERT OR REPLACE INTO review_queue (shop_id, order_id, bucket, findings, "
          "paid_at, decided_by, decided_at, note) VALUES (?,?,?,?,?,?,?,?)");
      for (const auto& e : entries) {
        KEFU_TRY(q.Reset()
                     .Bind(e.shop_id)
                     .Bind(e.order_id)
                     .Bind(orders::ReviewBucketName(e.bucket))
                     .Bind(FindingsToJson(e.findings))
                     .Bind(e.paid_at)
                     .Bind(e.decided_by)
                     .Bind(e.decided_at)
                     .Bind(e.note)
                     .Exec());
      }
      return AppendAudit(c_, audit);
    });
  }
  std::vector<ReviewEntry> List(std::string_view shop_id) const override {
    std::vector<ReviewEntry> out;
    // Payment order, as the warehouse works through them.
    auto q = c_.Use(std::string(kReviewCols) +
                    " WHERE shop_id = ? ORDER BY paid_at IS NULL, paid_at, order_id");
    q.Bind(shop_id);
    for (;;) {
      auto row = q.Step();
      if (!row.ok()) {
        LogError("list reviews", row.status());
        return {};
      }
      if (!*row) break;
      out.push_back(ReadReview(*q));
    }
    return out;
  }

 private:
  StmtCache& c_;
  sqlite3* db_;
};

// ---------------------------------------------------------------------------------------------
// Catalogue and blacklist

std::string PlaceKey(const orders::Address& a) {
  return a.province + "\x1f" + a.city + "\x1f" + a.district + "\x1f" + a.detail;
}

class SqlCatalog final : public orders::Catalog, public orders::Blacklist {
 public:
  explicit SqlCatalog(StmtCache& c) : c_(c), db_(c.db()) {}
  std::optional<orders::CatalogItem> Find(std::string_view shop_id,
                                          std::string_view sku) const override {
    auto q =
        c_.Use("SELECT sku, name, stock, price FROM catalog_items WHERE shop_id = ? AND sku = ?");
    q.Bind(shop_id).Bind(sku);
    auto row = q.Step();
    if (!row.ok()) {
      LogError("catalog", row.status());
      return std::nullopt;
    }
    if (!*row) return std::nullopt;
    return orders::CatalogItem{q.Text(0), q.Text(1), q.Int(2), core::Money(q.Int(3))};
  }
  bool IsBuyerBlocked(std::string_view shop_id, std::string_view buyer) const override {
    return Has(shop_id, "buyer", buyer);
  }
  bool IsAddressBlocked(std::string_view shop_id, const orders::Address& a) const override {
    const std::string phone = orders::NormalizeMobile(a.phone);
    return (!phone.empty() && Has(shop_id, "phone", phone)) || Has(shop_id, "place", PlaceKey(a));
  }

 private:
  bool Has(std::string_view shop_id, std::string_view kind, std::string_view value) const {
    auto q = c_.Use("SELECT 1 FROM blacklist WHERE shop_id = ? AND kind = ? AND value = ?");
    q.Bind(shop_id).Bind(kind).Bind(value);
    auto row = q.Step();
    return row.ok() && *row;
  }
  StmtCache& c_;
  sqlite3* db_;
};

// ---------------------------------------------------------------------------------------------
// After-sales cases

constexpr const char* kCaseCols =
    "SELECT id, shop_id, order_id, buyer, type, problem, reason_code, category, amount, "
    "order_shipped, state, created_at, state_since, next_followup_at, followups, "
    "return_tracking_no, return_carrier, return_condition, replacement_tracking_no, note, "
    "auto_resolved FROM aftersales_cases";

Case ReadCase(const Stmt& q) {
  Case c;
  c.id = q.Text(0);
  c.shop_id = q.Text(1);
  c.order_id = q.Text(2);
  c.buyer = q.Text(3);
  c.type = aftersales::ParseCaseType(q.Text(4)).value_or(aftersales::CaseType::kRefundOnly);
  c.problem = ByName<aftersales::ProblemKind>(q.Text(5), aftersales::ProblemKindName, 4)
                  .value_or(aftersales::ProblemKind::kNone);
  c.reason_code = q.Text(6);
  c.category = q.Text(7) == "quality" ? aftersales::ReasonCategory::kQuality
                                      : aftersales::ReasonCategory::kNonQuality;
  c.amount = core::Money(q.Int(8));
  c.order_shipped = q.Int(9) != 0;
  c.state = ByName<aftersales::CaseState>(q.Text(10), aftersales::CaseStateName, 9)
                .value_or(aftersales::CaseState::kRequested);
  c.created_at = FromMicros(q.Int(11));
  c.state_since = FromMicros(q.Int(12));
  c.next_followup_at = q.Time(13);
  for (const auto& v : ParseArray(q.Text(14))) {
    if (!v.is_object()) continue;
    const auto& o = v.get_object();
    c.followups.push_back({FromMicros(Int(o, "at")), Str(o, "actor"), Str(o, "note")});
  }
  c.return_tracking_no = q.Text(15);
  c.return_carrier = q.Text(16);
  if (!q.IsNull(17)) c.return_condition = aftersales::ReturnCondition(q.Int(17));
  c.replacement_tracking_no = q.Text(18);
  c.note = q.Text(19);
  c.auto_resolved = q.Int(20) != 0;
  return c;
}

class SqlCases final : public aftersales::CaseRepository {
 public:
  explicit SqlCases(StmtCache& c) : c_(c), db_(c.db()) {}
  core::Result<Case> Get(std::string_view shop_id, std::string_view case_id) const override {
    auto q = c_.Use(std::string(kCaseCols) + " WHERE shop_id = ? AND id = ?");
    q.Bind(shop_id).Bind(case_id);
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return core::NotFound("售后单不存在 case " + std::string(case_id) + " not found");
    return ReadCase(*q);
  }
  core::Status Put(const Case& c, const std::vector<AuditRecord>& audit) override {
    return Atomic(db_, [&]() -> core::Status {
      json::array follow;
      for (const auto& f : c.followups)
        follow.push_back(json::object{{"at", Micros(f.at)}, {"actor", f.actor_id}, {"note", f.note}});
      // Upsert keeps the row's seq (board order) stable.
      auto q = c_.Use(
          "INSERT INTO aftersales_cases (id, shop_id, order_id, buyer, type, problem, "
          "reason_code, category, amount, order_shipped, state, created_at, state_since, "
          "next_followup_at, followups, return_tracking_no, return_carrier, return_condition, "
          "replacement_tracking_no, note, auto_resolved) "
          "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET "
          "order_id=excluded.order_id, buyer=excluded.buyer, type=excluded.type, "
          "problem=excluded.problem, reason_code=excluded.reason_code, "
          "category=excluded.category, amount=excluded.amount, "
          "order_shipped=excluded.order_shipped, state=excluded.state, "
          "state_since=excluded.state_since, next_followup_at=excluded.next_followup_at, "
          "followups=excluded.followups, return_tracking_no=excluded.return_tracking_no, "
          "return_carrier=excluded.return_carrier, return_condition=excluded.return_condition, "
          "replacement_tracking_no=excluded.replacement_tracking_no, note=excluded.note, "
          "auto_resolved=excluded.auto_resolved WHERE shop_id=excluded.shop_id");
      q.Bind(c.id).Bind(c.shop_id).Bind(c.order_id).Bind(c.buyer)
          .Bind(aftersales::CaseTypeName(c.type)).Bind(aftersales::ProblemKindName(c.problem))
          .Bind(c.reason_code)
          .Bind(c.category == aftersales::ReasonCategory::kQuality ? "quality" : "non_quality")
          .Bind(c.amount.fen()).Bind(int64_t(c.order_shipped))
          .Bind(aftersales::CaseStateName(c.state)).Bind(Micros(c.created_at))
          .Bind(Micros(c.state_since)).Bind(c.next_followup_at).Bind(json::serialize(follow))
          .Bind(c.return_tracking_no).Bind(c.return_carrier);
      if (c.return_condition) q.Bind(int64_t(*c.return_condition));
      else q.BindNull();
      q.Bind(c.replacement_tracking_no).Bind(c.note).Bind(int64_t(c.auto_resolved));
      KEFU_TRY(q.Exec());
      if (sqlite3_changes(db_) == 0)
        return core::NotFound("售后单不存在 case " + c.id + " not found");  // another shop's id
      return AppendAudit(c_, audit);
    });
  }
  std::vector<Case> List(std::string_view shop_id) const override {
    return ListWhere(shop_id, false);
  }
  std::vector<Case> ListOpen(std::string_view shop_id) const override {
    return ListWhere(shop_id, true);
  }
  core::Result<Case> FindByReturnTracking(std::string_view shop_id,
                                          std::string_view tracking_no) const override {
    auto q = c_.Use(std::string(kCaseCols) +
                    " WHERE shop_id = ? AND return_tracking_no = ? AND state = ? ORDER BY seq "
                    "DESC LIMIT 1");
    q.Bind(shop_id).Bind(tracking_no)
        .Bind(aftersales::CaseStateName(aftersales::CaseState::kReturnShipped));
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row)
      return core::NotFound("没有等待该退货单号的售后单 no case awaits return " +
                            std::string(tracking_no));
    return ReadCase(*q);
  }

 private:
  std::vector<Case> ListWhere(std::string_view shop_id, bool open_only) const {
    using aftersales::CaseState;
    std::vector<Case> out;
    std::string sql = std::string(kCaseCols) + " WHERE shop_id = ?";
    if (open_only) sql += " AND state NOT IN (?,?,?,?,?)";
    auto q = c_.Use(sql + " ORDER BY seq");
    q.Bind(shop_id);
    if (open_only) {
      for (auto st : {CaseState::kRefunded, CaseState::kReplacementShipped, CaseState::kRejected,
                      CaseState::kClosed, CaseState::kCancelled}) {
        KEFU_DCHECK(aftersales::IsFinal(st), "the SQL filter lists exactly the final states");
        q.Bind(aftersales::CaseStateName(st));
      }
    }
    for (;;) {
      auto row = q.Step();
      if (!row.ok()) {
        LogError("list cases", row.status());
        return {};
      }
      if (!*row) break;
      out.push_back(ReadCase(*q));
    }
    return out;
  }

  StmtCache& c_;
  sqlite3* db_;
};

// ---------------------------------------------------------------------------------------------
// Compensations and approvals

std::string ActionToJson(const aftersales::ActionRequest& a) {
  json::object o{{"kind", std::string(aftersales::ActionKindName(a.kind))},
                 {"order_id", a.order_id},
                 {"amount", a.amount.fen()},
                 {"gift_sku", a.gift_sku},
                 {"gift_qty", a.gift_qty},
                 {"cause", std::string(aftersales::GoodwillCauseName(a.cause))},
                 {"item_sku", a.item_sku},
                 {"old_price", a.old_price.fen()},
                 {"new_price", a.new_price.fen()},
                 {"reason", a.reason}};
  if (a.price_lowered_at) o["price_lowered_at"] = Micros(*a.price_lowered_at);
  return json::serialize(o);
}

aftersales::ActionRequest ActionFromJson(const std::string& text) {
  aftersales::ActionRequest a;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return a;
  const auto& o = v.get_object();
  a.kind = aftersales::ParseActionKind(Str(o, "kind")).value_or(a.kind);
  a.order_id = Str(o, "order_id");
  a.amount = core::Money(Int(o, "amount"));
  a.gift_sku = Str(o, "gift_sku");
  a.gift_qty = Int(o, "gift_qty");
  a.cause = aftersales::ParseGoodwillCause(Str(o, "cause")).value_or(a.cause);
  a.item_sku = Str(o, "item_sku");
  a.old_price = core::Money(Int(o, "old_price"));
  a.new_price = core::Money(Int(o, "new_price"));
  if (o.contains("price_lowered_at")) a.price_lowered_at = FromMicros(Int(o, "price_lowered_at"));
  a.reason = Str(o, "reason");
  return a;
}

constexpr const char* kApprovalCols =
    "SELECT id, shop_id, order_id, action, requested_by, reasons, state, created_at, decided_by, "
    "decided_at, note FROM approval_requests";

ApprovalRequest ReadApproval(const Stmt& q) {
  ApprovalRequest a;
  a.id = q.Text(0);
  a.shop_id = q.Text(1);
  a.order_id = q.Text(2);
  a.action = ActionFromJson(q.Text(3));
  a.requested_by = q.Text(4);
  for (const auto& r : ParseArray(q.Text(5)))
    if (r.is_string()) a.reasons.emplace_back(r.get_string());
  a.state = ByName<aftersales::ApprovalState>(q.Text(6), aftersales::ApprovalStateName, 3)
                .value_or(aftersales::ApprovalState::kPending);
  a.created_at = FromMicros(q.Int(7));
  a.decided_by = q.Text(8);
  a.decided_at = q.Time(9);
  a.note = q.Text(10);
  return a;
}

class SqlCompensations final : public aftersales::CompensationRepository {
 public:
  explicit SqlCompensations(StmtCache& c) : c_(c), db_(c.db()) {}
  core::Status AddCompensation(const Compensation& c,
                               const std::vector<AuditRecord>& audit) override {
    return Atomic(db_, [&]() -> core::Status {
      KEFU_TRY(InsertCompensation(c));
      return AppendAudit(c_, audit);
    });
  }
  core::Status PutApproval(const ApprovalRequest& a,
                           const std::vector<AuditRecord>& audit) override {
    return Atomic(db_, [&]() -> core::Status {
      KEFU_TRY(UpsertApproval(a));
      return AppendAudit(c_, audit);
    });
  }
  core::Status DecideApproval(const ApprovalRequest& a, const std::optional<Compensation>& c,
                              const std::vector<AuditRecord>& audit) override {
    return Atomic(db_, [&]() -> core::Status {
      KEFU_TRY(UpsertApproval(a));
      if (c) KEFU_TRY(InsertCompensation(*c));
      return AppendAudit(c_, audit);
    });
  }
  core::Result<ApprovalRequest> GetApproval(std::string_view shop_id,
                                            std::string_view id) const override {
    auto q = c_.Use(std::string(kApprovalCols) + " WHERE shop_id = ? AND id = ?");
    q.Bind(shop_id).Bind(id);
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return core::NotFound("审批不存在 approval " + std::string(id) + " not found");
    return ReadApproval(*q);
  }
  std::vector<ApprovalRequest> ListApprovals(std::string_view shop_id,
                                             bool pending_only) const override {
    std::vector<ApprovalRequest> out;
    auto q = c_.Use(std::string(kApprovalCols) + " WHERE shop_id = ?" +
                    (pending_only ? " AND state = 'pending'" : "") + " ORDER BY seq DESC");
    q.Bind(shop_id);
    for (;;) {
      auto row = q.Step();
      if (!row.ok()) {
        LogError("list approvals", row.status());
        return {};
      }
      if (!*row) break;
      out.push_back(ReadApproval(*q));
    }
    return out;
  }
  std::vector<Compensation> ListCompensations(std::string_view shop_id,
                                              std::string_view order_id) const override {
    std::vector<Compensation> out;
    auto q = c_.Use(std::string("SELECT id, shop_id, order_id, action, requested_by, approved_by, "
                                "approval_id, at FROM compensations WHERE shop_id = ?") +
                    (order_id.empty() ? "" : " AND order_id = ?") + " ORDER BY seq");
    q.Bind(shop_id);
    if (!order_id.empty()) q.Bind(order_id);
    for (;;) {
      auto row = q.Step();
      if (!row.ok()) {
        LogError("list compensations", row.status());
        return {};
      }
      if (!*row) break;
      out.push_back(Compensation{q.Text(0), q.Text(1), q.Text(2), ActionFromJson(q.Text(3)),
                                 q.Text(4), q.Text(5), q.Text(6), FromMicros(q.Int(7))});
    }
    return out;
  }

 private:
  core::Status InsertCompensation(const Compensation& c) {
    auto q = c_.Use(
        "INSERT INTO compensations (id, shop_id, order_id, kind, amount, action, requested_by, "
        "approved_by, approval_id, at) VALUES (?,?,?,?,?,?,?,?,?,?)");
    return q.Bind(c.id).Bind(c.shop_id).Bind(c.order_id)
        .Bind(aftersales::ActionKindName(c.action.kind)).Bind(c.action.amount.fen())
        .Bind(ActionToJson(c.action)).Bind(c.requested_by).Bind(c.approved_by)
        .Bind(c.approval_id).Bind(Micros(c.at)).Exec();
  }
  core::Status UpsertApproval(const ApprovalRequest& a) {
    json::array reasons;
    for (const auto& r : a.reasons) reasons.push_back(json::value(r));
    auto q = c_.Use(
        "INSERT INTO approval_requests (id, shop_id, order_id, action, requested_by, reasons, "
        "state, created_at, decided_by, decided_at, note) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(id) DO UPDATE SET state=excluded.state, decided_by=excluded.decided_by, "
        "decided_at=excluded.decided_at, note=excluded.note, reasons=excluded.reasons "
        "WHERE shop_id=excluded.shop_id");
    KEFU_TRY(q.Bind(a.id).Bind(a.shop_id).Bind(a.order_id).Bind(ActionToJson(a.action))
                 .Bind(a.requested_by).Bind(json::serialize(reasons))
                 .Bind(aftersales::ApprovalStateName(a.state)).Bind(Micros(a.created_at))
                 .Bind(a.decided_by).Bind(a.decided_at).Bind(a.note).Exec());
    if (sqlite3_changes(db_) == 0)
      return core::NotFound("审批不存在 approval " + a.id + " not found");
    return core::Status::Ok();
  }
  StmtCache& c_;
  sqlite3* db_;
};

// ---------------------------------------------------------------------------------------------
// Shop permission policies

class SqlPolicies final : public aftersales::PolicyRepository {
 public:
  explicit SqlPolicies(StmtCache& c) : c_(c), db_(c.db()) {}
  core::Result<std::optional<aftersales::StoredPolicy>> GetPolicy(
      std::string_view shop_id) const override {
    auto q = c_.Use("SELECT data, updated_at, updated_by FROM shop_policies WHERE shop_id = ?");
    q.Bind(shop_id);
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<aftersales::StoredPolicy>();
    return std::optional<aftersales::StoredPolicy>(
        aftersales::StoredPolicy{std::string(shop_id), q.Text(0), q.Text(2), FromMicros(q.Int(1))});
  }
  core::Status PutPolicy(const aftersales::StoredPolicy& p,
                         const std::vector<AuditRecord>& audit) override {
    return Atomic(db_, [&]() -> core::Status {
      auto q = c_.Use(
          "INSERT INTO shop_policies (shop_id, data, updated_at, updated_by) VALUES (?,?,?,?) "
          "ON CONFLICT (shop_id) DO UPDATE SET data = excluded.data, "
          "updated_at = excluded.updated_at, updated_by = excluded.updated_by");
      KEFU_TRY(q.Bind(p.shop_id).Bind(p.json).Bind(Micros(p.updated_at)).Bind(p.updated_by).Exec());
      return AppendAudit(c_, audit);
    });
  }

 private:
  StmtCache& c_;
  sqlite3* db_;
};

// A WHERE clause built piece by piece with its bind values.
struct Where {
  std::string sql;
  std::vector<std::variant<std::string, int64_t>> args;
  void Add(const std::string& cond) { sql += (sql.empty() ? " WHERE " : " AND ") + cond; }
  void Bind(Stmt& q) const {
    for (const auto& a : args) {
      if (std::holds_alternative<std::string>(a)) q.Bind(std::get<std::string>(a));
      else q.Bind(std::get<int64_t>(a));
    }
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// OrdersDb

struct OrdersDb::Impl {
  explicit Impl(sqlite3* d)
      : db(d),
        cache(d),
        orders(cache),
        reviews(cache),
        catalog(cache),
        cases(cache),
        compensations(cache),
        policies(cache) {}
  sqlite3* db;
  StmtCache cache;  // the connection's statements, prepared once
  SqlOrders orders;
  SqlReviews reviews;
  SqlCatalog catalog;
  SqlCases cases;
  SqlCompensations compensations;
  SqlPolicies policies;
};

OrdersDb::OrdersDb(sqlite3* db) : impl_(std::make_unique<Impl>(db)) {}
OrdersDb::~OrdersDb() = default;

orders::OrderRepository& OrdersDb::orders() { return impl_->orders; }
orders::ReviewRepository& OrdersDb::reviews() { return impl_->reviews; }
const orders::Catalog& OrdersDb::catalog() { return impl_->catalog; }
const orders::Blacklist& OrdersDb::blacklist() { return impl_->catalog; }
aftersales::CaseRepository& OrdersDb::cases() { return impl_->cases; }
aftersales::CompensationRepository& OrdersDb::compensations() { return impl_->compensations; }
aftersales::PolicyRepository& OrdersDb::policies() { return impl_->policies; }

core::Status OrdersDb::PutCatalogItem(const std::string& shop_id, const orders::CatalogItem& item) {
  auto q = impl_->cache.Use(
      "INSERT OR REPLACE INTO catalog_items (shop_id, sku, name, stock, price) VALUES (?,?,?,?,?)");
  return q.Bind(shop_id).Bind(item.sku).Bind(item.name).Bind(item.stock).Bind(item.price.fen())
      .Exec();
}

core::Result<std::vector<orders::CatalogItem>> OrdersDb::ListCatalog(const std::string& shop_id) {
  auto q = impl_->cache.Use(
      "SELECT sku, name, stock, price FROM catalog_items WHERE shop_id = ? ORDER BY sku");
  q.Bind(shop_id);
  std::vector<orders::CatalogItem> out;
  for (;;) {
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back({q.Text(0), q.Text(1), q.Int(2), core::Money(q.Int(3))});
  }
  return out;
}

core::Status OrdersDb::BlockBuyer(const std::string& shop_id, const std::string& buyer) {
  auto q = impl_->cache.Use(
      "INSERT OR IGNORE INTO blacklist (shop_id, kind, value) VALUES (?, 'buyer', ?)");
  return q.Bind(shop_id).Bind(buyer).Exec();
}

core::Result<OrderPage> OrdersDb::QueryOrders(const OrderQuery& in) {
  Where w;
  w.Add("shop_id = ?");
  w.args.emplace_back(in.shop_id);
  if (in.status) {
    w.Add("status = ?");
    w.args.emplace_back(std::string(orders::OrderStatusName(*in.status)));
  }
  if (!in.buyer.empty()) {
    w.Add("buyer = ?");
    w.args.emplace_back(in.buyer);
  }
  if (!in.q.empty()) {
    w.Add("(instr(id, ?) > 0 OR instr(buyer, ?) > 0)");
    w.args.emplace_back(in.q);
    w.args.emplace_back(in.q);
  }
  if (in.before > 0) {
    w.Add("seq < ?");
    w.args.emplace_back(in.before);
  }
  const int limit = std::max(1, in.limit);
  auto q = impl_->cache.Use(std::string(kOrderCols) + w.sql + " ORDER BY seq DESC LIMIT ?");
  w.Bind(*q);
  q.Bind(int64_t(limit) + 1);
  OrderPage page;
  std::vector<int64_t> seqs;
  for (;;) {
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    seqs.push_back(q.Int(0));
    page.items.push_back(ReadOrderRow(*q));
  }
  if (int(page.items.size()) > limit) {
    page.items.resize(size_t(limit));
    page.next = seqs[size_t(limit) - 1];
  }
  // Child rows per order: a page is small, and the whole-shop form would read every item.
  for (auto& o : page.items) {
    std::vector<Order> one{std::move(o)};
    KEFU_TRY(FillOrderParts(impl_->cache, {in.shop_id, one.front().id, {}}, one));
    o = std::move(one.front());
  }
  return page;
}

core::Status OrdersDb::WithBulkCache(const std::function<core::Status()>& fn) {
  int64_t before = -2000;  // SQLite's default, in case the pragma cannot be read
  {
    auto q = impl_->cache.Use("PRAGMA cache_size");
    auto row = q.Step();
    if (row.ok() && *row) before = q.Int(0);
  }
  KEFU_TRY(Exec(impl_->db, "PRAGMA cache_size = -65536"));
  core::Status st = fn();
  (void)Exec(impl_->db, ("PRAGMA cache_size = " + std::to_string(before)).c_str());
  return st;
}

core::Result<int64_t> OrdersDb::CountOrders(const std::string& shop_id) {
  auto q = impl_->cache.Use("SELECT COUNT(*) FROM orders WHERE shop_id = ?");
  q.Bind(shop_id);
  KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.Int(0) : 0;
}

core::Result<AuditPage> OrdersDb::QueryAudit(const AuditQuery& in) {
  Where w;
  w.Add("shop_id = ?");
  w.args.emplace_back(in.shop_id);
  if (!in.actor_id.empty()) {
    w.Add("actor_id = ?");
    w.args.emplace_back(in.actor_id);
  }
  if (!in.action.empty()) {
    w.Add("(action = ? OR substr(action, 1, ?) = ?)");
    w.args.emplace_back(in.action);
    w.args.emplace_back(int64_t(in.action.size() + 1));
    w.args.emplace_back(in.action + ".");
  }
  if (!in.entity_type.empty()) {
    w.Add("entity_type = ?");
    w.args.emplace_back(in.entity_type);
  }
  if (!in.entity_id.empty()) {
    w.Add("entity_id = ?");
    w.args.emplace_back(in.entity_id);
  }
  if (in.from) {
    w.Add("at >= ?");
    w.args.emplace_back(Micros(*in.from));
  }
  if (in.to) {
    w.Add("at < ?");
    w.args.emplace_back(Micros(*in.to));
  }
  if (in.before > 0) {
    w.Add("seq < ?");
    w.args.emplace_back(in.before);
  }
  const int limit = std::max(1, in.limit);
  auto q = impl_->cache.Use(
      "SELECT seq, id, shop_id, actor_id, at, action, entity_type, entity_id, before_json, "
      "after_json FROM audit_log" +
      w.sql + " ORDER BY seq DESC LIMIT ?");
  w.Bind(*q);
  q.Bind(int64_t(limit) + 1);
  AuditPage page;
  for (;;) {
    KEFU_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    AuditRow r;
    r.seq = q.Int(0);
    r.record = AuditRecord{q.Text(1), q.Text(2), q.Text(3), FromMicros(q.Int(4)), q.Text(5),
                           q.Text(6), q.Text(7), q.Text(8), q.Text(9)};
    page.items.push_back(std::move(r));
  }
  if (int(page.items.size()) > limit) {
    page.items.resize(size_t(limit));
    page.next = page.items.back().seq;
  }
  return page;
}

// ---------------------------------------------------------------------------------------------
// OrdersStore

// Reader connections, each with its ports (and so its statement cache), reused across reads.
struct OrdersStore::Pool {
  struct Conn {
    sqlite3* db = nullptr;
    std::unique_ptr<OrdersDb> ports;
  };
  std::string path;
  std::mutex mu;
  std::vector<Conn*> free;                 // guarded by mu
  std::vector<std::unique_ptr<Conn>> all;  // guarded by mu
  ~Pool() {
    for (auto& c : all) {
      c->ports.reset();  // finalises the cached statements before the close
      sqlite3_close(c->db);
    }
  }
};

OrdersStore::OrdersStore(Store& store)
    : writer_(std::make_unique<OrdersDb>(store.WriterConnection())),
      pool_(std::make_unique<Pool>()) {
  const char* f = sqlite3_db_filename(store.WriterConnection(), "main");
  pool_->path = f ? f : "";
}

OrdersStore::~OrdersStore() = default;

OrdersDb& OrdersStore::Writer() { return *writer_; }

core::Status OrdersStore::Read(const std::function<core::Status(OrdersDb&)>& fn) {
  Pool::Conn* c = nullptr;
  {
    std::lock_guard lock(pool_->mu);
    if (!pool_->free.empty()) {
      c = pool_->free.back();
      pool_->free.pop_back();
    }
  }
  if (!c) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(pool_->path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      std::string err = db ? sqlite3_errmsg(db) : "out of memory";
      sqlite3_close(db);
      return core::Unavailable("cannot open a reader connection: " + err);
    }
    sqlite3_busy_timeout(db, 5000);
    auto conn = std::make_unique<Pool::Conn>();
    conn->db = db;
    conn->ports = std::make_unique<OrdersDb>(db);
    c = conn.get();
    std::lock_guard lock(pool_->mu);
    pool_->all.push_back(std::move(conn));
  }
  // One read transaction, so a multi-query read sees one snapshot. Every cached statement is
  // reset when its lease ends, so none keeps the snapshot past the COMMIT.
  core::Status st = Exec(c->db, "BEGIN");
  if (st.ok()) {
    st = fn(*c->ports);
    (void)Exec(c->db, "COMMIT");
  }
  std::lock_guard lock(pool_->mu);
  pool_->free.push_back(c);
  return st;
}

}  // namespace kefu::store
