// The orders benchmark (issue 8, acceptance 5), all figures from one run on one generated CSV:
//   1. CSV parse of N rows (ParseOrdersCsv) and 审单 review of the N orders against the rules;
//   2. the real import path: `kefu import orders FILE --data DIR --shop ID` run as a child
//      process into a fresh SQLite store (parse, one transaction with every order, its items,
//      its audit row and its review entry + audit row), wall and CPU time, rows checked after;
//   3. the limit: raw SQLite inserts of the same rows into the same schema (a store created by
//      kefu, so the same tables and indexes), prepared statements, one transaction, WAL,
//      synchronous=FULL as the store uses, the import's 64 MiB page cache: first the orders and
//      their items only, then every row the import writes (plus audit rows, review entries and
//      their audit rows).
// Prints the ratios of 2 to 3. Usage: orders_bench KEFU_BINARY [N=100000] [WORK_DIR=/tmp]
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "orders/orders.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using kefu::orders::Order;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double ProcessCpu() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

std::string GenerateCsv(int n) {
  std::string csv =
      "order_id,buyer,sku,name,qty,unit_price,shipping_fee,status,province,city,district,detail,"
      "recipient,phone,paid_at,campaign\n";
  csv.reserve(static_cast<size_t>(n) * 150);
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

struct ChildRun {
  int status = -1;
  std::string out;
  double wall = 0, cpu = 0;  // cpu: user + system of the child
};

// Runs argv as a child process, capturing stdout; the child's CPU time comes from wait4.
ChildRun Run(const std::vector<std::string>& argv) {
  ChildRun r;
  int pipefd[2];
  if (pipe(pipefd) != 0) return r;
  const auto t0 = Clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 1);
    close(pipefd[0]);
    close(pipefd[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(pipefd[1]);
  char buf[4096];
  for (;;) {
    const ssize_t k = read(pipefd[0], buf, sizeof buf);
    if (k <= 0) break;
    r.out.append(buf, size_t(k));
  }
  close(pipefd[0]);
  rusage ru{};
  wait4(pid, &r.status, 0, &ru);
  r.wall = Seconds(t0, Clock::now());
  r.cpu = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
          double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  return r;
}

// The value of "key":"..." or "key":123 in a one-line JSON answer.
std::string JsonField(const std::string& json, const std::string& key) {
  const std::string k = "\"" + key + "\":";
  auto p = json.find(k);
  if (p == std::string::npos) return "";
  p += k.size();
  if (json[p] == '"') {
    auto e = json.find('"', p + 1);
    return json.substr(p + 1, e - p - 1);
  }
  auto e = json.find_first_of(",}", p);
  return json.substr(p, e - p);
}

// A fresh data directory with one shop, made by kefu itself (so the schema is the store's).
std::string NewStore(const std::string& kefu, const std::string& dir) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto r =
      Run({kefu, "shop", "add", "--data", dir, "--name", "bench", "--platform", "pdd", "--json"});
  if (r.status != 0) return "";
  return JsonField(r.out, "id");
}

int64_t Count(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
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

// A prepared statement with positional binds (SQLITE_STATIC: the bound strings outlive the step).
struct Ins {
  sqlite3_stmt* st = nullptr;
  int k = 0;
  Ins(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &st, nullptr); }
  ~Ins() { sqlite3_finalize(st); }
  Ins& T(std::string_view v) {
    sqlite3_bind_text(st, ++k, v.data(), int(v.size()), SQLITE_STATIC);
    return *this;
  }
  Ins& I(int64_t v) {
    sqlite3_bind_int64(st, ++k, v);
    return *this;
  }
  Ins& N() {
    sqlite3_bind_null(st, ++k);
    return *this;
  }
  Ins& Time(const std::optional<kefu::core::Timestamp>& t) {
    return t ? I(t->time_since_epoch().count()) : N();
  }
  bool Done() {
    const bool ok = st && sqlite3_step(st) == SQLITE_DONE;
    sqlite3_reset(st);
    k = 0;
    return ok;
  }
};

// The rows the import writes besides orders and items, prepared outside the timed part.
struct Extra {
  std::vector<std::string> audit_ids, review_audit_ids, order_json, review_json, findings;
};

struct RawResult {
  double wall = -1, cpu = 0;
};

// Inserts the orders (every column the store has) and items, and with `extra` also an audit
// row per order, a review entry and its audit row, in one transaction into a store's file.
RawResult RawInsert(const std::string& db_path, const std::string& shop,
                    const std::vector<Order>& orders, const Extra* extra) {
  RawResult res;
  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) return res;
  // The store's pragmas, and the page cache `kefu import orders` uses for its transaction.
  Exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;");
  {
    Ins o(db,
          "INSERT INTO orders (shop_id, id, platform, buyer, status, shipping_fee, goods_total, "
          "original_goods_total, goods_total_changes, shipping_fee_changes, province, city, "
          "district, detail, recipient, phone, created_at, paid_at, promised_ship_time, "
          "shipped_at, delivered_at, tracking_no, carrier, campaign, group_id, group_required, "
          "group_joined, group_formed_at) VALUES "
          "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    Ins it(db,
           "INSERT INTO order_items (shop_id, order_id, idx, sku, name, qty, unit_price) "
           "VALUES (?,?,?,?,?,?,?)");
    Ins au(db,
           "INSERT INTO audit_log (id, shop_id, actor_id, at, action, entity_type, entity_id, "
           "before_json, after_json) VALUES (?,?,?,?,?,?,?,?,?)");
    Ins rv(db,
           "INSERT INTO review_queue (shop_id, order_id, bucket, findings, paid_at, decided_by, "
           "decided_at, note) VALUES (?,?,?,?,?,?,?,?)");
    const double c0 = ProcessCpu();
    const auto t0 = Clock::now();
    bool ok = Exec(db, "BEGIN");
    for (size_t i = 0; ok && i < orders.size(); ++i) {
      const Order& x = orders[i];
      o.T(shop)
          .T(x.id)
          .T("pdd")
          .T(x.buyer)
          .T("to_ship")
          .I(x.shipping_fee.fen())
          .I(x.goods_total.fen())
          .I(x.original_goods_total.fen())
          .I(0)
          .I(0)
          .T(x.address.province)
          .T(x.address.city)
          .T(x.address.district)
          .T(x.address.detail)
          .T(x.address.recipient)
          .T(x.address.phone)
          .Time(x.created_at)
          .Time(x.paid_at)
          .Time(x.promised_ship_time)
          .Time(x.shipped_at)
          .Time(x.delivered_at)
          .T(x.tracking_no)
          .T(x.carrier)
          .T(kefu::orders::CampaignName(x.campaign))
          .N()
          .N()
          .N()
          .N();
      ok = o.Done();
      for (size_t j = 0; ok && j < x.items.size(); ++j) {
        const auto& item = x.items[j];
        it.T(shop)
            .T(x.id)
            .I(int64_t(j))
            .T(item.sku)
            .T(item.name)
            .I(item.qty)
            .I(item.unit_price.fen());
        ok = it.Done();
      }
      if (!extra || !ok) continue;
      au.T(extra->audit_ids[i])
          .T(shop)
          .T("cli")
          .I(1)
          .T("order.import")
          .T("order")
          .T(x.id)
          .T("")
          .T(extra->order_json[i]);
      ok = au.Done();
      rv.T(shop).T(x.id).T("pending").T(extra->findings[i]).Time(x.paid_at).T("").N().T("");
      ok = ok && rv.Done();
      au.T(extra->review_audit_ids[i])
          .T(shop)
          .T("cli")
          .I(1)
          .T("review.run")
          .T("review")
          .T(x.id)
          .T("")
          .T(extra->review_json[i]);
      ok = ok && au.Done();
    }
    ok = ok && Exec(db, "COMMIT");
    if (ok) {
      res.wall = Seconds(t0, Clock::now());
      res.cpu = ProcessCpu() - c0;
    }
  }
  sqlite3_close(db);
  return res;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: orders_bench KEFU_BINARY [N=100000] [WORK_DIR=/tmp]\n");
    return 2;
  }
  const std::string kefu = argv[1];
  const int n = argc > 2 ? std::atoi(argv[2]) : 100000;
  const std::string work =
      (fs::path(argc > 3 ? argv[3] : "/tmp") / ("kefu-orders-bench-" + std::to_string(getpid())))
          .string();
  if (n <= 0) {
    std::fprintf(stderr, "orders_bench: N must be > 0\n");
    return 2;
  }
  fs::create_directories(work);
  const std::string csv = GenerateCsv(n);
  const std::string csv_path = work + "/orders.csv";
  std::ofstream(csv_path, std::ios::binary) << csv;

  // 1. Parse and review in this process.
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

  // 2. `kefu import orders` into a fresh store.
  const std::string kefu_dir = work + "/kefu";
  const std::string shop = NewStore(kefu, kefu_dir);
  if (shop.empty()) {
    std::fprintf(stderr, "orders_bench: `%s shop add` failed\n", kefu.c_str());
    return 1;
  }
  auto imp =
      Run({kefu, "import", "orders", csv_path, "--data", kefu_dir, "--shop", shop, "--json"});
  if (imp.status != 0 || JsonField(imp.out, "imported") != std::to_string(n)) {
    std::fprintf(stderr, "orders_bench: kefu import failed (status %d): %s\n", imp.status,
                 imp.out.c_str());
    return 1;
  }
  int64_t stored[4] = {-1, -1, -1, -1};
  {
    sqlite3* db = nullptr;
    sqlite3_open((kefu_dir + "/kefu.db").c_str(), &db);
    stored[0] = Count(db, "SELECT COUNT(*) FROM orders");
    stored[1] = Count(db, "SELECT COUNT(*) FROM order_items");
    stored[2] = Count(db, "SELECT COUNT(*) FROM review_queue");
    stored[3] = Count(db, "SELECT COUNT(*) FROM audit_log");
    sqlite3_close(db);
  }
  int64_t items = 0;
  for (const auto& o : parsed.orders) items += int64_t(o.items.size());
  if (stored[0] != n || stored[1] != items || stored[2] != n || stored[3] != 2 * int64_t(n)) {
    std::fprintf(stderr,
                 "orders_bench: the store holds %lld orders, %lld items, %lld review entries, "
                 "%lld audit rows; expected %d, %lld, %d, %d\n",
                 (long long)stored[0], (long long)stored[1], (long long)stored[2],
                 (long long)stored[3], n, (long long)items, n, 2 * n);
    return 1;
  }

  // 3. The raw limits, each into a fresh kefu-made store.
  const std::string raw_dir = work + "/raw";
  const std::string raw_shop = NewStore(kefu, raw_dir);
  auto raw = RawInsert(raw_dir + "/kefu.db", raw_shop, parsed.orders, nullptr);
  // Audit ids that sort in write order, as kefu's (orders::MakeAudit) do.
  auto audit_id = [](size_t k) {
    char b[40];
    std::snprintf(b, sizeof b, "au_%015zu%s", k, kefu::core::NewId("").substr(0, 6).c_str());
    return std::string(b);
  };
  Extra extra;
  for (size_t i = 0; i < parsed.orders.size(); ++i) {
    const auto& o = parsed.orders[i];
    extra.audit_ids.push_back(audit_id(i));
    extra.review_audit_ids.push_back(audit_id(parsed.orders.size() + i));
    extra.order_json.push_back(kefu::orders::OrderToJson(o));
    extra.review_json.push_back(kefu::orders::ReviewEntryToJson(entries[0]));
    extra.findings.push_back("[]");
  }
  const std::string all_dir = work + "/raw-all";
  const std::string all_shop = NewStore(kefu, all_dir);
  auto raw_all = RawInsert(all_dir + "/kefu.db", all_shop, parsed.orders, &extra);
  fs::remove_all(work);
  if (raw.wall <= 0 || raw_all.wall <= 0) {
    std::printf("orders_bench: raw sqlite insert failed\n");
    return 1;
  }

  const double parse_s = Seconds(t0, t1), review_s = Seconds(t2, t3);
  double load = 0;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &load) != 1) load = 0;
    std::fclose(f);
  }
  auto rate = [&](double s) { return n / s; };
  std::printf("orders_bench: %d orders, %lld items (%.1f MB CSV); load average %.2f on %ld CPUs\n",
              n, (long long)items, csv.size() / 1e6, load, sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("  csv parse (in process)    : %7.3f s  %9.0f rows/s\n", parse_s, rate(parse_s));
  std::printf("  review 审单 (in process)  : %7.3f s  %9.0f orders/s  buckets:", review_s,
              rate(review_s));
  for (const auto& [b, c] : buckets)
    std::printf(" %s=%d", std::string(kefu::orders::ReviewBucketName(b)).c_str(), c);
  std::printf("\n");
  std::printf(
      "  kefu import orders (CLI)  : %7.3f s  %9.0f rows/s   CPU %6.3f s  %9.0f rows/CPU-s\n",
      imp.wall, rate(imp.wall), imp.cpu, rate(imp.cpu));
  std::printf("      stored: %lld orders, %lld items, %lld review entries, %lld audit rows\n",
              (long long)stored[0], (long long)stored[1], (long long)stored[2],
              (long long)stored[3]);
  std::printf(
      "  raw insert orders+items   : %7.3f s  %9.0f rows/s   CPU %6.3f s  %9.0f rows/CPU-s"
      "  (limit: C API, 1 txn, WAL, kefu schema)\n",
      raw.wall, rate(raw.wall), raw.cpu, rate(raw.cpu));
  std::printf(
      "  raw insert every row kefu writes: %7.3f s  %9.0f rows/s   CPU %6.3f s"
      "  (+ audit, review entry, review audit per order)\n",
      raw_all.wall, rate(raw_all.wall), raw_all.cpu);
  std::printf("  ratio import / raw orders+items     : wall %.2f   CPU %.2f\n", raw.wall / imp.wall,
              raw.cpu / imp.cpu);
  std::printf("  ratio import / raw every row written: wall %.2f   CPU %.2f\n",
              raw_all.wall / imp.wall, raw_all.cpu / imp.cpu);
  std::printf("  ratio review / raw orders+items     : %.2fx\n", rate(review_s) / rate(raw.wall));
  return 0;
}
