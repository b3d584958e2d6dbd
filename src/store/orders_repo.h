// store/orders_repo.h: SQLite implementations of the orders and after-sales ports (orders,
// 审单 review queue, catalogue, blacklist, cases, compensations/approvals, shop permission
// policies) and the audit log. Included by store/store.h; the tables come from the store's
// migrations 2 and 4.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aftersales/aftersales.h"
#include "core/core.h"
#include "orders/orders.h"

struct sqlite3;

namespace kefu::store {

class Store;

// Filters for the order list. Newest first; `before` is the cursor (a row's seq, 0 = newest).
struct OrderQuery {
  std::string shop_id;
  std::optional<orders::OrderStatus> status;
  std::string buyer;     // exact buyer
  std::string q;         // substring of the order id or the buyer
  int64_t before = 0;
  int limit = 50;
};
struct OrderPage {
  std::vector<orders::Order> items;
  int64_t next = 0;  // cursor for the next page; 0 when there is none
};

// Filters for the audit log. Newest first; `before` is the cursor (a row's seq).
struct AuditQuery {
  std::string shop_id;
  std::string actor_id;
  std::string action;       // prefix: "approval" matches approval.request/approve/reject
  std::string entity_type;
  std::string entity_id;
  std::optional<core::Timestamp> from;  // at >= from
  std::optional<core::Timestamp> to;    // at < to
  int64_t before = 0;
  int limit = 100;
};
struct AuditRow {
  int64_t seq = 0;
  orders::AuditRecord record;
};
struct AuditPage {
  std::vector<AuditRow> items;
  int64_t next = 0;
};

// Every port bound to one SQLite connection. Not thread-safe: one thread uses it at a time.
// Multi-row writes run in a SAVEPOINT, so they are atomic on their own and join the caller's
// transaction when there is one (the writer's group commit, Store::WriteNow). Port methods
// that return plain vectors return what they could read; SQL errors are logged to stderr.
class OrdersDb {
 public:
  // `db` must outlive this object.
  explicit OrdersDb(sqlite3* db);
  ~OrdersDb();
  OrdersDb(const OrdersDb&) = delete;
  OrdersDb& operator=(const OrdersDb&) = delete;

  // The domain ports on this connection.
  orders::OrderRepository& orders();
  orders::ReviewRepository& reviews();
  const orders::Catalog& catalog();
  const orders::Blacklist& blacklist();
  aftersales::CaseRepository& cases();
  aftersales::CompensationRepository& compensations();
  aftersales::PolicyRepository& policies();

  // Catalogue and blacklist upkeep (no audit: they are shop settings, not order changes).
  core::Status PutCatalogItem(const std::string& shop_id, const orders::CatalogItem& item);
  core::Result<std::vector<orders::CatalogItem>> ListCatalog(const std::string& shop_id);
  core::Status BlockBuyer(const std::string& shop_id, const std::string& buyer);

  // Runs fn with a 64 MiB page cache on this connection, then restores the previous size: a
  // bulk import's pages stay in memory instead of spilling to the WAL and being read back.
  core::Status WithBulkCache(const std::function<core::Status()>& fn);

  // Queries beyond the ports.
  core::Result<OrderPage> QueryOrders(const OrderQuery& q);
  core::Result<int64_t> CountOrders(const std::string& shop_id);
  core::Result<AuditPage> QueryAudit(const AuditQuery& q);

  struct Impl;  // private to orders_repo.cc

 private:
  std::unique_ptr<Impl> impl_;
};

// The orders ports over a Store: one OrdersDb on the writer connection and a pool of
// read-only connections. Thread-safe.
class OrdersStore {
 public:
  // Opens its reader connections on the store's database file. `store` must outlive this.
  explicit OrdersStore(Store& store);
  ~OrdersStore();
  OrdersStore(const OrdersStore&) = delete;
  OrdersStore& operator=(const OrdersStore&) = delete;

  // Ports on the writer connection: only on the writer thread (inside a WriteJob / App::Write)
  // or inside Store::WriteNow, so reads see the transaction's own writes.
  OrdersDb& Writer();
  // Runs fn with ports on a pooled read-only connection (any thread, outside the writer).
  core::Status Read(const std::function<core::Status(OrdersDb&)>& fn);

 private:
  struct Pool;
  std::unique_ptr<OrdersDb> writer_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace kefu::store
