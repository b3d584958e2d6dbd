#include "server/json.h"

namespace kefu::server {

namespace {
json::value Nullable(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }
}  // namespace

json::object MessageJson(const conversation::Message& m, const core::TimeZone& tz) {
  json::object o;
  o["id"] = m.id;
  o["conversation_id"] = m.conversation_id;
  o["shop"] = m.shop_id;
  o["buyer"] = m.buyer;
  o["from"] = std::string(conversation::SenderName(m.from));
  o["agent"] = Nullable(m.agent_id);
  o["text"] = m.text;
  o["ts"] = tz.Format(m.ts);
  o["client_msg_id"] = Nullable(m.client_msg_id);
  o["order_id"] = Nullable(m.order_id);
  o["seq"] = m.seq;
  return o;
}

json::object ConversationJson(const conversation::Conversation& c, const core::TimeZone& tz,
                              const std::string& agent_name) {
  json::object o;
  o["id"] = c.id;
  o["shop"] = c.shop_id;
  o["buyer"] = c.buyer;
  o["status"] = std::string(conversation::StatusName(c.status));
  o["agent"] = Nullable(c.agent_id);
  o["agent_name"] = Nullable(agent_name);
  o["skill"] = std::string(conversation::SkillName(c.skill));
  o["created_at"] = tz.Format(c.created_at);
  o["updated_at"] = tz.Format(c.updated_at);
  if (c.last_text.empty()) {
    o["last_message"] = nullptr;
  } else {
    o["last_message"] = json::object{{"text", c.last_text},
                                     {"from", std::string(conversation::SenderName(c.last_from))},
                                     {"ts", tz.Format(c.last_ts)}};
  }
  o["unread"] = c.unread;
  if (c.waiting_since) {
    o["waiting_since"] = tz.Format(*c.waiting_since);
    // The 3-minute line is the tightest platform threshold; the countdown targets it.
    o["reply_deadline"] = tz.Format(*c.waiting_since + std::chrono::minutes(3));
  } else {
    o["waiting_since"] = nullptr;
    o["reply_deadline"] = nullptr;
  }
  o["transfer_note"] = Nullable(c.transfer_note);
  return o;
}

json::object ShopJson(const store::ShopRow& s) {
  return json::object{{"id", s.id}, {"name", s.name}, {"platform", s.platform}, {"tz", s.tz}};
}

json::object ErrorJson(const core::Status& st) {
  json::object o;
  o["error"] = std::string(st.error());
  o["message"] = st.message();
  if (!st.field().empty()) o["field"] = st.field();
  return o;
}

core::Result<std::string> StringField(const json::object& o, const char* name, bool required) {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null()) {
    if (required) return core::InvalidArgument(std::string(name) + " is required", name);
    return std::string();
  }
  if (!it->value().is_string())
    return core::InvalidArgument(std::string(name) + " must be a string", name);
  const auto& s = it->value().get_string();
  return std::string(s.data(), s.size());
}

core::Result<json::object> ParseObject(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return core::InvalidArgument("malformed JSON: " + ec.message(), "body");
  if (!v.is_object()) return core::InvalidArgument("the body must be a JSON object", "body");
  return std::move(v.get_object());
}

}  // namespace kefu::server
