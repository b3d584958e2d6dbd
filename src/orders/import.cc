// CSV and JSONL order import. Each row becomes a complete Order or one or more ImportErrors,
// never both, so a caller can store the orders without half-written rows.
#include <array>
#include <charconv>
#include <set>

#include "orders/internal/json.h"
#include "orders/orders.h"

namespace kefu::orders {
namespace {

using internal::JsonValue;

// Canonical column names; CSV headers may use any alias (docs/orders.md lists them).
enum F {
  kOrderId, kShop, kPlatform, kBuyer, kSku, kName, kQty, kUnitPrice, kShippingFee, kGoodsTotal,
  kStatus, kProvince, kCity, kDistrict, kDetail, kRecipient, kPhone, kCreatedAt, kPaidAt,
  kPromisedShipTime, kShippedAt, kDeliveredAt, kTrackingNo, kCarrier, kCampaign, kGroupId,
  kGroupSize, kGroupJoined, kNumFields
};
struct FieldDef {
  std::string_view name;
  std::array<std::string_view, 3> aliases;
  bool required;
};
constexpr std::array<FieldDef, kNumFields> kFields = {{
    {"order_id", {"订单号", "订单编号", ""}, true},
    {"shop", {"店铺", "shop_id", ""}, false},
    {"platform", {"平台", "", ""}, false},
    {"buyer", {"买家", "买家昵称", "买家ID"}, true},
    {"sku", {"商品编码", "SKU编码", "规格编码"}, true},
    {"name", {"商品名称", "商品", ""}, false},
    {"qty", {"数量", "购买数量", ""}, true},
    {"unit_price", {"单价", "商品单价", ""}, true},
    {"shipping_fee", {"运费", "", ""}, false},
    {"goods_total", {"商品总价", "商品金额", ""}, false},
    {"status", {"状态", "订单状态", ""}, false},
    {"province", {"省", "省份", ""}, false},
    {"city", {"市", "城市", ""}, false},
    {"district", {"区", "区县", ""}, false},
    {"detail", {"详细地址", "街道地址", ""}, false},
    {"recipient", {"收件人", "收货人", ""}, false},
    {"phone", {"手机", "手机号", "联系电话"}, false},
    {"created_at", {"下单时间", "创建时间", ""}, false},
    {"paid_at", {"支付时间", "付款时间", ""}, false},
    {"promised_ship_time", {"承诺发货时间", "", ""}, false},
    {"shipped_at", {"发货时间", "", ""}, false},
    {"delivered_at", {"签收时间", "", ""}, false},
    {"tracking_no", {"快递单号", "运单号", ""}, false},
    {"carrier", {"快递公司", "物流公司", ""}, false},
    {"campaign", {"活动", "活动标签", ""}, false},
    {"group_id", {"拼团号", "团号", ""}, false},
    {"group_size", {"成团人数", "", ""}, false},
    {"group_joined", {"已参团人数", "参团人数", ""}, false},
}};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

int FieldIndex(std::string_view header) {
  for (int i = 0; i < kNumFields; ++i) {
    if (kFields[i].name == header) return i;
    for (auto a : kFields[i].aliases)
      if (!a.empty() && a == header) return i;
  }
  return -1;
}

// Collects the problems of one row.
struct RowErrors {
  int line;
  std::string order_id;
  std::vector<ImportError>* out;
  bool any = false;
  void Add(std::string field, std::string message) {
    any = true;
    out->push_back(ImportError{line, order_id, std::move(field), std::move(message)});
  }
};

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<core::Money> ParseMoneyField(std::string_view field, std::string_view zh,
                                           std::string_view text, bool allow_negative,
                                           RowErrors& errs) {
  auto m = core::Money::Parse(text);
  if (!m.ok()) {
    errs.Add(std::string(field), std::string(zh) + "金额格式错误 \"" + std::string(text.substr(0, 32)) +
                                     "\"（应为如 12.30 的元金额）bad money amount");
    return std::nullopt;
  }
  if (!allow_negative && m->fen() < 0) {
    errs.Add(std::string(field), std::string(zh) + "不能为负数 must not be negative: " +
                                     std::string(text));
    return std::nullopt;
  }
  return *m;
}

std::optional<int64_t> ParseQty(std::string_view text, RowErrors& errs) {
  auto q = ParseInt(text);
  if (!q) {
    errs.Add("qty", "数量必须为整数 qty is not an integer: \"" + std::string(text.substr(0, 32)) + "\"");
    return std::nullopt;
  }
  if (*q < 0) {
    errs.Add("qty", "数量不能为负数 qty must not be negative: " + std::string(text));
    return std::nullopt;
  }
  if (*q == 0 || *q > 1000000) {
    errs.Add("qty", "数量必须在 1 到 1000000 之间 qty out of range: " + std::string(text));
    return std::nullopt;
  }
  return q;
}

std::optional<core::Timestamp> ParseTime(std::string_view field, std::string_view text,
                                         int offset_minutes, RowErrors& errs) {
  std::string t(text);
  // "2026-03-05 10:00[:00]" without an offset: the shop's local time.
  if (t.size() >= 16 && t[10] == ' ' && t.find('+', 10) == std::string::npos &&
      t.find('Z') == std::string::npos) {
    t[10] = 'T';
    if (t.size() == 16) t += ":00";
    char buf[24];
    int off = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
    t += buf;
  }
  auto r = core::ParseRfc3339(t);
  if (!r.ok()) {
    errs.Add(std::string(field), "时间格式错误 bad time \"" + std::string(text.substr(0, 40)) +
                                     "\"（应为 2026-03-05 10:00:00 或 RFC 3339）");
    return std::nullopt;
  }
  return *r;
}

std::vector<std::string_view> SplitBar(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find('|', start);
    out.push_back(Trim(s.substr(start, p == std::string_view::npos ? s.npos : p - start)));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

// The scalar fields of a row, already extracted as text (absent -> empty).
using Cells = std::array<std::string, kNumFields>;

// Builds an order from cells plus items; reports every problem of the row.
std::optional<Order> BuildOrder(const Cells& c, std::vector<OrderItem> items, bool items_ok,
                                const ImportOptions& opt, RowErrors& errs) {
  Order o;
  o.id = c[kOrderId];
  if (o.id.empty()) errs.Add("order_id", "缺少订单号 order_id is empty");
  o.buyer = c[kBuyer];
  if (o.buyer.empty()) errs.Add("buyer", "缺少买家 buyer is empty");
  o.shop_id = c[kShop].empty() ? opt.shop_id : c[kShop];
  o.platform = opt.platform;
  if (!c[kPlatform].empty()) {
    auto p = core::ParsePlatform(c[kPlatform]);
    if (!p) errs.Add("platform", "未知平台 unknown platform: " + c[kPlatform]);
    else o.platform = *p;
  }
  o.items = std::move(items);
  if (items_ok && o.items.empty()) errs.Add("sku", "订单没有商品 order has no items");
  if (!c[kShippingFee].empty()) {
    if (auto m = ParseMoneyField("shipping_fee", "运费", c[kShippingFee], false, errs))
      o.shipping_fee = *m;
  }
  o.goods_total = ItemsTotal(o);
  if (!c[kGoodsTotal].empty()) {
    if (auto m = ParseMoneyField("goods_total", "商品总价", c[kGoodsTotal], false, errs))
      o.goods_total = *m;
  }
  o.original_goods_total = o.goods_total;
  if (!c[kStatus].empty()) {
    auto s = ParseOrderStatus(c[kStatus]);
    if (!s) errs.Add("status", "未知订单状态 unknown status: " + c[kStatus]);
    else o.status = *s;
  }
  o.address = Address{c[kProvince], c[kCity], c[kDistrict], c[kDetail], c[kRecipient],
                      c[kPhone].empty() ? std::string() : NormalizeMobile(c[kPhone])};
  const std::pair<F, std::optional<core::Timestamp>*> times[] = {
      {kCreatedAt, &o.created_at}, {kPaidAt, &o.paid_at},
      {kPromisedShipTime, &o.promised_ship_time}, {kShippedAt, &o.shipped_at},
      {kDeliveredAt, &o.delivered_at}};
  for (const auto& [f, dst] : times) {
    if (c[f].empty()) continue;
    if (auto t = ParseTime(kFields[f].name, c[f], opt.local_offset_minutes, errs)) *dst = *t;
  }
  o.tracking_no = c[kTrackingNo];
  o.carrier = c[kCarrier];
  if (auto camp = ParseCampaign(c[kCampaign])) {
    o.campaign = *camp;
  } else {
    errs.Add("campaign", "未知活动标签 unknown campaign: " + c[kCampaign] + "（大促/限时抢购）");
  }
  if (!c[kGroupId].empty() || o.status == OrderStatus::kGroupPending) {
    GroupInfo g;
    g.group_id = c[kGroupId];
    if (!c[kGroupSize].empty()) {
      auto n = ParseInt(c[kGroupSize]);
      if (!n || *n < 2 || *n > 1000) errs.Add("group_size", "成团人数无效 bad group_size: " + c[kGroupSize]);
      else g.required = static_cast<int>(*n);
    }
    if (!c[kGroupJoined].empty()) {
      auto n = ParseInt(c[kGroupJoined]);
      if (!n || *n < 1 || *n > 1000) errs.Add("group_joined", "参团人数无效 bad group_joined: " + c[kGroupJoined]);
      else g.joined = static_cast<int>(*n);
    }
    o.group = g;
  }
  if (errs.any || !items_ok) return std::nullopt;
  return o;
}

std::optional<OrderItem> BuildItem(std::string_view sku, std::string_view name,
                                   std::string_view qty, std::string_view price, RowErrors& errs) {
  OrderItem it;
  bool ok = true;
  it.sku = std::string(sku);
  it.name = std::string(name);
  if (it.sku.empty()) {
    errs.Add("sku", "缺少商品编码 sku is empty");
    ok = false;
  }
  if (auto q = ParseQty(qty, errs)) it.qty = *q;
  else ok = false;
  if (auto m = ParseMoneyField("unit_price", "单价", price, false, errs)) it.unit_price = *m;
  else ok = false;
  if (!ok) return std::nullopt;
  return it;
}

// Accepts the order unless its id was already accepted earlier in the file.
void Accept(std::optional<Order> o, int line, std::map<std::string, int>& seen,
            ImportResult& result) {
  if (!o) return;
  std::string key = o->shop_id + '\x1f' + o->id;
  auto [it, inserted] = seen.emplace(key, line);
  if (!inserted) {
    result.errors.push_back(ImportError{
        line, o->id, "order_id",
        "订单号重复（首次出现在第" + std::to_string(it->second) +
            "行），本行已跳过 duplicate order id, first seen on line " + std::to_string(it->second)});
    return;
  }
  result.orders.push_back(std::move(*o));
}

int LineOfOffset(std::string_view record, size_t offset, int start_line) {
  int line = start_line;
  for (size_t i = 0; i < offset && i < record.size(); ++i)
    if (record[i] == '\n') ++line;
  return line;
}

// One CSV record: its cells, first physical line and raw bytes.
struct CsvRecord {
  std::vector<std::string> cells;
  int line = 0;
  std::string_view raw;
  bool unterminated = false;
};

class CsvReader {
 public:
  explicit CsvReader(std::string_view s) : s_(s) {}
  bool Next(CsvRecord& rec) {
    if (i_ >= s_.size()) return false;
    rec = CsvRecord();
    rec.line = line_;
    size_t start = i_;
    std::string cell;
    bool quoted_cell = false;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '"' && cell.empty() && !quoted_cell) {
        quoted_cell = true;
        ++i_;
        bool closed = false;
        while (i_ < s_.size()) {
          char q = s_[i_++];
          if (q == '\n') ++line_;
          if (q == '"') {
            if (i_ < s_.size() && s_[i_] == '"') { cell += '"'; ++i_; continue; }
            closed = true;
            break;
          }
          cell += q;
        }
        if (!closed) rec.unterminated = true;
        continue;
      }
      if (c == ',') {
        rec.cells.push_back(quoted_cell ? cell : std::string(Trim(cell)));
        cell.clear();
        quoted_cell = false;
        ++i_;
        continue;
      }
      if (c == '\n') {
        ++i_;
        ++line_;
        break;
      }
      cell += c;
      ++i_;
    }
    rec.cells.push_back(quoted_cell ? cell : std::string(Trim(cell)));
    rec.raw = s_.substr(start, i_ - start);
    return true;
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
  int line_ = 1;
};

bool BlankRecord(const CsvRecord& r) {
  return r.cells.size() == 1 && r.cells[0].empty();
}

std::string_view StripBom(std::string_view t) {
  if (t.substr(0, 3) == "\xEF\xBB\xBF") t.remove_prefix(3);
  return t;
}

}  // namespace

std::string ImportError::ToString() const {
  std::string s = "第" + std::to_string(line) + "行 line " + std::to_string(line);
  if (!order_id.empty()) s += " (" + order_id + ")";
  if (!field.empty()) s += " [" + field + "]";
  return s + " " + message;
}

ImportResult ParseOrdersCsv(std::string_view text, const ImportOptions& opt) {
  ImportResult result;
  text = StripBom(text);
  CsvReader reader(text);
  CsvRecord rec;
  std::array<int, kNumFields> col;
  col.fill(-1);
  size_t header_cells = 0;
  // Header: the first non-blank record.
  bool have_header = false;
  while (reader.Next(rec)) {
    if (BlankRecord(rec)) continue;
    size_t bad;
    if (!internal::ValidUtf8(rec.raw, &bad)) {
      result.errors.push_back({LineOfOffset(rec.raw, bad, rec.line), "", "",
                               "表头不是有效的 UTF-8 编码（请另存为 UTF-8）header is not valid UTF-8"});
      return result;
    }
    header_cells = rec.cells.size();
    for (size_t i = 0; i < rec.cells.size(); ++i) {
      int f = FieldIndex(rec.cells[i]);
      if (f >= 0 && col[f] < 0) col[f] = static_cast<int>(i);
    }
    std::string missing;
    for (int f = 0; f < kNumFields; ++f)
      if (kFields[f].required && col[f] < 0)
        missing += (missing.empty() ? "" : ", ") + std::string(kFields[f].name);
    if (!missing.empty()) {
      result.errors.push_back({rec.line, "", "", "表头缺少必需列 missing required columns: " + missing});
      return result;
    }
    have_header = true;
    break;
  }
  if (!have_header) {
    result.errors.push_back({1, "", "", "文件为空或没有表头 empty file / no header row"});
    return result;
  }
  std::map<std::string, int> seen;
  while (reader.Next(rec)) {
    if (BlankRecord(rec)) continue;
    RowErrors errs{rec.line, "", &result.errors};
    size_t bad;
    if (!internal::ValidUtf8(rec.raw, &bad)) {
      errs.line = LineOfOffset(rec.raw, bad, rec.line);
      errs.Add("", "不是有效的 UTF-8 编码（可能是 GBK 文件，请另存为 UTF-8）invalid UTF-8, byte " +
                       std::to_string(bad + 1) + " of the row");
      continue;
    }
    if (rec.unterminated) {
      errs.Add("", "引号未闭合 unterminated quoted field");
      continue;
    }
    if (rec.cells.size() != header_cells) {
      if (col[kOrderId] >= 0 && static_cast<size_t>(col[kOrderId]) < rec.cells.size())
        errs.order_id = rec.cells[col[kOrderId]];
      std::string missing;
      for (int f = 0; f < kNumFields; ++f)
        if (col[f] >= static_cast<int>(rec.cells.size()))
          missing += (missing.empty() ? "" : ", ") + std::string(kFields[f].name);
      errs.Add(missing.empty() ? "" : missing.substr(0, missing.find(',')),
               "列数不符：本行 " + std::to_string(rec.cells.size()) + " 列，表头 " +
                   std::to_string(header_cells) + " 列 column count " +
                   std::to_string(rec.cells.size()) + " != " + std::to_string(header_cells) +
                   (missing.empty() ? std::string() : "; missing: " + missing));
      continue;
    }
    Cells c;
    for (int f = 0; f < kNumFields; ++f)
      if (col[f] >= 0) c[f] = rec.cells[col[f]];
    errs.order_id = c[kOrderId];
    // Several items: sku/name/qty/unit_price cells hold "|"-separated lists of equal length.
    auto skus = SplitBar(c[kSku]);
    auto qtys = SplitBar(c[kQty]);
    auto prices = SplitBar(c[kUnitPrice]);
    auto names = c[kName].empty() ? std::vector<std::string_view>() : SplitBar(c[kName]);
    std::vector<OrderItem> items;
    bool items_ok = true;
    if (qtys.size() != skus.size() || prices.size() != skus.size() ||
        (!names.empty() && names.size() != skus.size())) {
      errs.Add("sku", "多商品时 sku/qty/unit_price/name 的 | 分隔项数必须相同 item lists differ in length");
      items_ok = false;
    } else {
      for (size_t i = 0; i < skus.size(); ++i) {
        auto it = BuildItem(skus[i], names.empty() ? std::string_view() : names[i], qtys[i],
                            prices[i], errs);
        if (it) items.push_back(std::move(*it));
        else items_ok = false;
      }
    }
    for (auto& v : c) v = std::string(Trim(v));
    Accept(BuildOrder(c, std::move(items), items_ok, opt, errs), rec.line, seen, result);
  }
  return result;
}

namespace {

// A JSON scalar as text: strings as they are, numbers by their source text.
std::optional<std::string> ScalarText(const JsonValue& v) {
  switch (v.type) {
    case JsonValue::Type::kString:
    case JsonValue::Type::kNumber: return v.text;
    case JsonValue::Type::kNull: return std::string();
    default: return std::nullopt;
  }
}

}  // namespace

ImportResult ParseOrdersJsonl(std::string_view text, const ImportOptions& opt) {
  ImportResult result;
  text = StripBom(text);
  std::map<std::string, int> seen;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    line = Trim(line);
    if (line.empty()) continue;
    RowErrors errs{line_no, "", &result.errors};
    size_t bad;
    if (!internal::ValidUtf8(line, &bad)) {
      errs.Add("", "不是有效的 UTF-8 编码 invalid UTF-8 at byte " + std::to_string(bad + 1));
      continue;
    }
    auto doc = internal::ParseJson(line);
    if (!doc.ok()) {
      errs.Add("", doc.status().message());
      continue;
    }
    if (doc->type != JsonValue::Type::kObject) {
      errs.Add("", "每行应为一个 JSON 对象 each line must be a JSON object");
      continue;
    }
    Cells c;
    const JsonValue* addr = doc->Find("address");
    const JsonValue* group = doc->Find("group");
    for (int f = 0; f < kNumFields; ++f) {
      if (f == kSku || f == kName || f == kQty || f == kUnitPrice) continue;
      const JsonValue* v = doc->Find(kFields[f].name);
      if (!v && addr && f >= kProvince && f <= kPhone) v = addr->Find(kFields[f].name);
      if (!v && group && f == kGroupId) v = group->Find("id");
      if (!v && group && f == kGroupSize) v = group->Find("size");
      if (!v && group && f == kGroupJoined) v = group->Find("joined");
      if (!v) continue;
      auto s = ScalarText(*v);
      if (!s) errs.Add(std::string(kFields[f].name), "应为字符串或数字 must be a string or number");
      else c[f] = *s;
    }
    errs.order_id = c[kOrderId];
    std::vector<OrderItem> items;
    bool items_ok = true;
    const JsonValue* arr = doc->Find("items");
    if (!arr || arr->type != JsonValue::Type::kArray) {
      errs.Add("items", "缺少 items 数组 missing items array");
      items_ok = false;
    } else {
      for (const auto& iv : arr->array) {
        auto get = [&](std::string_view k) -> std::string {
          const JsonValue* x = iv.Find(k);
          if (!x) return {};
          return ScalarText(*x).value_or(std::string());
        };
        if (iv.type != JsonValue::Type::kObject) {
          errs.Add("items", "items 的每项应为对象 each item must be an object");
          items_ok = false;
          continue;
        }
        auto it = BuildItem(get("sku"), get("name"), get("qty"), get("unit_price"), errs);
        if (it) items.push_back(std::move(*it));
        else items_ok = false;
      }
    }
    for (auto& v : c) v = std::string(Trim(v));
    if (errs.any) {
      items_ok = false;
    }
    auto o = BuildOrder(c, std::move(items), items_ok, opt, errs);
    Accept(std::move(o), line_no, seen, result);
  }
  return result;
}

void KeepShop(ImportResult& result, std::string_view shop_id) {
  std::vector<Order> kept;
  kept.reserve(result.orders.size());
  for (auto& o : result.orders) {
    if (o.shop_id == shop_id) {
      kept.push_back(std::move(o));
      continue;
    }
    result.errors.push_back(ImportError{
        0, o.id, "shop", "订单属于其他店铺，未导入 the row names another shop: " + o.shop_id});
  }
  result.orders = std::move(kept);
}

}  // namespace kefu::orders
