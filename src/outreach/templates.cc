// Reply templates: validation, the variable syntax and rendering. Parsing works on code points so
// offsets match what the compliance guard and the web editor count.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>

#include "outreach/outreach.h"
#include "text/text.h"

namespace kefu::outreach {
namespace {

constexpr std::array<Scene, 7> kScenes = {Scene::kGeneral,        Scene::kPresale,   Scene::kPaymentReminder,
                                          Scene::kShippingNotice, Scene::kLogistics, Scene::kReviewInvite,
                                          Scene::kAftersales};

constexpr Variable kVariables[] = {
    {"买家昵称", "buyer_name", "买家在平台上的昵称", "小红"},
    {"订单号", "order_id", "会话关联的订单号", "240611-5823901"},
    {"商品名称", "goods", "订单里的商品（多件时加“等N件商品”）", "纯棉短袖T恤"},
    {"订单金额", "order_amount", "实付金额，含运费", "59.90元"},
    {"付款时间", "paid_time", "买家付款的时间", "6月11日 20:15"},
    {"发货时间", "ship_time", "已发货时为发货时间，未发货时为承诺发货时间", "6月12日 14:30"},
    {"快递公司", "carrier", "发货用的快递公司", "中通快递"},
    {"快递单号", "tracking_no", "快递运单号", "78312345678901"},
    {"店铺名称", "shop_name", "本店名称", "小蜜蜂服饰旗舰店"},
    {"客服昵称", "agent_name", "正在接待的客服的昵称", "小美"},
};

std::string KnownNames() {
  std::string out;
  for (const auto& v : kVariables) {
    if (!out.empty()) out += " ";
    out += "{" + std::string(v.name) + "}";
  }
  return out;
}

// "6月12日 14:30" at the given UTC offset.
std::string LocalTime(core::Timestamp t, int offset_minutes) {
  using namespace std::chrono;
  const auto local = t + minutes(offset_minutes);
  const auto day = floor<days>(local);
  const year_month_day ymd(day);
  const hh_mm_ss hms(floor<minutes>(local - day));
  char buf[48];
  std::snprintf(buf, sizeof buf, "%u月%u日 %02d:%02d", unsigned(ymd.month()), unsigned(ymd.day()),
                int(hms.hours().count()), int(hms.minutes().count()));
  return buf;
}

bool AsciiContainsNoCase(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                        [&](char a, char b) { return lower(a) == lower(b); });
  return it != hay.end();
}

}  // namespace

std::string_view SceneName(Scene scene) {
  switch (scene) {
    case Scene::kGeneral: return "general";
    case Scene::kPresale: return "presale";
    case Scene::kPaymentReminder: return "payment_reminder";
    case Scene::kShippingNotice: return "shipping_notice";
    case Scene::kLogistics: return "logistics";
    case Scene::kReviewInvite: return "review_invite";
    case Scene::kAftersales: return "aftersales";
  }
  return "general";
}

std::optional<Scene> ParseScene(std::string_view name) {
  for (Scene s : kScenes)
    if (SceneName(s) == name) return s;
  return std::nullopt;
}

std::span<const Scene> AllScenes() { return kScenes; }

std::span<const Variable> Variables() { return kVariables; }

const Variable* FindVariable(std::string_view name_or_key) {
  for (const auto& v : kVariables)
    if (v.name == name_or_key || v.key == name_or_key) return &v;
  return nullptr;
}

core::Result<std::vector<Piece>> ParseTemplateText(std::string_view text) {
  auto decoded = text::DecodeUtf8(text);
  if (!decoded.ok()) return core::InvalidArgument("text: " + decoded.status().message(), "text");
  const std::u32string& t = *decoded;
  std::vector<Piece> out;
  Piece lit;
  auto flush = [&](size_t at) {
    if (!lit.text.empty()) {
      lit.end = at;
      out.push_back(std::move(lit));
    }
    lit = Piece{};
    lit.start = at;
  };
  for (size_t i = 0; i < t.size(); ++i) {
    const char32_t c = t[i];
    if (c == U'{' && i + 1 < t.size() && t[i + 1] == U'{') {
      lit.text += '{';
      ++i;
    } else if (c == U'}' && i + 1 < t.size() && t[i + 1] == U'}') {
      lit.text += '}';
      ++i;
    } else if (c == U'}') {
      return core::InvalidArgument("text: a lone \"}\" at character " + std::to_string(i) +
                                       " (write \"}}\" for a brace)",
                                   "text");
    } else if (c == U'{') {
      const size_t close = t.find_first_of(U"{}", i + 1);
      if (close == std::u32string::npos || t[close] != U'}')
        return core::InvalidArgument("text: the \"{\" at character " + std::to_string(i) +
                                         " is not closed (write \"{{\" for a brace)",
                                     "text");
      const std::string name = text::EncodeUtf8(std::u32string_view(t).substr(i + 1, close - i - 1));
      if (name.empty())
        return core::InvalidArgument("text: an empty \"{}\" at character " + std::to_string(i), "text");
      const Variable* v = FindVariable(name);
      if (v == nullptr || v->name != name)
        return core::InvalidArgument("text: unknown variable {" + name + "} at character " + std::to_string(i) +
                                         "; known: " + KnownNames(),
                                     "text");
      flush(i);
      out.push_back(Piece{true, name, i, close + 1});
      lit.start = close + 1;
      i = close;
    } else {
      text::AppendUtf8(c, &lit.text);
    }
  }
  flush(t.size());
  return out;
}

Rendered Render(const std::vector<Piece>& pieces, const VariableValues& values) {
  Rendered r;
  for (const auto& p : pieces) {
    if (!p.variable) {
      r.text += p.text;
      continue;
    }
    const Variable* v = FindVariable(p.text);
    auto it = v ? values.find(v->key) : values.end();
    if (it != values.end() && !it->second.empty()) {
      r.text += it->second;
    } else {
      r.text += "{" + p.text + "}";
      if (std::find(r.missing.begin(), r.missing.end(), p.text) == r.missing.end()) r.missing.push_back(p.text);
    }
  }
  return r;
}

core::Result<Rendered> RenderText(std::string_view text, const VariableValues& values) {
  KEFU_ASSIGN_OR_RETURN(auto pieces, ParseTemplateText(text));
  return Render(pieces, values);
}

VariableValues ExampleValues() {
  VariableValues out;
  for (const auto& v : kVariables) out.emplace(std::string(v.key), std::string(v.example));
  return out;
}

VariableValues ValuesFor(const RenderContext& ctx) {
  VariableValues out;
  auto put = [&](std::string_view key, std::string value) {
    if (!value.empty()) out.emplace(std::string(key), std::move(value));
  };
  put("buyer_name", ctx.buyer_name);
  put("shop_name", ctx.shop_name);
  put("agent_name", ctx.agent_name);
  if (ctx.order) {
    const OrderFacts& o = *ctx.order;
    put("order_id", o.id);
    if (!o.goods.empty()) {
      std::string goods = o.goods.front();
      if (o.goods.size() > 1) goods += "等" + std::to_string(o.goods.size()) + "件商品";
      put("goods", std::move(goods));
    }
    put("order_amount", o.total.ToString() + "元");
    if (o.paid_at) put("paid_time", LocalTime(*o.paid_at, ctx.utc_offset_minutes));
    if (o.shipped_at) put("ship_time", LocalTime(*o.shipped_at, ctx.utc_offset_minutes));
    else if (o.promised_ship_time) put("ship_time", LocalTime(*o.promised_ship_time, ctx.utc_offset_minutes));
    put("carrier", o.carrier);
    put("tracking_no", o.tracking_no);
  }
  return out;
}

core::Status ValidateTemplate(ReplyTemplate& t) {
  t.title = text::Trim(t.title);
  t.text = text::Trim(t.text);
  if (t.title.empty()) return core::InvalidArgument("title must not be empty", "title");
  auto title = text::DecodeUtf8(t.title);
  if (!title.ok()) return core::InvalidArgument("title: " + title.status().message(), "title");
  if (title->size() > kMaxTitleChars)
    return core::InvalidArgument("title is longer than " + std::to_string(kMaxTitleChars) + " characters", "title");
  if (t.title.find_first_of("\r\n") != std::string::npos)
    return core::InvalidArgument("title must be one line", "title");
  if (t.text.empty()) return core::InvalidArgument("text must not be empty", "text");
  auto body = text::DecodeUtf8(t.text);
  if (!body.ok()) return core::InvalidArgument("text: " + body.status().message(), "text");
  if (body->size() > kMaxTextChars)
    return core::InvalidArgument("text is longer than " + std::to_string(kMaxTextChars) + " characters", "text");
  return ParseTemplateText(t.text).status();
}

bool MatchesQuery(const ReplyTemplate& t, std::string_view query) {
  return AsciiContainsNoCase(t.title, query) || AsciiContainsNoCase(t.text, query);
}

}  // namespace kefu::outreach
