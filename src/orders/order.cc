// Names, validation and JSON of the order vocabulary, plus the in-memory port fakes.
#include <algorithm>
#include <array>
#include <atomic>

#include "orders/internal/json.h"
#include "orders/orders.h"

namespace kefu::orders {
namespace {

template <typename E, size_t N>
std::optional<E> Lookup(const std::array<std::pair<E, std::array<std::string_view, 2>>, N>& table,
                        std::string_view text) {
  for (const auto& [e, names] : table)
    for (auto n : names)
      if (!n.empty() && n == text) return e;
  return std::nullopt;
}

const std::array<std::pair<OrderStatus, std::array<std::string_view, 2>>, 7> kStatus = {{
    {OrderStatus::kUnpaid, {"unpaid", "待付款"}},
    {OrderStatus::kPaid, {"paid", "已付款"}},
    {OrderStatus::kGroupPending, {"group_pending", "待成团"}},
    {OrderStatus::kToShip, {"to_ship", "待发货"}},
    {OrderStatus::kShipped, {"shipped", "已发货"}},
    {OrderStatus::kDelivered, {"delivered", "已签收"}},
    {OrderStatus::kClosed, {"closed", "已关闭"}},
}};
const std::array<std::pair<Campaign, std::array<std::string_view, 2>>, 3> kCampaign = {{
    {Campaign::kNone, {"", ""}},
    {Campaign::kBigSale, {"big_sale", "大促"}},
    {Campaign::kFlashSale, {"flash_sale", "限时抢购"}},
}};
const std::array<std::pair<FlagColor, std::array<std::string_view, 2>>, 6> kFlag = {{
    {FlagColor::kNone, {"", ""}},
    {FlagColor::kRed, {"red", "红旗"}},
    {FlagColor::kYellow, {"yellow", "黄旗"}},
    {FlagColor::kGreen, {"green", "绿旗"}},
    {FlagColor::kBlue, {"blue", "蓝旗"}},
    {FlagColor::kPurple, {"purple", "紫旗"}},
}};

std::string AddressJson(const Address& a) {
  return internal::JsonWriter()
      .Str("province", a.province).Str("city", a.city).Str("district", a.district)
      .Str("detail", a.detail).Str("recipient", a.recipient).Str("phone", a.phone)
      .Finish();
}

std::string Key(std::string_view a, std::string_view b) {
  std::string k(a);
  k += '\x1f';
  k += b;
  return k;
}

}  // namespace

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kAgent: return "agent";
    case Role::kLead: return "lead";
    case Role::kOwner: return "owner";
  }
  return "agent";
}
std::optional<Role> ParseRole(std::string_view n) {
  if (n == "agent") return Role::kAgent;
  if (n == "lead") return Role::kLead;
  if (n == "owner") return Role::kOwner;
  return std::nullopt;
}

std::string_view OrderStatusName(OrderStatus s) { return kStatus[static_cast<int>(s)].second[0]; }
std::string_view OrderStatusZh(OrderStatus s) { return kStatus[static_cast<int>(s)].second[1]; }
std::optional<OrderStatus> ParseOrderStatus(std::string_view t) { return Lookup(kStatus, t); }
std::string_view CampaignName(Campaign c) { return kCampaign[static_cast<int>(c)].second[0]; }
std::string_view CampaignZh(Campaign c) { return kCampaign[static_cast<int>(c)].second[1]; }
std::optional<Campaign> ParseCampaign(std::string_view t) {
  if (t.empty() || t == "none" || t == "无") return Campaign::kNone;
  return Lookup(kCampaign, t);
}
std::string_view FlagColorName(FlagColor c) { return kFlag[static_cast<int>(c)].second[0]; }
std::string_view FlagColorZh(FlagColor c) { return kFlag[static_cast<int>(c)].second[1]; }
std::optional<FlagColor> ParseFlagColor(std::string_view t) {
  if (t.empty() || t == "none") return FlagColor::kNone;
  return Lookup(kFlag, t);
}

bool IsMainlandMobile(std::string_view p) {
  if (p.size() != 11 || p[0] != '1' || p[1] < '3' || p[1] > '9') return false;
  return std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string NormalizeMobile(std::string_view p) {
  std::string d;
  for (char c : p)
    if (c != ' ' && c != '-') d += c;
  if (d.rfind("+86", 0) == 0) d = d.substr(3);
  else if (d.size() == 13 && d.rfind("86", 0) == 0) d = d.substr(2);
  return IsMainlandMobile(d) ? d : std::string(p);
}

core::Status ValidateAddress(const Address& a) {
  const std::pair<const std::string*, const char*> parts[] = {
      {&a.province, "province|省"}, {&a.city, "city|市"}, {&a.district, "district|区/县"},
      {&a.detail, "detail|详细地址"}, {&a.recipient, "recipient|收件人"}, {&a.phone, "phone|手机号"}};
  for (const auto& [v, label] : parts) {
    std::string_view l(label);
    std::string field(l.substr(0, l.find('|')));
    std::string zh(l.substr(l.find('|') + 1));
    if (v->find_first_not_of(" \t") == std::string::npos)
      return core::InvalidArgument("地址不完整：缺少" + zh + " (address incomplete: " + field + ")",
                                   "address." + field);
  }
  if (!IsMainlandMobile(a.phone))
    return core::InvalidArgument("手机号无效：需为11位大陆手机号 (not a mainland mobile): " + a.phone,
                                 "address.phone");
  return core::Status::Ok();
}

core::Money ItemsTotal(const Order& o) {
  int64_t fen = 0;
  for (const auto& it : o.items) fen += it.unit_price.fen() * it.qty;
  return core::Money(fen);
}

std::string OrderToJson(const Order& o) {
  std::string items = "[";
  for (size_t i = 0; i < o.items.size(); ++i) {
    if (i) items += ',';
    const auto& it = o.items[i];
    items += internal::JsonWriter()
                 .Str("sku", it.sku).Str("name", it.name).Int("qty", it.qty)
                 .Str("unit_price", it.unit_price.ToString())
                 .Finish();
  }
  items += ']';
  std::string group = "null";
  if (o.group) {
    group = internal::JsonWriter()
                .Str("id", o.group->group_id).Int("required", o.group->required)
                .Int("joined", o.group->joined).Time("formed_at", o.group->formed_at)
                .Finish();
  }
  return internal::JsonWriter()
      .Str("id", o.id).Str("shop_id", o.shop_id).Str("platform", core::PlatformName(o.platform))
      .Str("buyer", o.buyer).Raw("items", items)
      .Str("shipping_fee", o.shipping_fee.ToString()).Str("goods_total", o.goods_total.ToString())
      .Str("original_goods_total", o.original_goods_total.ToString())
      .Int("goods_total_changes", o.goods_total_changes)
      .Int("shipping_fee_changes", o.shipping_fee_changes)
      .Raw("address", AddressJson(o.address)).Str("status", OrderStatusName(o.status))
      .Time("created_at", o.created_at).Time("paid_at", o.paid_at)
      .Time("promised_ship_time", o.promised_ship_time).Time("shipped_at", o.shipped_at)
      .Time("delivered_at", o.delivered_at).Str("tracking_no", o.tracking_no)
      .Str("carrier", o.carrier).Str("campaign", CampaignName(o.campaign)).Raw("group", group)
      .Str("remark", o.remark).Str("flag", FlagColorName(o.flag)).Str("flag_note", o.flag_note)
      .Finish();
}

namespace {

// "au_" + the record's time (11 base-32 digits of microseconds) + a per-process sequence (4) +
// random (6): ids of records written together sort together, so the audit table's unique index
// on id grows at its end instead of at random pages (an import writes 200,000 of them).
std::string AuditId(core::Timestamp at) {
  static constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
  static std::atomic<uint32_t> seq{0};
  std::string id = "au_";
  uint64_t t = static_cast<uint64_t>(at.time_since_epoch().count());
  char time_digits[11];
  for (int i = 10; i >= 0; --i, t >>= 5) time_digits[i] = kAlphabet[t & 31];
  id.append(time_digits, 11);
  uint32_t n = seq.fetch_add(1, std::memory_order_relaxed);
  char seq_digits[4];
  for (int i = 3; i >= 0; --i, n >>= 5) seq_digits[i] = kAlphabet[n & 31];
  id.append(seq_digits, 4);
  id += core::NewId("").substr(0, 6);
  return id;
}

}  // namespace

AuditRecord MakeAudit(const Actor& actor, core::Timestamp at, std::string action,
                      std::string entity_type, std::string entity_id, std::string before_json,
                      std::string after_json) {
  return AuditRecord{
      AuditId(at),          actor.shop_id,          actor.user_id,        at,
      std::move(action),    std::move(entity_type), std::move(entity_id), std::move(before_json),
      std::move(after_json)};
}

std::string AuditToJson(const AuditRecord& r) {
  return internal::JsonWriter()
      .Str("id", r.id).Str("shop_id", r.shop_id).Str("actor", r.actor_id)
      .Time("at", r.at).Str("action", r.action).Str("entity_type", r.entity_type)
      .Str("entity_id", r.entity_id).Raw("before", r.before_json).Raw("after", r.after_json)
      .Finish();
}

std::string ReviewEntryToJson(const ReviewEntry& e) {
  std::string findings = "[";
  for (size_t i = 0; i < e.findings.size(); ++i) {
    if (i) findings += ',';
    findings += internal::JsonWriter()
                    .Str("rule", e.findings[i].rule)
                    .Str("bucket", ReviewBucketName(e.findings[i].bucket))
                    .Str("message", e.findings[i].message)
                    .Finish();
  }
  findings += ']';
  return internal::JsonWriter()
      .Str("shop_id", e.shop_id).Str("order_id", e.order_id)
      .Str("bucket", ReviewBucketName(e.bucket)).Str("bucket_zh", ReviewBucketZh(e.bucket))
      .Raw("findings", findings).Time("paid_at", e.paid_at).Str("decided_by", e.decided_by)
      .Time("decided_at", e.decided_at).Str("note", e.note)
      .Finish();
}

// ---------------------------------------------------------------------------------------------
// Fakes

void InMemoryAuditLog::Append(const std::vector<AuditRecord>& records) {
  std::lock_guard lock(mu_);
  records_.insert(records_.end(), records.begin(), records.end());
}
std::vector<AuditRecord> InMemoryAuditLog::Records() const {
  std::lock_guard lock(mu_);
  return records_;
}
std::vector<AuditRecord> InMemoryAuditLog::Query(std::string_view shop_id,
                                                 std::string_view entity_id) const {
  std::lock_guard lock(mu_);
  std::vector<AuditRecord> out;
  for (const auto& r : records_)
    if (r.shop_id == shop_id && (entity_id.empty() || r.entity_id == entity_id)) out.push_back(r);
  return out;
}

void InMemoryCatalog::Put(std::string shop_id, CatalogItem item) {
  std::lock_guard lock(mu_);
  std::string k = Key(shop_id, item.sku);
  items_[k] = std::move(item);
}
std::optional<CatalogItem> InMemoryCatalog::Find(std::string_view shop_id,
                                                 std::string_view sku) const {
  std::lock_guard lock(mu_);
  auto it = items_.find(Key(shop_id, sku));
  if (it == items_.end()) return std::nullopt;
  return it->second;
}

static std::string PlaceKey(const Address& a) {
  return "addr:" + a.province + a.city + a.district + a.detail;
}
void InMemoryBlacklist::AddBuyer(std::string shop_id, std::string buyer) {
  std::lock_guard lock(mu_);
  keys_[Key(shop_id, "buyer:" + buyer)] = true;
}
void InMemoryBlacklist::AddAddress(std::string shop_id, const Address& a) {
  std::lock_guard lock(mu_);
  if (!a.phone.empty()) keys_[Key(shop_id, "phone:" + NormalizeMobile(a.phone))] = true;
  if (!a.detail.empty()) keys_[Key(shop_id, PlaceKey(a))] = true;
}
bool InMemoryBlacklist::IsBuyerBlocked(std::string_view shop_id, std::string_view buyer) const {
  std::lock_guard lock(mu_);
  return keys_.count(Key(shop_id, "buyer:" + std::string(buyer))) > 0;
}
bool InMemoryBlacklist::IsAddressBlocked(std::string_view shop_id, const Address& a) const {
  std::lock_guard lock(mu_);
  if (!a.phone.empty() && keys_.count(Key(shop_id, "phone:" + NormalizeMobile(a.phone))))
    return true;
  return !a.detail.empty() && keys_.count(Key(shop_id, PlaceKey(a))) > 0;
}

core::Result<Order> InMemoryOrderRepository::Get(std::string_view shop_id,
                                                 std::string_view order_id) const {
  std::lock_guard lock(mu_);
  for (const auto& o : orders_)
    if (o.shop_id == shop_id && o.id == order_id) return o;
  return core::NotFound("订单不存在 order not found: " + std::string(order_id));
}
core::Status InMemoryOrderRepository::Insert(const std::vector<Order>& orders,
                                             const std::vector<AuditRecord>& audit) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < orders.size(); ++i) {
    for (const auto& o : orders_)
      if (o.shop_id == orders[i].shop_id && o.id == orders[i].id)
        return core::AlreadyExists("订单已存在 order exists: " + o.id, "order_id");
    for (size_t j = 0; j < i; ++j)
      if (orders[j].shop_id == orders[i].shop_id && orders[j].id == orders[i].id)
        return core::AlreadyExists("订单重复 duplicate order: " + orders[i].id, "order_id");
  }
  orders_.insert(orders_.end(), orders.begin(), orders.end());
  audit_.Append(audit);
  return core::Status::Ok();
}
core::Status InMemoryOrderRepository::Update(const Order& order,
                                             const std::vector<AuditRecord>& audit) {
  std::lock_guard lock(mu_);
  for (auto& o : orders_) {
    if (o.shop_id == order.shop_id && o.id == order.id) {
      o = order;
      audit_.Append(audit);
      return core::Status::Ok();
    }
  }
  return core::NotFound("订单不存在 order not found: " + order.id);
}
std::vector<Order> InMemoryOrderRepository::List(std::string_view shop_id) const {
  std::lock_guard lock(mu_);
  std::vector<Order> out;
  for (const auto& o : orders_)
    if (o.shop_id == shop_id) out.push_back(o);
  return out;
}
std::vector<Order> InMemoryOrderRepository::ListByStatus(
    std::string_view shop_id, const std::vector<OrderStatus>& statuses) const {
  std::lock_guard lock(mu_);
  std::vector<Order> out;
  for (const auto& o : orders_)
    if (o.shop_id == shop_id &&
        std::find(statuses.begin(), statuses.end(), o.status) != statuses.end())
      out.push_back(o);
  return out;
}

core::Result<ReviewEntry> InMemoryReviewRepository::Get(std::string_view shop_id,
                                                        std::string_view order_id) const {
  std::lock_guard lock(mu_);
  for (const auto& e : entries_)
    if (e.shop_id == shop_id && e.order_id == order_id) return e;
  return core::NotFound("审单记录不存在 review entry not found: " + std::string(order_id));
}
core::Status InMemoryReviewRepository::Put(const ReviewEntry& e,
                                           const std::vector<AuditRecord>& audit) {
  return PutMany({e}, audit);
}
core::Status InMemoryReviewRepository::PutMany(const std::vector<ReviewEntry>& entries,
                                               const std::vector<AuditRecord>& audit) {
  std::lock_guard lock(mu_);
  for (const auto& e : entries) {
    bool replaced = false;
    for (auto& x : entries_) {
      if (x.shop_id == e.shop_id && x.order_id == e.order_id) {
        x = e;
        replaced = true;
      }
    }
    if (!replaced) entries_.push_back(e);
  }
  audit_.Append(audit);
  return core::Status::Ok();
}
std::vector<ReviewEntry> InMemoryReviewRepository::List(std::string_view shop_id) const {
  std::lock_guard lock(mu_);
  std::vector<ReviewEntry> out;
  for (const auto& e : entries_)
    if (e.shop_id == shop_id) out.push_back(e);
  return out;
}

}  // namespace kefu::orders
