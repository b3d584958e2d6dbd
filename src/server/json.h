// JSON encoders and request-field readers for the API. Private to server/.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>

#include "conversation/conversation.h"
#include "core/core.h"
#include "core/time_zone.h"
#include "store/store.h"

namespace kefu::server {

namespace json = boost::json;

// Appends JSON to a string with no intermediate tree: the encoder of the hot paths (every
// message event and ingest answer). Keys and values are written in call order; commas are
// placed for the caller. Strings are escaped as RFC 8259 requires (", \ and controls).
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  // `k` must need no escaping (keys are the program's literals).
  JsonWriter& Key(std::string_view k);
  JsonWriter& String(std::string_view v);
  // An empty string is written as null (optional ids and notes).
  JsonWriter& StringOrNull(std::string_view v) { return v.empty() ? Null() : String(v); }
  JsonWriter& Int(int64_t v);
  JsonWriter& Null();
  // A JSON text written elsewhere, inserted as one value.
  JsonWriter& Raw(std::string_view json);
  // An RFC 3339 timestamp in the zone's offset.
  JsonWriter& Time(core::Timestamp t, const core::TimeZone& tz);

 private:
  void Separate();
  std::string& out_;
  uint64_t has_items_ = 0;  // bit d: the object at depth d already holds an item
  int depth_ = 0;
  bool after_key_ = false;
};

// The message and conversation objects of the API, written once for events, answers and lists.
void WriteMessage(JsonWriter& w, const conversation::Message& m, const core::TimeZone& tz);
void WriteConversation(JsonWriter& w, const conversation::Conversation& c, const core::TimeZone& tz,
                       const std::string& agent_name);

json::object MessageJson(const conversation::Message& m, const core::TimeZone& tz);
json::object ConversationJson(const conversation::Conversation& c, const core::TimeZone& tz,
                              const std::string& agent_name);
json::object ShopJson(const store::ShopRow& s);
json::object ErrorJson(const core::Status& st);

// Field readers: kInvalidArgument naming the field when it is missing (required) or has the
// wrong type.
core::Result<std::string> StringField(const json::object& o, const char* name, bool required);
core::Result<json::object> ParseObject(std::string_view body);

}  // namespace kefu::server
