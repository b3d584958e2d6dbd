#include "server/json.h"

#include <array>
#include <charconv>

namespace kefu::server {

JsonWriter& JsonWriter::BeginObject() {
  Separate();
  out_ += '{';
  ++depth_;
  has_items_ &= ~(uint64_t(1) << depth_);
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  out_ += '}';
  --depth_;
  return *this;
}

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ == 0) return;
  const uint64_t bit = uint64_t(1) << depth_;
  if (has_items_ & bit) out_ += ',';
  has_items_ |= bit;
}

JsonWriter& JsonWriter::Key(std::string_view k) {
  // Keys are the program's own literals: nothing to escape.
  Separate();
  out_ += '"';
  out_ += k;
  out_ += "\":";
  after_key_ = true;
  return *this;
}

namespace {
// Bytes a JSON string must escape: controls, the quote and the backslash.
constexpr auto kEscaped = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[size_t(c)] = true;
  t['"'] = t['\\'] = true;
  return t;
}();
}  // namespace

JsonWriter& JsonWriter::String(std::string_view v) {
  Separate();
  static constexpr char kHex[] = "0123456789abcdef";
  out_ += '"';
  const char* p = v.data();
  const char* const end = p + v.size();
  while (p < end) {
    const char* run = p;  // a stretch that needs no escaping, appended at once
    while (p < end && !kEscaped[static_cast<unsigned char>(*p)]) ++p;
    out_.append(run, size_t(p - run));
    if (p == end) break;
    const unsigned char c = static_cast<unsigned char>(*p++);
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      case '\b': out_ += "\\b"; break;
      case '\f': out_ += "\\f"; break;
      default:
        out_ += "\\u00";
        out_ += kHex[c >> 4];
        out_ += kHex[c & 15];
    }
  }
  out_ += '"';
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t v) {
  Separate();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, size_t(end - buf));
  return *this;
}

JsonWriter& JsonWriter::Null() {
  Separate();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  Separate();
  out_ += json;
  return *this;
}

JsonWriter& JsonWriter::Time(core::Timestamp t, const core::TimeZone& tz) {
  Separate();
  // A timestamp has nothing to escape.
  out_ += '"';
  out_ += tz.Format(t);
  out_ += '"';
  return *this;
}

void WriteMessage(JsonWriter& w, const conversation::Message& m, const core::TimeZone& tz) {
  w.BeginObject();
  w.Key("id").String(m.id);
  w.Key("conversation_id").String(m.conversation_id);
  w.Key("shop").String(m.shop_id);
  w.Key("buyer").String(m.buyer);
  w.Key("from").String(conversation::SenderName(m.from));
  w.Key("agent").StringOrNull(m.agent_id);
  w.Key("text").String(m.text);
  w.Key("ts").Time(m.ts, tz);
  w.Key("client_msg_id").StringOrNull(m.client_msg_id);
  w.Key("order_id").StringOrNull(m.order_id);
  w.Key("seq").Int(m.seq);
  w.EndObject();
}

void WriteConversation(JsonWriter& w, const conversation::Conversation& c, const core::TimeZone& tz,
                       const std::string& agent_name) {
  w.BeginObject();
  w.Key("id").String(c.id);
  w.Key("shop").String(c.shop_id);
  w.Key("buyer").String(c.buyer);
  w.Key("status").String(conversation::StatusName(c.status));
  w.Key("agent").StringOrNull(c.agent_id);
  w.Key("agent_name").StringOrNull(agent_name);
  w.Key("skill").String(conversation::SkillName(c.skill));
  w.Key("created_at").Time(c.created_at, tz);
  w.Key("updated_at").Time(c.updated_at, tz);
  w.Key("last_message");
  if (c.last_text.empty()) {
    w.Null();
  } else {
    w.BeginObject();
    w.Key("text").String(c.last_text);
    w.Key("from").String(conversation::SenderName(c.last_from));
    w.Key("ts").Time(c.last_ts, tz);
    w.EndObject();
  }
  w.Key("unread").Int(c.unread);
  if (c.waiting_since) {
    w.Key("waiting_since").Time(*c.waiting_since, tz);
    // The 3-minute line is the tightest platform threshold; the countdown targets it.
    w.Key("reply_deadline").Time(*c.waiting_since + std::chrono::minutes(3), tz);
  } else {
    w.Key("waiting_since").Null();
    w.Key("reply_deadline").Null();
  }
  w.Key("transfer_note").StringOrNull(c.transfer_note);
  w.EndObject();
}

json::object MessageJson(const conversation::Message& m, const core::TimeZone& tz) {
  std::string out;
  JsonWriter w(out);
  WriteMessage(w, m, tz);
  return json::parse(out).as_object();
}

json::object ConversationJson(const conversation::Conversation& c, const core::TimeZone& tz,
                              const std::string& agent_name) {
  std::string out;
  JsonWriter w(out);
  WriteConversation(w, c, tz, agent_name);
  return json::parse(out).as_object();
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
