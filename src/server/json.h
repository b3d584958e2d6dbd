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
