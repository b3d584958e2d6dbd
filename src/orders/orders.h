// orders: the order beside every chat and its rules: CSV/JSONL import parsing, 拼团 timeouts,
// the 审单 review queue with its daily cut-off, structured remarks and flags, and 改价. Pure
// functions over values, plus ports (abstract repositories) a store implements; no I/O, no clock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"
#include "core/time_zone.h"

namespace kefu::orders {

// ---------------------------------------------------------------------------------------------
// Who acts, and the audit trail every mutation leaves.

enum class Role { kAgent, kLead, kOwner };
// 售前 (pre-sales) or 售后 (after-sales): some permissions depend on it.
enum class Department { kPreSales, kAfterSales };
std::string_view RoleName(Role r);              // "agent", "lead", "owner"
std::optional<Role> ParseRole(std::string_view name);

// The person (or "system" job) doing something, and the shop they act in.
struct Actor {
  std::string user_id;
  std::string shop_id;
  Role role = Role::kAgent;
  Department department = Department::kPreSales;
};

// One audit_log row: who did what to which entity, when, with JSON before/after ("" when the
// entity did not exist / was deleted). Services hand these to the repository that stores the
// change, so both land in the same transaction.
struct AuditRecord {
  std::string id;           // "au_..."
  std::string shop_id;
  std::string actor_id;
  core::Timestamp at;
  std::string action;       // e.g. "order.change_shipping_fee", "review.approve"
  std::string entity_type;  // "order", "review", "case", "compensation", "approval"
  std::string entity_id;
  std::string before_json;
  std::string after_json;
};
// Builds a record with a fresh id.
AuditRecord MakeAudit(const Actor& actor, core::Timestamp at, std::string action,
                      std::string entity_type, std::string entity_id, std::string before_json,
                      std::string after_json);
// The record as a JSON object (before/after embedded as JSON values, not strings).
std::string AuditToJson(const AuditRecord& r);

// ---------------------------------------------------------------------------------------------
// Orders

enum class OrderStatus { kUnpaid, kPaid, kGroupPending, kToShip, kShipped, kDelivered, kClosed };
// "unpaid", "paid", "group_pending", "to_ship", "shipped", "delivered", "closed".
std::string_view OrderStatusName(OrderStatus s);
// "待付款", "已付款", "待成团", "待发货", "已发货", "已签收", "已关闭".
std::string_view OrderStatusZh(OrderStatus s);
// Accepts the English names and the zh-CN labels above; nullopt otherwise.
std::optional<OrderStatus> ParseOrderStatus(std::string_view text);

// Campaign tag: 大促 (big sale, e.g. 双11/618) or 限时抢购 (flash sale).
enum class Campaign { kNone, kBigSale, kFlashSale };
std::string_view CampaignName(Campaign c);  // "", "big_sale", "flash_sale"
std::string_view CampaignZh(Campaign c);    // "", "大促", "限时抢购"
// Accepts "", "none", the English names and the zh-CN labels.
std::optional<Campaign> ParseCampaign(std::string_view text);

// 插旗 flag colours as the platforms' back-offices show them.
enum class FlagColor { kNone, kRed, kYellow, kGreen, kBlue, kPurple };
std::string_view FlagColorName(FlagColor c);  // "", "red", ... ; zh: 红旗 黄旗 绿旗 蓝旗 紫旗
std::string_view FlagColorZh(FlagColor c);
std::optional<FlagColor> ParseFlagColor(std::string_view text);

struct Address {
  std::string province;
  std::string city;
  std::string district;
  std::string detail;
  std::string recipient;
  std::string phone;
  bool operator==(const Address&) const = default;
};
// True for an 11-digit mainland China mobile number 1[3-9]xxxxxxxxx (an optional "+86"/"86"
// prefix, spaces and dashes are tolerated by NormalizeMobile, not by this check).
bool IsMainlandMobile(std::string_view phone);
// Strips spaces, dashes and a +86/86 prefix; returns the input unchanged otherwise.
std::string NormalizeMobile(std::string_view phone);
// ok when every part is present and the phone is a mainland mobile; kInvalidArgument naming the
// first missing/bad part ("address.phone") with a zh-CN message otherwise.
core::Status ValidateAddress(const Address& a);

struct OrderItem {
  std::string sku;
  std::string name;
  int64_t qty = 0;
  core::Money unit_price;
  bool operator==(const OrderItem&) const = default;
};

// 拼团 state. An order of a group stays 待成团 until `joined` reaches `required`.
struct GroupInfo {
  std::string group_id;
  int required = 2;
  int joined = 1;
  std::optional<core::Timestamp> formed_at;
  bool operator==(const GroupInfo&) const = default;
};

struct Order {
  std::string id;
  std::string shop_id;
  core::Platform platform = core::Platform::kPdd;
  std::string buyer;
  std::vector<OrderItem> items;
  core::Money shipping_fee;
  core::Money goods_total;           // what the buyer pays for goods (after any 改价)
  core::Money original_goods_total;  // goods total at import, the base of the 改价 floor
  int goods_total_changes = 0;       // how many times 改价 changed the goods total
  int shipping_fee_changes = 0;
  Address address;
  OrderStatus status = OrderStatus::kPaid;
  std::optional<core::Timestamp> created_at;
  std::optional<core::Timestamp> paid_at;
  std::optional<core::Timestamp> promised_ship_time;
  std::optional<core::Timestamp> shipped_at;
  std::optional<core::Timestamp> delivered_at;
  std::string tracking_no;
  std::string carrier;
  Campaign campaign = Campaign::kNone;
  std::optional<GroupInfo> group;
  std::string remark;  // canonical FormatRemark() text
  FlagColor flag = FlagColor::kNone;
  std::string flag_note;

  core::Money Total() const { return goods_total + shipping_fee; }
  bool operator==(const Order&) const = default;
};

// The sum of unit_price * qty over the items.
core::Money ItemsTotal(const Order& o);
// The order as a JSON object (money as "12.30" strings, times RFC 3339 UTC).
std::string OrderToJson(const Order& o);

// ---------------------------------------------------------------------------------------------
// Import (column mapping in docs/orders.md)

struct ImportOptions {
  std::string shop_id;                              // used when a row names no shop
  core::Platform platform = core::Platform::kPdd;   // used when a row names no platform
  int local_offset_minutes = 480;  // for "YYYY-MM-DD HH:MM[:SS]" times without an offset
};

// One rejected row. `line` is 1-based (the row's first physical line in the file).
struct ImportError {
  int line = 0;
  std::string order_id;  // when known
  std::string field;     // canonical column name, when the error is about one
  std::string message;   // zh-CN first, then English
  // "第3行 line 3 [qty] 数量不能为负数 ..."
  std::string ToString() const;
};

// Parsed orders (each complete and valid) and the rows that were skipped. A bad row never
// yields a partial order; duplicates of an already accepted order id are errors.
struct ImportResult {
  std::vector<Order> orders;
  std::vector<ImportError> errors;
};

// CSV (RFC 4180, UTF-8, optional BOM, header row; English or 中文 column names). A header
// missing a required column yields one error on line 1 and no orders.
ImportResult ParseOrdersCsv(std::string_view text, const ImportOptions& options = {});
// JSON Lines: one order object per line (same field names as the CSV columns; `items` array,
// `address` and `group` objects). Blank lines are skipped.
ImportResult ParseOrdersJsonl(std::string_view text, const ImportOptions& options = {});
// Moves the orders that name a shop other than `shop_id` (a "shop" column) from result.orders
// to result.errors (field "shop"), so an import never stores a row under a shop it does not name.
void KeepShop(ImportResult& result, std::string_view shop_id);

// ---------------------------------------------------------------------------------------------
// Per-platform order rules (the [orders] table of config/platforms/<p>.toml).

// 改价 on unpaid orders. Defaults are 拼多多's rule.
struct PriceChangePolicy {
  bool enabled = true;
  int goods_floor_percent = 70;   // new goods total >= ceil(original * percent / 100)
  int goods_changes_max = 1;      // the goods total may be changed this many times
  int shipping_changes_max = -1;  // -1: unlimited
};

struct OrdersPolicy {
  core::Duration group_timeout = std::chrono::hours(24);  // 拼团 waits this long for 成团
  core::Duration review_cutoff = std::chrono::hours(16);  // daily 审单 cut-off, local time
  int max_ship_delay_days = 30;                           // 延迟发货 at most this far ahead
  PriceChangePolicy price_change;
};

// ---------------------------------------------------------------------------------------------
// Ports: catalogue and blacklist (read), order and review repositories (write with audit).

struct CatalogItem {
  std::string sku;
  std::string name;
  int64_t stock = 0;
  core::Money price;
};

// The shop's SKU catalogue with stock levels. Implementations must be thread-safe for reads.
class Catalog {
 public:
  virtual ~Catalog() = default;
  // The item, or nullopt when the SKU is not in the shop's catalogue.
  virtual std::optional<CatalogItem> Find(std::string_view shop_id, std::string_view sku) const = 0;
};

// Blacklisted buyers and addresses. Thread-safe for reads.
class Blacklist {
 public:
  virtual ~Blacklist() = default;
  virtual bool IsBuyerBlocked(std::string_view shop_id, std::string_view buyer) const = 0;
  virtual bool IsAddressBlocked(std::string_view shop_id, const Address& a) const = 0;
};

class OrderRepository {
 public:
  virtual ~OrderRepository() = default;
  // kNotFound when absent or owned by another shop.
  virtual core::Result<Order> Get(std::string_view shop_id, std::string_view order_id) const = 0;
  // Stores new orders with their audit records atomically; kAlreadyExists (nothing stored) when
  // any id exists in that shop.
  virtual core::Status Insert(const std::vector<Order>& orders,
                              const std::vector<AuditRecord>& audit) = 0;
  // Replaces an existing order and appends the audit records atomically; kNotFound if absent.
  virtual core::Status Update(const Order& order, const std::vector<AuditRecord>& audit) = 0;
  // The shop's orders, in insertion order.
  virtual std::vector<Order> List(std::string_view shop_id) const = 0;
  // The shop's orders whose status is one of `statuses`, in insertion order.
  virtual std::vector<Order> ListByStatus(std::string_view shop_id,
                                          const std::vector<OrderStatus>& statuses) const = 0;
};

// ---------------------------------------------------------------------------------------------
// 拼团

enum class GroupOutcome { kNotGroup, kWaiting, kFormed, kExpired };
struct GroupCheck {
  GroupOutcome outcome = GroupOutcome::kNotGroup;
  std::optional<core::Timestamp> deadline;  // paid_at + group_timeout, for group orders
  core::Money refund;                       // what to refund when expired
};
// Where a group order stands at `now`.
GroupCheck CheckGroup(const Order& o, core::Timestamp now, const OrdersPolicy& policy);
// 成团: group_pending -> to_ship. kFailedPrecondition when the order is not waiting for a group.
core::Result<Order> FormGroup(const Order& o, core::Timestamp now);
// Cancels an expired group order (-> closed; the caller refunds GroupCheck::refund).
// kFailedPrecondition when not a waiting group order or before the deadline.
core::Result<Order> CancelExpiredGroup(const Order& o, core::Timestamp now,
                                       const OrdersPolicy& policy);
// ok when the order's remark/address may be edited; kFailedPrecondition with a zh-CN reason
// before 成团 ("拼团未成团...") or once shipped/closed. `what` is "remark" or "address".
core::Status CheckEditable(const Order& o, std::string_view what);
// Replaces the address (validated; editable orders only).
core::Result<Order> ChangeAddress(const Order& o, const Address& a);

// ---------------------------------------------------------------------------------------------
// 改价 (unpaid orders only)

// Any number of times (unless the policy caps it) to any amount >= 0.
core::Result<Order> ChangeShippingFee(const Order& o, core::Money fee,
                                      const PriceChangePolicy& p);
// At most goods_changes_max times, never below goods_floor_percent of original_goods_total.
// Errors: kFailedPrecondition (not unpaid, disabled, already changed), kInvalidArgument (floor).
core::Result<Order> ChangeGoodsTotal(const Order& o, core::Money total,
                                     const PriceChangePolicy& p);
// The lowest goods total allowed: ceil(original * percent / 100).
core::Money GoodsTotalFloor(const Order& o, const PriceChangePolicy& p);

// ---------------------------------------------------------------------------------------------
// Structured remarks 订单备注 and flags 插旗 (grammar in docs/orders.md)

struct GiftLine {
  std::string sku;
  int64_t qty = 1;
  bool operator==(const GiftLine&) const = default;
};
enum class RefundNoteKind { kPriceDifference, kShippingFee };  // 退差价, 退运费
struct RefundNote {
  RefundNoteKind kind = RefundNoteKind::kPriceDifference;
  std::string reason;
  core::Money amount;
  bool operator==(const RefundNote&) const = default;
};
struct Remark {
  std::optional<Address> new_address;        // 改地址
  std::optional<core::LocalDate> ship_date;  // 延迟发货 X月X日发货
  std::vector<GiftLine> gifts;               // 赠品 SKU*qty
  std::vector<RefundNote> refunds;           // 退差价 / 退运费
  std::vector<std::string> free_text;        // anything else, one entry per line
  bool operator==(const Remark&) const = default;
};
// What validation needs: today's local date, the catalogue (for gift SKUs) and the flag.
struct RemarkContext {
  std::string shop_id;
  core::LocalDate today{};
  const Catalog* catalog = nullptr;  // required when the remark names gifts
  int max_ship_delay_days = 30;
  FlagColor flag = FlagColor::kNone;
};
// Parses and validates a remark. kInvalidArgument listing every problem (zh-CN, "；"-joined),
// with field "remark" or "flag".
core::Result<Remark> ParseRemark(std::string_view text, const RemarkContext& ctx);
// The canonical form: one "[kind] body" line per structured entry, in the order 改地址,
// 延迟发货, 赠品, 退差价, 退运费, then free text lines. ParseRemark(FormatRemark(r)) == r.
std::string FormatRemark(const Remark& r);
// Validates and stores a remark + flag on the order (editable orders only).
core::Result<Order> SetRemark(const Order& o, std::string_view text, FlagColor flag,
                              std::string flag_note, const RemarkContext& ctx);

// ---------------------------------------------------------------------------------------------
// 审单 review queue

enum class ReviewBucket {
  kPending,      // 待审核
  kApproved,     // 已审核 (released to the warehouse)
  kIntercepted,  // 拦截成功
  kAbnormal,     // 异常 (e.g. incomplete address)
  kBlacklisted,  // 黑名单拦截
  kOutOfStock,   // 缺货
  kSkuError,     // SKU 配置错误
};
std::string_view ReviewBucketName(ReviewBucket b);  // "pending", ..., "sku_error"
std::string_view ReviewBucketZh(ReviewBucket b);    // "待审核", ..., "SKU配置错误"
std::optional<ReviewBucket> ParseReviewBucket(std::string_view text);

// One rule hit: the rule's code ("blacklist.buyer", "blacklist.address", "sku.unknown",
// "stock.short", "address.incomplete"), its bucket and a zh-CN message.
struct ReviewFinding {
  std::string rule;
  ReviewBucket bucket = ReviewBucket::kPending;
  std::string message;
  bool operator==(const ReviewFinding&) const = default;
};

struct ReviewEntry {
  std::string shop_id;
  std::string order_id;
  ReviewBucket bucket = ReviewBucket::kPending;
  std::vector<ReviewFinding> findings;
  std::optional<core::Timestamp> paid_at;  // copied from the order: decides its cut-off
  std::string decided_by;
  std::optional<core::Timestamp> decided_at;
  std::string note;
  bool operator==(const ReviewEntry&) const = default;
};
std::string ReviewEntryToJson(const ReviewEntry& e);

// Runs every rule on one order. The bucket is the most severe finding (黑名单 > SKU配置错误 >
// 缺货 > 异常) or 待审核 when clean. `reserved` (optional) is stock already promised to earlier
// orders in this batch, by SKU; the order's quantities are added to it when it is not blocked.
ReviewEntry ReviewOrder(const Order& o, const Catalog& catalog, const Blacklist& blacklist,
                        std::map<std::string, int64_t, std::less<>>* reserved = nullptr);
// Reviews a batch in paid_at order, reserving stock so later orders run short first. Orders not
// awaiting shipment (unpaid, 待成团, shipped, ...) are left out.
std::vector<ReviewEntry> ReviewOrders(const std::vector<Order>& orders, const Catalog& catalog,
                                      const Blacklist& blacklist);

// Agent fixes. Each re-runs the rules; FixSku and Approve end in 已审核 when nothing is left.
// Replaces `old_sku` by `new_sku` (which must be in the catalogue: kInvalidArgument otherwise;
// kNotFound when the order has no such item), then re-reviews.
core::Result<Order> ReplaceSku(const Order& o, std::string_view old_sku, std::string_view new_sku,
                               const Catalog& catalog);
// Approves when the rules find nothing; kFailedPrecondition listing what is left otherwise.
core::Result<ReviewEntry> Approve(const ReviewEntry& e, const Order& o, const Catalog& catalog,
                                  const Blacklist& blacklist, const Actor& actor,
                                  core::Timestamp now);
// 拦截: stops the order before the warehouse ships it; kFailedPrecondition once shipped.
core::Result<ReviewEntry> Intercept(const ReviewEntry& e, const Order& o, const Actor& actor,
                                    core::Timestamp now, std::string note);

// What is left before the next daily cut-off.
struct CutoffStatus {
  core::Timestamp cutoff;        // the next cut-off at or after now
  core::Duration remaining{};    // cutoff - now
  std::vector<ReviewEntry> left;  // not approved/intercepted, paid before `cutoff`
  std::map<ReviewBucket, int> counts;  // of `left`, by bucket
};
CutoffStatus LeftBeforeCutoff(const std::vector<ReviewEntry>& entries, core::Timestamp now,
                              const core::TimeZone& tz, core::Duration cutoff_time_of_day);

class ReviewRepository {
 public:
  virtual ~ReviewRepository() = default;
  virtual core::Result<ReviewEntry> Get(std::string_view shop_id,
                                        std::string_view order_id) const = 0;
  // Inserts or replaces the entry and appends the audit records atomically.
  virtual core::Status Put(const ReviewEntry& e, const std::vector<AuditRecord>& audit) = 0;
  // Inserts or replaces every entry and appends the audit records, all atomically.
  virtual core::Status PutMany(const std::vector<ReviewEntry>& entries,
                               const std::vector<AuditRecord>& audit) = 0;
  virtual std::vector<ReviewEntry> List(std::string_view shop_id) const = 0;
};

// ---------------------------------------------------------------------------------------------
// In-memory implementations of the ports (fakes for tests and the demo). Thread-safe.

// Collects audit records; the in-memory repositories append to it "in the same transaction".
class InMemoryAuditLog {
 public:
  void Append(const std::vector<AuditRecord>& records);
  std::vector<AuditRecord> Records() const;
  // Records for one shop, optionally one entity id.
  std::vector<AuditRecord> Query(std::string_view shop_id, std::string_view entity_id = {}) const;

 private:
  mutable std::mutex mu_;
  std::vector<AuditRecord> records_;
};

class InMemoryCatalog final : public Catalog {
 public:
  void Put(std::string shop_id, CatalogItem item);
  std::optional<CatalogItem> Find(std::string_view shop_id, std::string_view sku) const override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, CatalogItem, std::less<>> items_;  // key: shop "\x1f" sku
};

class InMemoryBlacklist final : public Blacklist {
 public:
  void AddBuyer(std::string shop_id, std::string buyer);
  // Blocks an address by its mobile number and by province+city+district+detail.
  void AddAddress(std::string shop_id, const Address& a);
  bool IsBuyerBlocked(std::string_view shop_id, std::string_view buyer) const override;
  bool IsAddressBlocked(std::string_view shop_id, const Address& a) const override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, bool, std::less<>> keys_;
};

class InMemoryOrderRepository final : public OrderRepository {
 public:
  explicit InMemoryOrderRepository(InMemoryAuditLog& audit) : audit_(audit) {}
  core::Result<Order> Get(std::string_view shop_id, std::string_view order_id) const override;
  core::Status Insert(const std::vector<Order>& orders,
                      const std::vector<AuditRecord>& audit) override;
  core::Status Update(const Order& order, const std::vector<AuditRecord>& audit) override;
  std::vector<Order> List(std::string_view shop_id) const override;
  std::vector<Order> ListByStatus(std::string_view shop_id,
                                  const std::vector<OrderStatus>& statuses) const override;

 private:
  InMemoryAuditLog& audit_;
  mutable std::mutex mu_;
  std::vector<Order> orders_;
};

class InMemoryReviewRepository final : public ReviewRepository {
 public:
  explicit InMemoryReviewRepository(InMemoryAuditLog& audit) : audit_(audit) {}
  core::Result<ReviewEntry> Get(std::string_view shop_id,
                                std::string_view order_id) const override;
  core::Status Put(const ReviewEntry& e, const std::vector<AuditRecord>& audit) override;
  core::Status PutMany(const std::vector<ReviewEntry>& entries,
                       const std::vector<AuditRecord>& audit) override;
  std::vector<ReviewEntry> List(std::string_view shop_id) const override;

 private:
  InMemoryAuditLog& audit_;
  mutable std::mutex mu_;
  std::vector<ReviewEntry> entries_;
};

// ---------------------------------------------------------------------------------------------
// The application service: loads through the ports, applies a rule, stores the result with its
// audit record. Every method checks that the actor belongs to the shop (kNotFound otherwise).
// Thread-compatible: callers serialise writes to one order (the store's writer does).

class OrderService {
 public:
  OrderService(OrderRepository& orders, ReviewRepository& reviews, const Catalog& catalog,
               const Blacklist& blacklist, const core::Clock& clock, core::TimeZone tz,
               OrdersPolicy policy);
  OrderService(const OrderService&) = delete;
  OrderService& operator=(const OrderService&) = delete;

  // Stores parsed orders (one "order.import" audit record each). kAlreadyExists: none stored.
  core::Status Import(const Actor& actor, std::vector<Order> orders);
  // Import, then ReviewPending, so the new orders join the 审单 queue in the caller's
  // transaction (`kefu import orders`, the HTTP import). Returns the review entries.
  core::Result<std::vector<ReviewEntry>> ImportAndReview(const Actor& actor,
                                                         std::vector<Order> orders);
  core::Result<Order> ChangeShippingFee(const Actor& actor, std::string_view order_id,
                                        core::Money fee);
  core::Result<Order> ChangeGoodsTotal(const Actor& actor, std::string_view order_id,
                                       core::Money total);
  core::Result<Order> ChangeAddress(const Actor& actor, std::string_view order_id,
                                    const Address& a);
  core::Result<Order> SetRemark(const Actor& actor, std::string_view order_id,
                                std::string_view text, FlagColor flag, std::string flag_note);
  core::Result<Order> FormGroup(const Actor& actor, std::string_view order_id);
  // Cancels every expired 待成团 order of the actor's shop; returns them (now closed).
  core::Result<std::vector<Order>> ExpireGroups(const Actor& actor);
  // Reviews every order awaiting shipment that has no decided entry yet; returns the entries.
  core::Result<std::vector<ReviewEntry>> ReviewPending(const Actor& actor);
  core::Result<ReviewEntry> FixSku(const Actor& actor, std::string_view order_id,
                                   std::string_view old_sku, std::string_view new_sku);
  core::Result<ReviewEntry> Approve(const Actor& actor, std::string_view order_id);
  core::Result<ReviewEntry> Intercept(const Actor& actor, std::string_view order_id,
                                      std::string note);
  CutoffStatus LeftBeforeCutoff(const Actor& actor) const;

 private:
  core::Result<Order> Load(const Actor& actor, std::string_view order_id) const;
  core::Status Save(const Actor& actor, const Order& before, const Order& after,
                    std::string action);
  core::Result<Order> Mutate(const Actor& actor, std::string_view order_id, std::string action,
                             const std::function<core::Result<Order>(const Order&)>& rule);
  core::Result<ReviewEntry> SaveReview(const Actor& actor, const ReviewEntry& before,
                                       ReviewEntry after, std::string action);
  core::Result<ReviewEntry> CurrentEntry(const Actor& actor, const Order& o) const;
  // Sets the actor's shop on each order and inserts them with their "order.import" records.
  core::Status Insert(const Actor& actor, std::vector<Order>& orders);
  // The shop's review entries by order id.
  std::map<std::string, ReviewEntry, std::less<>> CurrentEntries(const Actor& actor) const;
  // Orders awaiting shipment whose entry is not approved/intercepted.
  std::vector<Order> Undecided(
      const Actor& actor, const std::map<std::string, ReviewEntry, std::less<>>& current) const;
  // Reviews `todo` in payment order and stores the entries that changed, with audit records.
  core::Result<std::vector<ReviewEntry>> ReviewBatch(
      const Actor& actor, const std::vector<Order>& todo,
      const std::map<std::string, ReviewEntry, std::less<>>& current);

  OrderRepository& orders_;
  ReviewRepository& reviews_;
  const Catalog& catalog_;
  const Blacklist& blacklist_;
  const core::Clock& clock_;
  core::TimeZone tz_;
  OrdersPolicy policy_;
};

}  // namespace kefu::orders
