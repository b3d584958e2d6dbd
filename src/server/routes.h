// The API's routes over plain request/response values: no sockets here. Private to server/.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/fwd.hpp>

#include "server/app.h"

namespace kefu::server {

struct Request {
  std::string method;
  std::string path;  // without the query
  std::map<std::string, std::string> query;
  std::string body;
  std::string authorization;
  std::string ingest_key;
  std::string accept_encoding;
  std::string request_id;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// A JSON body with its status: every route answers JSON through these.
Response JsonResponse(int status, const boost::json::value& v);
Response JsonResponse(int status, const boost::json::object& o);
// 204, no body.
Response NoContent();

// Called exactly once, from any thread.
using Respond = std::function<void(Response)>;
// Runs blocking work (store reads, password hashing) off the event loop.
using Offload = std::function<void(std::function<void()>)>;

class Router {
 public:
  Router(App& app, Offload offload);
  void Handle(Request req, Respond respond);

  // HTTP status for a Status code (the one mapping table).
  static int HttpStatus(const core::Status& st);
  static Response Error(const core::Status& st);

 private:
  // POST /api/v1/ingest/messages for a shop whose ingest key checked out.
  void IngestMessage(const store::ShopRow& shop, const Request& req, const Respond& respond);
  App& app_;
  Offload offload_;
  std::string web_dir_;
  std::map<std::string, std::string> demo_keys_;  // shop id -> ingest key (demo only)
};

// Splits "a=1&b=%E4" into decoded pairs.
std::map<std::string, std::string> ParseQuery(std::string_view q);

}  // namespace kefu::server
