// Helpers shared by the custom-words and templates APIs (server/compliance_api.cc,
// server/templates_api.cc). Private to server/.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "compliance/compliance.h"
#include "server/app.h"
#include "server/json.h"
#include "server/routes.h"
#include "store/shop_texts_repo.h"

namespace kefu::server::texts {

// Runs fn on the store's writer thread inside its group-committed transaction (fn's writes are
// undone when it fails) and waits for the commit. Returns fn's error, or kUnavailable when the
// batch did not commit. Only from the blocking pool, never from the writer thread.
core::Status Persist(App& app, std::function<core::Status(store::ShopTextsDb&)> fn);

// The shop a request is about: ?shop=, else the body's "shop" (when `body` is given), else the
// caller's first shop. kNotFound when the caller is not a member; kInvalidArgument (field "shop")
// when the body's shop is not a string.
core::Result<std::string> ShopOf(const Request& req, const json::object* body, const User& user);

// Leads and owners edit; agents read. kPermissionDenied for an agent.
core::Status RequireLead(const User& user, const char* what);

json::array ViolationsJson(const std::vector<compliance::Violation>& vs);
// 422 {"error":"compliance_blocked","message","field","violations"}.
Response Blocked(const std::string& field, const std::string& message, const std::vector<compliance::Violation>& vs);
// A user's display name, or the id when unknown.
std::string UserName(App& app, const std::string& id);

}  // namespace kefu::server::texts
