// The order rules: 拼团, 改价, structured remarks, 审单 review and the daily cut-off.
#include <algorithm>
#include <numeric>

#include "orders/orders.h"

namespace kefu::orders {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Splits on any of the given separators (each a UTF-8 string).
std::vector<std::string_view> Split(std::string_view s, std::initializer_list<std::string_view> seps) {
  std::vector<std::string_view> out;
  size_t start = 0, i = 0;
  while (i < s.size()) {
    bool hit = false;
    for (auto sep : seps) {
      if (s.substr(i, sep.size()) == sep) {
        out.push_back(Trim(s.substr(start, i - start)));
        i += sep.size();
        start = i;
        hit = true;
        break;
      }
    }
    if (!hit) ++i;
  }
  out.push_back(Trim(s.substr(start)));
  return out;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

constexpr std::string_view kTagAddress = "改地址";
constexpr std::string_view kTagDelay = "延迟发货";
constexpr std::string_view kTagGift = "赠品";
constexpr std::string_view kTagPriceDiff = "退差价";
constexpr std::string_view kTagShipping = "退运费";

// "k=v;k=v" (half- or full-width separators) into ordered pairs; false on a malformed part.
bool ParsePairs(std::string_view body, std::vector<std::pair<std::string, std::string>>& out) {
  for (auto part : Split(body, {";", "；"})) {
    if (part.empty()) continue;
    auto kv = Split(part, {"=", "＝"});
    if (kv.size() != 2) return false;
    out.emplace_back(std::string(kv[0]), std::string(kv[1]));
  }
  return true;
}

std::optional<int> SmallInt(std::string_view s) {
  if (s.empty() || s.size() > 4) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Resolves "M月D日" to the earliest real date >= today; an error message otherwise.
std::variant<core::LocalDate, std::string> ResolveShipDate(std::string_view body,
                                                           const RemarkContext& ctx) {
  std::string_view b = body;
  if (b.size() >= 6 && b.substr(b.size() - 6) == "发货") b.remove_suffix(6);
  size_t m = b.find("月");
  size_t d = b.find("日");
  if (m == std::string_view::npos || d == std::string_view::npos || d < m || d + 3 != b.size())
    return std::string("延迟发货格式应为“X月X日发货”，例如 3月15日发货 (format: M月D日发货)");
  auto mon = SmallInt(Trim(b.substr(0, m)));
  auto day = SmallInt(Trim(b.substr(m + 3, d - m - 3)));
  if (!mon || !day || *mon < 1 || *mon > 12 || *day < 1 || *day > 31)
    return "延迟发货日期无效：" + std::string(body) + " (not a real date)";
  const auto year = ctx.today.year();
  core::LocalDate date = year / std::chrono::month(*mon) / std::chrono::day(*day);
  bool past_this_year = false;
  if (date.ok() && sys_days(date) < sys_days(ctx.today)) {
    past_this_year = true;
    date = (year + std::chrono::years(1)) / std::chrono::month(*mon) / std::chrono::day(*day);
  }
  if (!date.ok()) {
    core::LocalDate next = (year + std::chrono::years(1)) / std::chrono::month(*mon) /
                           std::chrono::day(*day);
    if (!next.ok()) return std::to_string(*mon) + "月" + std::to_string(*day) + "日不是真实日期 (not a real date)";
    date = next;
  }
  auto ahead = (sys_days(date) - sys_days(ctx.today)).count();
  if (ahead > ctx.max_ship_delay_days) {
    if (past_this_year)
      return std::to_string(*mon) + "月" + std::to_string(*day) + "日已经过去 (date is in the past)";
    return "延迟发货不能超过" + std::to_string(ctx.max_ship_delay_days) + "天 (more than " +
           std::to_string(ctx.max_ship_delay_days) + " days ahead)";
  }
  return date;
}

bool HasReserved(std::string_view v) {
  for (std::string_view bad : {";", "；", "=", "＝", "[", "]", "【", "】", "\n"})
    if (v.find(bad) != std::string_view::npos) return true;
  return false;
}

int Severity(ReviewBucket b) {
  switch (b) {
    case ReviewBucket::kBlacklisted: return 4;
    case ReviewBucket::kSkuError: return 3;
    case ReviewBucket::kOutOfStock: return 2;
    case ReviewBucket::kAbnormal: return 1;
    default: return 0;
  }
}

bool AwaitingShipment(const Order& o) {
  return o.status == OrderStatus::kPaid || o.status == OrderStatus::kToShip;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// 拼团

GroupCheck CheckGroup(const Order& o, core::Timestamp now, const OrdersPolicy& policy) {
  GroupCheck c;
  if (!o.group) return c;
  if (o.status != OrderStatus::kGroupPending) {
    c.outcome = o.group->formed_at ? GroupOutcome::kFormed : GroupOutcome::kNotGroup;
    return c;
  }
  c.outcome = GroupOutcome::kWaiting;
  auto base = o.paid_at ? o.paid_at : o.created_at;
  if (!base) return c;  // no time to count from: wait for 成团 or a manual decision
  c.deadline = *base + policy.group_timeout;
  if (now >= *c.deadline) {
    c.outcome = GroupOutcome::kExpired;
    c.refund = o.Total();
  }
  return c;
}

core::Result<Order> FormGroup(const Order& o, core::Timestamp now) {
  if (o.status != OrderStatus::kGroupPending || !o.group)
    return core::FailedPrecondition("订单不是待成团状态 order is not waiting for a group", "status");
  Order n = o;
  n.status = OrderStatus::kToShip;
  n.group->formed_at = now;
  n.group->joined = std::max(n.group->joined, n.group->required);
  return n;
}

core::Result<Order> CancelExpiredGroup(const Order& o, core::Timestamp now,
                                       const OrdersPolicy& policy) {
  auto c = CheckGroup(o, now, policy);
  if (c.outcome != GroupOutcome::kExpired)
    return core::FailedPrecondition("拼团未超时，不能取消 group has not timed out", "status");
  Order n = o;
  n.status = OrderStatus::kClosed;
  return n;
}

core::Status CheckEditable(const Order& o, std::string_view what) {
  const bool address = what == "address";
  const std::string zh = address ? "收货地址" : "订单备注";
  if (o.status == OrderStatus::kGroupPending)
    return core::FailedPrecondition(
        "拼团未成团，暂不能修改" + zh + "：成团前订单信息由平台锁定，请等成团后再改（未成团超时将自动取消并退款）"
        " (group not formed yet: the " + std::string(what) + " cannot change before 成团)",
        std::string(what));
  if (o.status == OrderStatus::kClosed)
    return core::FailedPrecondition("订单已关闭，不能修改" + zh + " (order closed)", std::string(what));
  if (address && (o.status == OrderStatus::kShipped || o.status == OrderStatus::kDelivered))
    return core::FailedPrecondition("订单已发货，不能修改收货地址（可联系快递改派）(already shipped)",
                                    "address");
  return core::Status::Ok();
}

core::Result<Order> ChangeAddress(const Order& o, const Address& a) {
  KEFU_TRY(CheckEditable(o, "address"));
  Address n = a;
  n.phone = NormalizeMobile(n.phone);
  KEFU_TRY(ValidateAddress(n));
  Order out = o;
  out.address = n;
  return out;
}

// ---------------------------------------------------------------------------------------------
// 改价

core::Money GoodsTotalFloor(const Order& o, const PriceChangePolicy& p) {
  return core::Money((o.original_goods_total.fen() * p.goods_floor_percent + 99) / 100);
}

static core::Status CheckPriceChangeAllowed(const Order& o, const PriceChangePolicy& p) {
  if (!p.enabled)
    return core::FailedPrecondition("本平台不支持改价 price changes are disabled for this platform");
  if (o.status != OrderStatus::kUnpaid)
    return core::FailedPrecondition("只有待付款订单可以改价 only unpaid orders can be repriced (now " +
                                        std::string(OrderStatusZh(o.status)) + ")",
                                    "status");
  return core::Status::Ok();
}

core::Result<Order> ChangeShippingFee(const Order& o, core::Money fee, const PriceChangePolicy& p) {
  KEFU_TRY(CheckPriceChangeAllowed(o, p));
  if (fee.fen() < 0)
    return core::InvalidArgument("运费不能为负数 shipping fee must be >= 0", "shipping_fee");
  if (p.shipping_changes_max >= 0 && o.shipping_fee_changes >= p.shipping_changes_max)
    return core::FailedPrecondition("运费修改次数已用完 shipping fee change limit reached",
                                    "shipping_fee");
  Order n = o;
  n.shipping_fee = fee;
  ++n.shipping_fee_changes;
  return n;
}

core::Result<Order> ChangeGoodsTotal(const Order& o, core::Money total, const PriceChangePolicy& p) {
  KEFU_TRY(CheckPriceChangeAllowed(o, p));
  if (o.goods_total_changes >= p.goods_changes_max)
    return core::FailedPrecondition("商品总价只能修改" + std::to_string(p.goods_changes_max) +
                                        "次，本单已改过 goods total may be changed only " +
                                        std::to_string(p.goods_changes_max) + " time(s)",
                                    "goods_total");
  const core::Money floor = GoodsTotalFloor(o, p);
  if (total < floor)
    return core::InvalidArgument("商品总价不能低于原价的" + std::to_string(p.goods_floor_percent) +
                                     "%（最低 " + floor.ToString() + " 元）goods total below floor " +
                                     floor.ToString(),
                                 "goods_total");
  Order n = o;
  n.goods_total = total;
  ++n.goods_total_changes;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Remarks

core::Result<Remark> ParseRemark(std::string_view text, const RemarkContext& ctx) {
  Remark r;
  std::vector<std::string> problems;
  bool flag_problem = false;
  for (auto raw : Split(text, {"\n"})) {
    std::string_view line = Trim(raw);
    if (line.empty()) continue;
    std::string_view tag, body;
    bool tagged = false;
    for (auto [open, close] : {std::pair<std::string_view, std::string_view>{"[", "]"},
                               {"【", "】"}}) {
      if (line.substr(0, open.size()) == open) {
        size_t end = line.find(close);
        if (end == std::string_view::npos) break;
        tag = Trim(line.substr(open.size(), end - open.size()));
        body = Trim(line.substr(end + close.size()));
        tagged = true;
        break;
      }
    }
    if (!tagged) {
      if (line.front() == '[' || line.substr(0, 3) == "【") {
        problems.push_back("备注类型未闭合：" + std::string(line.substr(0, 30)));
        continue;
      }
      r.free_text.emplace_back(line);
      continue;
    }
    if (tag == kTagAddress) {
      if (r.new_address) { problems.push_back("改地址只能有一条 (one 改地址 only)"); continue; }
      std::vector<std::pair<std::string, std::string>> kv;
      if (!ParsePairs(body, kv)) {
        problems.push_back("改地址格式应为 省=..;市=..;区=..;地址=..;收件人=..;手机=..");
        continue;
      }
      Address a;
      for (auto& [k, v] : kv) {
        if (k == "省") a.province = v;
        else if (k == "市") a.city = v;
        else if (k == "区") a.district = v;
        else if (k == "地址") a.detail = v;
        else if (k == "收件人") a.recipient = v;
        else if (k == "手机") a.phone = NormalizeMobile(v);
        else problems.push_back("改地址中未知的项：" + k);
      }
      auto st = ValidateAddress(a);
      if (!st.ok()) problems.push_back("改地址：" + st.message());
      r.new_address = a;
    } else if (tag == kTagDelay) {
      if (r.ship_date) { problems.push_back("延迟发货只能有一条 (one 延迟发货 only)"); continue; }
      auto d = ResolveShipDate(body, ctx);
      if (auto* msg = std::get_if<std::string>(&d)) problems.push_back(*msg);
      else r.ship_date = std::get<core::LocalDate>(d);
    } else if (tag == kTagGift) {
      if (body.empty()) { problems.push_back("赠品不能为空，格式 SKU*数量"); continue; }
      for (auto g : Split(body, {",", "，", "、"})) {
        auto parts = Split(g, {"*", "×"});
        if (parts.size() != 2 || parts[0].empty()) {
          problems.push_back("赠品格式应为 SKU*数量：" + std::string(g));
          continue;
        }
        auto q = SmallInt(parts[1]);
        if (!q || *q < 1 || *q > 99) {
          problems.push_back("赠品数量应为 1-99：" + std::string(g));
          continue;
        }
        std::string sku(parts[0]);
        if (!ctx.catalog) {
          problems.push_back("无法校验赠品 SKU（没有商品库）：" + sku);
        } else if (!ctx.catalog->Find(ctx.shop_id, sku)) {
          problems.push_back("赠品 SKU 不存在：" + sku + " (gift SKU not in catalogue)");
        }
        r.gifts.push_back(GiftLine{sku, *q});
      }
    } else if (tag == kTagPriceDiff || tag == kTagShipping) {
      std::vector<std::pair<std::string, std::string>> kv;
      RefundNote n;
      n.kind = tag == kTagPriceDiff ? RefundNoteKind::kPriceDifference : RefundNoteKind::kShippingFee;
      bool amount_given = false;
      if (!ParsePairs(body, kv)) {
        problems.push_back(std::string(tag) + "格式应为 原因=..;金额=..");
        continue;
      }
      for (auto& [k, v] : kv) {
        if (k == "原因") {
          n.reason = v;
        } else if (k == "金额") {
          amount_given = true;
          auto m = core::Money::Parse(v);
          if (!m.ok() || m->fen() <= 0) problems.push_back(std::string(tag) + "金额无效：" + v);
          else n.amount = *m;
        } else {
          problems.push_back(std::string(tag) + "中未知的项：" + k);
        }
      }
      if (n.reason.empty()) problems.push_back(std::string(tag) + "缺少原因 (reason required)");
      if (!amount_given) problems.push_back(std::string(tag) + "缺少金额 (amount required)");
      if (ctx.flag == FlagColor::kNone && !flag_problem) {
        problems.push_back(std::string(tag) + "备注必须同时插旗 (a flag is required)");
        flag_problem = true;
      }
      r.refunds.push_back(std::move(n));
    } else {
      problems.push_back("未知的备注类型 [" + std::string(tag) +
                         "]（可用：改地址、延迟发货、赠品、退差价、退运费）");
    }
  }
  if (r.new_address) {
    for (const auto* v : {&r.new_address->province, &r.new_address->city, &r.new_address->district,
                          &r.new_address->detail, &r.new_address->recipient})
      if (HasReserved(*v)) problems.push_back("改地址的内容不能包含 ; = [ ]");
  }
  for (const auto& n : r.refunds)
    if (HasReserved(n.reason)) problems.push_back("原因不能包含 ; = [ ]");
  if (!problems.empty()) {
    const bool only_flag = flag_problem && problems.size() == 1;
    return core::InvalidArgument("备注无效 invalid remark: " + Join(problems, "；"),
                                 only_flag ? "flag" : "remark");
  }
  return r;
}

std::string FormatRemark(const Remark& r) {
  std::vector<std::string> lines;
  if (r.new_address) {
    const Address& a = *r.new_address;
    lines.push_back("[改地址] 省=" + a.province + ";市=" + a.city + ";区=" + a.district +
                    ";地址=" + a.detail + ";收件人=" + a.recipient + ";手机=" + a.phone);
  }
  if (r.ship_date) {
    lines.push_back("[延迟发货] " + std::to_string(unsigned(r.ship_date->month())) + "月" +
                    std::to_string(unsigned(r.ship_date->day())) + "日发货");
  }
  if (!r.gifts.empty()) {
    std::vector<std::string> g;
    for (const auto& x : r.gifts) g.push_back(x.sku + "*" + std::to_string(x.qty));
    lines.push_back("[赠品] " + Join(g, ","));
  }
  for (auto kind : {RefundNoteKind::kPriceDifference, RefundNoteKind::kShippingFee}) {
    for (const auto& n : r.refunds) {
      if (n.kind != kind) continue;
      lines.push_back(std::string("[") +
                      std::string(kind == RefundNoteKind::kPriceDifference ? kTagPriceDiff : kTagShipping) +
                      "] 原因=" + n.reason + ";金额=" + n.amount.ToString());
    }
  }
  for (const auto& t : r.free_text) lines.push_back(t);
  return Join(lines, "\n");
}

core::Result<Order> SetRemark(const Order& o, std::string_view text, FlagColor flag,
                              std::string flag_note, const RemarkContext& ctx) {
  KEFU_TRY(CheckEditable(o, "remark"));
  RemarkContext c = ctx;
  c.flag = flag;
  KEFU_ASSIGN_OR_RETURN(Remark r, ParseRemark(text, c));
  Order n = o;
  n.remark = FormatRemark(r);
  n.flag = flag;
  n.flag_note = std::move(flag_note);
  return n;
}

// ---------------------------------------------------------------------------------------------
// 审单

std::string_view ReviewBucketName(ReviewBucket b) {
  switch (b) {
    case ReviewBucket::kPending: return "pending";
    case ReviewBucket::kApproved: return "approved";
    case ReviewBucket::kIntercepted: return "intercepted";
    case ReviewBucket::kAbnormal: return "abnormal";
    case ReviewBucket::kBlacklisted: return "blacklisted";
    case ReviewBucket::kOutOfStock: return "out_of_stock";
    case ReviewBucket::kSkuError: return "sku_error";
  }
  return "pending";
}
std::string_view ReviewBucketZh(ReviewBucket b) {
  switch (b) {
    case ReviewBucket::kPending: return "待审核";
    case ReviewBucket::kApproved: return "已审核";
    case ReviewBucket::kIntercepted: return "拦截成功";
    case ReviewBucket::kAbnormal: return "异常";
    case ReviewBucket::kBlacklisted: return "黑名单拦截";
    case ReviewBucket::kOutOfStock: return "缺货";
    case ReviewBucket::kSkuError: return "SKU配置错误";
  }
  return "待审核";
}
std::optional<ReviewBucket> ParseReviewBucket(std::string_view t) {
  for (auto b : {ReviewBucket::kPending, ReviewBucket::kApproved, ReviewBucket::kIntercepted,
                 ReviewBucket::kAbnormal, ReviewBucket::kBlacklisted, ReviewBucket::kOutOfStock,
                 ReviewBucket::kSkuError})
    if (t == ReviewBucketName(b) || t == ReviewBucketZh(b)) return b;
  return std::nullopt;
}

ReviewEntry ReviewOrder(const Order& o, const Catalog& catalog, const Blacklist& blacklist,
                        std::map<std::string, int64_t, std::less<>>* reserved) {
  ReviewEntry e;
  e.shop_id = o.shop_id;
  e.order_id = o.id;
  e.paid_at = o.paid_at;
  if (blacklist.IsBuyerBlocked(o.shop_id, o.buyer))
    e.findings.push_back({"blacklist.buyer", ReviewBucket::kBlacklisted,
                          "买家在黑名单中：" + o.buyer});
  if (blacklist.IsAddressBlocked(o.shop_id, o.address))
    e.findings.push_back({"blacklist.address", ReviewBucket::kBlacklisted,
                          "收货地址/手机号在黑名单中"});
  // Quantity per SKU (an order may list one SKU twice).
  std::vector<std::pair<std::string_view, int64_t>> demand;
  std::vector<int64_t> stock;
  for (const auto& it : o.items) {
    auto found = std::find_if(demand.begin(), demand.end(),
                              [&](const auto& d) { return d.first == it.sku; });
    if (found != demand.end()) {
      found->second += it.qty;
      continue;
    }
    auto item = catalog.Find(o.shop_id, it.sku);
    if (!item) {
      e.findings.push_back({"sku.unknown", ReviewBucket::kSkuError,
                            "SKU 不在商品库：" + it.sku + "（请改为正确的 SKU）"});
      continue;
    }
    demand.emplace_back(it.sku, it.qty);
    stock.push_back(item->stock);
  }
  for (size_t i = 0; i < demand.size(); ++i) {
    int64_t taken = 0;
    if (reserved) {
      auto r = reserved->find(demand[i].first);
      if (r != reserved->end()) taken = r->second;
    }
    const int64_t available = stock[i] - taken;
    if (available < demand[i].second)
      e.findings.push_back({"stock.short", ReviewBucket::kOutOfStock,
                            "缺货：" + std::string(demand[i].first) + " 可用库存 " +
                                std::to_string(std::max<int64_t>(available, 0)) + "，需要 " +
                                std::to_string(demand[i].second)});
  }
  auto addr = ValidateAddress(o.address);
  if (!addr.ok())
    e.findings.push_back({"address.incomplete", ReviewBucket::kAbnormal, addr.message()});
  for (const auto& f : e.findings)
    if (Severity(f.bucket) > Severity(e.bucket)) e.bucket = f.bucket;
  if (reserved && (e.bucket == ReviewBucket::kPending || e.bucket == ReviewBucket::kAbnormal)) {
    for (const auto& [sku, qty] : demand) {
      auto r = reserved->find(sku);
      if (r == reserved->end()) reserved->emplace(std::string(sku), qty);
      else r->second += qty;
    }
  }
  return e;
}

std::vector<ReviewEntry> ReviewOrders(const std::vector<Order>& orders, const Catalog& catalog,
                                      const Blacklist& blacklist) {
  std::vector<size_t> idx;
  idx.reserve(orders.size());
  for (size_t i = 0; i < orders.size(); ++i)
    if (AwaitingShipment(orders[i])) idx.push_back(i);
  // Earlier payments get stock first; orders without paid_at go last.
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    const auto& pa = orders[a].paid_at;
    const auto& pb = orders[b].paid_at;
    if (pa && pb) return *pa < *pb;
    return pa.has_value() && !pb.has_value();
  });
  std::map<std::string, int64_t, std::less<>> reserved;
  std::vector<ReviewEntry> out;
  out.reserve(idx.size());
  for (size_t i : idx) out.push_back(ReviewOrder(orders[i], catalog, blacklist, &reserved));
  return out;
}

core::Result<Order> ReplaceSku(const Order& o, std::string_view old_sku, std::string_view new_sku,
                               const Catalog& catalog) {
  if (!AwaitingShipment(o))
    return core::FailedPrecondition("只有待发货订单可以改 SKU (order is not awaiting shipment)",
                                    "status");
  auto item = catalog.Find(o.shop_id, new_sku);
  if (!item)
    return core::InvalidArgument("新 SKU 不在商品库：" + std::string(new_sku), "new_sku");
  Order n = o;
  bool found = false;
  for (auto& it : n.items) {
    if (it.sku == old_sku) {
      it.sku = std::string(new_sku);
      if (!item->name.empty()) it.name = item->name;
      found = true;
    }
  }
  if (!found) return core::NotFound("订单中没有该 SKU：" + std::string(old_sku));
  return n;
}

core::Result<ReviewEntry> Approve(const ReviewEntry& e, const Order& o, const Catalog& catalog,
                                  const Blacklist& blacklist, const Actor& actor,
                                  core::Timestamp now) {
  if (e.bucket == ReviewBucket::kIntercepted)
    return core::FailedPrecondition("订单已拦截，不能审核通过 (order was intercepted)", "bucket");
  if (e.bucket == ReviewBucket::kApproved) return e;
  if (!AwaitingShipment(o))
    return core::FailedPrecondition("订单不是待发货状态，不能审核 (not awaiting shipment)", "status");
  ReviewEntry fresh = ReviewOrder(o, catalog, blacklist);
  if (!fresh.findings.empty()) {
    std::vector<std::string> msgs;
    for (const auto& f : fresh.findings) msgs.push_back(f.message);
    return core::FailedPrecondition("还有问题未处理，不能审核通过：" + Join(msgs, "；") +
                                        " (fix the findings first)",
                                    "review");
  }
  fresh.bucket = ReviewBucket::kApproved;
  fresh.decided_by = actor.user_id;
  fresh.decided_at = now;
  fresh.note = e.note;
  return fresh;
}

core::Result<ReviewEntry> Intercept(const ReviewEntry& e, const Order& o, const Actor& actor,
                                    core::Timestamp now, std::string note) {
  if (o.status == OrderStatus::kShipped || o.status == OrderStatus::kDelivered ||
      o.status == OrderStatus::kClosed)
    return core::FailedPrecondition("订单已发货或已关闭，无法拦截 (already shipped or closed)",
                                    "status");
  ReviewEntry n = e;
  n.bucket = ReviewBucket::kIntercepted;
  n.decided_by = actor.user_id;
  n.decided_at = now;
  n.note = std::move(note);
  return n;
}

CutoffStatus LeftBeforeCutoff(const std::vector<ReviewEntry>& entries, core::Timestamp now,
                              const core::TimeZone& tz, core::Duration cutoff_time_of_day) {
  CutoffStatus s;
  const core::LocalDate today = tz.DateOf(now);
  s.cutoff = tz.At(today, cutoff_time_of_day);
  if (now >= s.cutoff) s.cutoff = tz.At(core::LocalDate(sys_days(today) + days(1)), cutoff_time_of_day);
  s.remaining = s.cutoff - now;
  for (const auto& e : entries) {
    if (e.bucket == ReviewBucket::kApproved || e.bucket == ReviewBucket::kIntercepted) continue;
    if (e.paid_at && *e.paid_at >= s.cutoff) continue;
    s.left.push_back(e);
    ++s.counts[e.bucket];
  }
  std::stable_sort(s.left.begin(), s.left.end(), [](const ReviewEntry& a, const ReviewEntry& b) {
    return a.paid_at.value_or(core::Timestamp::max()) < b.paid_at.value_or(core::Timestamp::max());
  });
  return s;
}

}  // namespace kefu::orders
