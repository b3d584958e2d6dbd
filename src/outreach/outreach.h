// outreach: the shop's library of reply templates (话术) with variables such as {买家昵称} and
// {订单号}: scenes, validation, parsing and rendering with the values of a conversation and order.
// It does not store, send or compliance-check texts; the server checks every saved template and
// every rendered reply with the compliance guard.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"

namespace kefu::outreach {

// ---------------------------------------------------------------------------------------------
// Templates

// What a template is for; the workbench groups quick replies by it.
enum class Scene {
  kGeneral,          // 通用
  kPresale,          // 售前
  kPaymentReminder,  // 催付
  kShippingNotice,   // 发货通知
  kLogistics,        // 物流
  kReviewInvite,     // 好评邀请
  kAftersales,       // 售后
};
// "general" | "presale" | "payment_reminder" | "shipping_notice" | "logistics" |
// "review_invite" | "aftersales".
std::string_view SceneName(Scene scene);
// Parses the names above; nullopt otherwise.
std::optional<Scene> ParseScene(std::string_view name);
// Every scene, in the order above.
std::span<const Scene> AllScenes();

// One reply template of a shop, shared by its team.
struct ReplyTemplate {
  std::string id;
  std::string shop_id;
  Scene scene = Scene::kGeneral;
  std::string title;  // what the agent picks it by, e.g. "发货通知（带单号）"
  std::string text;   // the reply, with variables: "亲，您的订单{订单号}已发出"
  std::string updated_by;  // user id
  core::Timestamp created_at;
  core::Timestamp updated_at;
};

inline constexpr size_t kMaxTitleChars = 40;
inline constexpr size_t kMaxTextChars = 500;
inline constexpr size_t kMaxTemplatesPerShop = 1000;

// Trims title and text, then checks them: kInvalidArgument naming the field ("title": empty,
// longer than kMaxTitleChars, a line break; "text": empty, longer than kMaxTextChars, invalid
// UTF-8 or a variable ParseTemplateText rejects).
core::Status ValidateTemplate(ReplyTemplate& t);

// True when `query` (already trimmed; empty matches all) occurs in the title or the text,
// ignoring ASCII case.
bool MatchesQuery(const ReplyTemplate& t, std::string_view query);

// ---------------------------------------------------------------------------------------------
// Variables
//
// Syntax: a variable is its Chinese name in ASCII braces, {买家昵称}. "{{" and "}}" stand for
// literal braces. Any other "{" or "}" is an error, so a typo never reaches a buyer as text.

// A variable a template may use.
struct Variable {
  std::string_view name;         // as written between the braces: "买家昵称"
  std::string_view key;          // its English key in APIs: "buyer_name"
  std::string_view description;  // zh-CN, for the editor
  std::string_view example;      // a sample value, for previews
};
// Every variable, in the order the editor offers them.
std::span<const Variable> Variables();
// The variable with that name (or key); null when there is none.
const Variable* FindVariable(std::string_view name_or_key);

// A template text cut into literal runs and variables. Offsets are Unicode code points into the
// template text (end exclusive), for highlighting in an editor.
struct Piece {
  bool variable = false;
  std::string text;  // the literal text (braces unescaped), or the variable's name
  size_t start = 0;
  size_t end = 0;
};

// kInvalidArgument (field "text") naming the problem and its code-point offset: invalid UTF-8,
// an unclosed "{", a lone "}", an empty "{}", or an unknown variable (the message lists the
// known ones).
core::Result<std::vector<Piece>> ParseTemplateText(std::string_view text);

// Values by variable key ("order_id" -> "240611-5823901"). An absent or empty value is unknown.
using VariableValues = std::map<std::string, std::string, std::less<>>;

struct Rendered {
  std::string text;                  // unknown variables stay as written, e.g. "{订单号}"
  std::vector<std::string> missing;  // names of the variables left unfilled, first use order
};

Rendered Render(const std::vector<Piece>& pieces, const VariableValues& values);
// ParseTemplateText then Render.
core::Result<Rendered> RenderText(std::string_view text, const VariableValues& values);
// Every variable's example value (for a preview of how a template reads).
VariableValues ExampleValues();

// What the values are computed from: the open conversation, its order (if any) and the shop.
struct OrderFacts {
  std::string id;
  std::vector<std::string> goods;  // item names, in order
  core::Money total;               // what the buyer pays (goods + shipping)
  std::optional<core::Timestamp> paid_at;
  std::optional<core::Timestamp> shipped_at;
  std::optional<core::Timestamp> promised_ship_time;
  std::string carrier;
  std::string tracking_no;
};
struct RenderContext {
  std::string buyer_name;
  std::string shop_name;
  std::string agent_name;
  std::optional<OrderFacts> order;
  int utc_offset_minutes = 480;  // the shop's zone at the time of rendering (times are local)
};

// The values a context gives: {发货时间} is when the order shipped, or else by when it is
// promised to ship; times read "6月12日 14:30" in the shop's zone; {订单金额} reads "59.90元";
// {商品名称} is the first item's name, with "等N件商品" when there are more.
VariableValues ValuesFor(const RenderContext& ctx);

}  // namespace kefu::outreach
