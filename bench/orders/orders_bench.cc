// Measures (1) parsing a generated N-row order CSV, (2) 审单 review of the N orders against the
// rules, and, in the same run, (3) the raw SQLite insert rate of the same rows (prepared
// statements, one transaction, WAL) as the limit an import will be compared with.
// Usage: orders_bench [N=100000] [DB_DIR=/tmp]
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <unistd.h>

#include "orders/orders.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::string GenerateCsv(int n) {
  std::string csv =
      "order_id,buyer,sku,name,qty,unit_price,shipping_fee,status,province,city,district,detail,"
      "recipient,phone,paid_at,campaign\n";
  csv.reserve(static_cast<size_t>(n) * 140);
  char row[512];
  for (int i = 0; i < n; ++i) {
    // 1% unknown SKUs, 0.5% blacklisted buyers, 1% incomplete addresses; two items every 5th row.
    const int sku = i % 100 == 7 ? 99999 : i % 1000;
    const bool two = i % 5 == 0;
    std::snprintf(row, sizeof row,
                  "P%08d,buyer%d,SKU-%05d%s,商品%d%s,%d%s,%d.%02d%s,%s,to_ship,广东省,深圳市,%s,"
                  "科技园%d号,张三,138%08d,2026-03-05 %02d:%02d:00,%s\n",
                  i, i % 200 == 3 ? 0 : i, sku, two ? "|SKU-00001" : "", sku, two ? "|赠品" : "",
                  1 + i % 3, two ? "|1" : "", 10 + i % 90, i % 100, two ? "|0.01" : "",
                  i % 4 ? "0" : "6.00", i % 100 == 11 ? "" : "南山区", i % 500, i % 100000000,
                  8 + (i / 60) % 8, i % 60, i % 10 == 0 ? "大促" : "");
    csv += row;
  }
  return csv;
}

bool Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::fprintf(stderr, "sqlite: %s\n", err ? err : "?");
    sqlite3_free(err);
    return false;
  }
  return true;
}

// Inserts the orders and their items in one transaction; returns seconds or -1.
double SqliteInsert(const std::vector<kefu::orders::Order>& orders, const std::string& dir) {
  std::string path = dir + "/kefu-orders-bench-" + std::to_string(getpid()) + ".db";
  std::remove(path.c_str());
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return -1;
  Exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  Exec(db,
       "CREATE TABLE orders(shop_id TEXT, id TEXT, buyer TEXT, status TEXT, goods_total INTEGER,"
       " shipping_fee INTEGER, province TEXT, city TEXT, district TEXT, detail TEXT,"
       " recipient TEXT, phone TEXT, paid_at INTEGER, campaign TEXT, PRIMARY KEY(shop_id, id));"
       "CREATE TABLE order_items(shop_id TEXT, order_id TEXT, sku TEXT, name TEXT, qty INTEGER,"
       " unit_price INTEGER);");
  sqlite3_stmt* ins_o = nullptr;
  sqlite3_stmt* ins_i = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO orders VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &ins_o,
                     nullptr);
  sqlite3_prepare_v2(db, "INSERT INTO order_items VALUES(?,?,?,?,?,?)", -1, &ins_i, nullptr);
  auto t0 = Clock::now();
  Exec(db, "BEGIN");
  for (const auto& o : orders) {
    int k = 1;
    auto text = [&](sqlite3_stmt* s, const std::string& v) {
      sqlite3_bind_text(s, k++, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    };
    text(ins_o, o.shop_id);
    text(ins_o, o.id);
    text(ins_o, o.buyer);
    sqlite3_bind_text(ins_o, k++, "to_ship", -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins_o, k++, o.goods_total.fen());
    sqlite3_bind_int64(ins_o, k++, o.shipping_fee.fen());
    text(ins_o, o.address.province);
    text(ins_o, o.address.city);
    text(ins_o, o.address.district);
    text(ins_o, o.address.detail);
    text(ins_o, o.address.recipient);
    text(ins_o, o.address.phone);
    sqlite3_bind_int64(ins_o, k++, o.paid_at ? kefu::core::ToUnixMillis(*o.paid_at) : 0);
    sqlite3_bind_text(ins_o, k++, std::string(kefu::orders::CampaignName(o.campaign)).c_str(), -1,
                      SQLITE_TRANSIENT);
    if (sqlite3_step(ins_o) != SQLITE_DONE) return -1;
    sqlite3_reset(ins_o);
    for (const auto& it : o.items) {
      k = 1;
      text(ins_i, o.shop_id);
      text(ins_i, o.id);
      text(ins_i, it.sku);
      text(ins_i, it.name);
      sqlite3_bind_int64(ins_i, k++, it.qty);
      sqlite3_bind_int64(ins_i, k++, it.unit_price.fen());
      if (sqlite3_step(ins_i) != SQLITE_DONE) return -1;
      sqlite3_reset(ins_i);
    }
  }
  Exec(db, "COMMIT");
  auto t1 = Clock::now();
  sqlite3_finalize(ins_o);
  sqlite3_finalize(ins_i);
  sqlite3_close(db);
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  return Seconds(t0, t1);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 100000;
  const std::string dir = argc > 2 ? argv[2] : "/tmp";
  if (n <= 0) {
    std::fprintf(stderr, "orders_bench: N must be > 0\n");
    return 2;
  }
  const std::string csv = GenerateCsv(n);

  auto t0 = Clock::now();
  auto parsed = kefu::orders::ParseOrdersCsv(csv, {.shop_id = "bench"});
  auto t1 = Clock::now();
  if (parsed.orders.size() != static_cast<size_t>(n) || !parsed.errors.empty()) {
    std::fprintf(stderr, "orders_bench: parsed %zu orders, %zu errors\n", parsed.orders.size(),
                 parsed.errors.size());
    return 1;
  }

  kefu::orders::InMemoryCatalog catalog;
  for (int s = 0; s < 1000; ++s) {
    char sku[16];
    std::snprintf(sku, sizeof sku, "SKU-%05d", s);
    catalog.Put("bench", {sku, "商品", 300, kefu::core::Money(1000)});
  }
  kefu::orders::InMemoryBlacklist blacklist;
  blacklist.AddBuyer("bench", "buyer0");
  auto t2 = Clock::now();
  auto entries = kefu::orders::ReviewOrders(parsed.orders, catalog, blacklist);
  auto t3 = Clock::now();
  std::map<kefu::orders::ReviewBucket, int> buckets;
  for (const auto& e : entries) ++buckets[e.bucket];

  const double sql = SqliteInsert(parsed.orders, dir);
  const double parse_s = Seconds(t0, t1);
  const double review_s = Seconds(t2, t3);
  const double parse_rate = n / parse_s;
  const double review_rate = n / review_s;
  std::printf("orders_bench: %d orders (%.1f MB CSV)\n", n, csv.size() / 1e6);
  std::printf("  csv parse     : %8.3f s  %10.0f rows/s\n", parse_s, parse_rate);
  std::printf("  review (审单) : %8.3f s  %10.0f orders/s  buckets:", review_s, review_rate);
  for (const auto& [b, c] : buckets)
    std::printf(" %s=%d", std::string(kefu::orders::ReviewBucketName(b)).c_str(), c);
  std::printf("\n");
  if (sql <= 0) {
    std::printf("  sqlite insert : failed\n");
    return 1;
  }
  const double sql_rate = n / sql;
  std::printf("  sqlite insert : %8.3f s  %10.0f rows/s  (limit: raw C API, 1 txn, WAL)\n", sql,
              sql_rate);
  std::printf("  ratio parse/sqlite-insert  : %.2fx\n", parse_rate / sql_rate);
  std::printf("  ratio review/sqlite-insert : %.2fx\n", review_rate / sql_rate);
  std::printf("  import estimate (parse + insert): %.0f rows/s = %.2f of the raw insert limit\n",
              n / (parse_s + sql), (n / (parse_s + sql)) / sql_rate);
  return 0;
}
