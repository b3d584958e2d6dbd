// Networking: the listener, HTTP sessions and WebSocket sessions (Boost.Beast + coroutines).
// Expected network errors are values (as_tuple); nothing here blocks an I/O thread: store
// reads and password checks go to the blocking pool, writes to the store's writer thread.
#include <sys/resource.h>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast.hpp>
#include <spdlog/spdlog.h>

#include <deque>
#include <filesystem>
#include <thread>

#include "server/app.h"
#include "server/json.h"
#include "server/routes.h"
#include "server/server.h"

namespace kefu::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

struct Context {
  App& app;
  Router& router;
  asio::thread_pool& pool;
};

// Runs blocking `fn` on the pool and resumes on the caller's executor.
template <typename Fn>
awaitable<std::invoke_result_t<Fn>> OffLoop(asio::thread_pool& pool, Fn fn) {
  using R = std::invoke_result_t<Fn>;
  // co_spawn needs a default-constructible result; Result<T> is not, so carry it in optional.
  auto out = co_await asio::co_spawn(
      pool, [fn = std::move(fn)]() -> awaitable<std::optional<R>> { co_return fn(); }, use_awaitable);
  co_return std::move(*out);
}

std::string NewRequestId() { return core::NewId("r"); }

// ------------------------------------------------------------------------------------------
// WebSocket sessions

class WsSession final : public Subscriber, public std::enable_shared_from_this<WsSession> {
 public:
  enum class Kind { kAgent, kBuyer };

  WsSession(websocket::stream<beast::tcp_stream> ws, Context& ctx, Kind kind)
      : ws_(std::move(ws)), ctx_(ctx), kind_(kind) {}

  void SetAgent(User u) { user_ = std::move(u); }
  void SetBuyer(std::string shop, std::string buyer) {
    shop_ = std::move(shop);
    buyer_ = std::move(buyer);
  }

  bool Wants(const EventAudience& ev) const override {
    if (kind_ == Kind::kBuyer)
      return ev.buyer_visible && ev.shop_id == shop_ && ev.buyer == buyer_ && ev.type == "message.created";
    if (!user_.actor.shop_ids.count(std::string(ev.shop_id))) return false;
    if (user_.actor.role != conversation::Role::kAgent) return true;
    return ev.agent_id.empty() || ev.agent_id == user_.actor.user_id;
  }

  std::vector<std::string> Keys() const override {
    if (kind_ == Kind::kBuyer) return {Hub::BuyerKey(shop_, buyer_)};
    std::vector<std::string> keys;
    for (const auto& shop : user_.actor.shop_ids) {
      if (user_.actor.role != conversation::Role::kAgent) {
        keys.push_back(Hub::LeadsKey(shop));
      } else {
        keys.push_back(Hub::AgentsKey(shop));
        keys.push_back(Hub::AgentKey(shop, user_.actor.user_id));
      }
    }
    return keys;
  }

  std::vector<std::string> Shops() const {
    if (kind_ == Kind::kBuyer) return {shop_};
    return {user_.actor.shop_ids.begin(), user_.actor.shop_ids.end()};
  }

  void Deliver(int64_t seq, std::shared_ptr<const std::string> frame) override {
    asio::post(ws_.get_executor(), [self = shared_from_this(), seq, frame = std::move(frame)] {
      if (self->replaying_) {
        self->pending_.emplace_back(seq, frame);
        return;
      }
      self->Enqueue(seq, frame);
    });
  }

  awaitable<void> Run(http::request<http::string_body> req, int64_t after) {
    auto self = shared_from_this();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(30);
    t.idle_timeout = std::chrono::seconds(40);  // a ping after 20 s idle, closed 20 s later
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.read_message_max(64 * 1024);
    auto [ec] = co_await ws_.async_accept(req, kTuple);
    if (ec) co_return;
    ctx_.app.metrics().open_sockets++;
    ctx_.app.hub().Add(self);
    if (kind_ == Kind::kAgent) SocketChanged(+1);

    if (kind_ == Kind::kAgent) {
      json::array shops;
      for (const auto& id : user_.row.shop_ids) shops.push_back(json::value(id));
      json::object user{{"id", user_.row.id}, {"username", user_.row.username},
                        {"display_name", user_.row.display_name}, {"role", user_.row.role},
                        {"shops", std::move(shops)}};
      json::object hello{{"id", nullptr}, {"type", "hello"},
                         {"data", json::object{{"user", std::move(user)},
                                               {"last_event_id", std::to_string(after < 0 ? 0 : after)}}}};
      queue_.push_back(std::make_shared<const std::string>(json::serialize(hello)));
    }
    // Replay what the client missed, then hand over to live delivery without gaps or repeats.
    int64_t cursor = after;
    if (after >= 0) {
      const auto shops = Shops();
      for (;;) {
        auto rows = co_await OffLoop(ctx_.pool, [&] { return ctx_.app.store().EventsAfter(cursor, shops, 500); });
        if (!rows.ok() || rows->empty()) break;
        for (const auto& r : *rows) {
          cursor = r.seq;
          if (!Wants(EventAudience{r.seq, r.type, r.shop_id, r.agent_id, r.buyer, r.buyer_visible})) continue;
          queue_.push_back(std::make_shared<const std::string>(
              "{\"id\":\"" + std::to_string(r.seq) + "\",\"type\":\"" + r.type + "\",\"data\":" + r.data + "}"));
        }
        if (rows->size() < 500) break;
      }
    }
    last_seq_ = cursor;
    replaying_ = false;
    for (auto& [seq, frame] : pending_) Enqueue(seq, frame);
    pending_.clear();

    Flush();
    beast::flat_buffer buf;
    for (;;) {
      auto [rec, n] = co_await ws_.async_read(buf, kTuple);
      if (rec) break;
      const std::string text = beast::buffers_to_string(buf.data());
      buf.consume(buf.size());
      if (text.find("\"ping\"") != std::string::npos)
        queue_.push_back(std::make_shared<const std::string>("{\"type\":\"pong\"}")), Flush();
    }
    closed_ = true;
    ctx_.app.hub().Remove(this);
    ctx_.app.metrics().open_sockets--;
    if (kind_ == Kind::kAgent) SocketChanged(-1);
  }

 private:
  void SocketChanged(int delta) {
    App& app = ctx_.app;
    auto result = std::make_shared<core::Result<conversation::Outcome>>(core::Internal("not run"));
    const std::string uid = user_.row.id;
    app.Write([&app, result, uid, delta] { *result = app.reception().SocketChanged(uid, delta); return result->ok(); },
              [&app, result](bool committed) {
                if (committed && result->ok()) app.Publish(**result);
              });
  }

  void Enqueue(int64_t seq, std::shared_ptr<const std::string> frame) {
    if (closed_ || seq <= last_seq_) return;
    last_seq_ = seq;
    if (queue_.size() >= ctx_.app.options().ws_queue_limit) {
      // A client that cannot keep up is dropped; it resumes with after= when it reconnects.
      ctx_.app.metrics().dropped_sockets++;
      closed_ = true;
      beast::get_lowest_layer(ws_).socket().close();
      return;
    }
    queue_.push_back(std::move(frame));
    Flush();
  }

  // Starts writing the queue unless a write is under way; each completed write starts the next
  // frame's. (One write at a time is Beast's rule; no timer or extra coroutine is needed.)
  void Flush() {
    if (writing_ || closed_ || queue_.empty() || replaying_) return;
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(*queue_.front()),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      self->writing_ = false;
                      if (ec) {
                        self->closed_ = true;
                        return;
                      }
                      self->queue_.pop_front();
                      self->Flush();
                    });
  }

  websocket::stream<beast::tcp_stream> ws_;
  Context& ctx_;
  Kind kind_;
  User user_;
  std::string shop_, buyer_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::vector<std::pair<int64_t, std::shared_ptr<const std::string>>> pending_;
  bool replaying_ = true;
  bool closed_ = false;
  bool writing_ = false;
  int64_t last_seq_ = 0;
};

// The status line and header fields of a response, written by hand: Beast's serializer costs
// several times more per response, and every buyer message gets one.
std::string ResponseHead(const Response& r, unsigned version, bool keep_alive, std::string_view request_id,
                         size_t content_length) {
  std::string h;
  h.reserve(160 + request_id.size());
  h += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  h += std::to_string(r.status);
  h += ' ';
  h += http::obsolete_reason(static_cast<http::status>(r.status));
  auto field = [&h](std::string_view name, std::string_view value) {
    h += "\r\n";
    h += name;
    h += ": ";
    // A value never spans lines (no header injection through a request id or file name).
    for (char c : value) h += (c == '\r' || c == '\n') ? ' ' : c;
  };
  field("Server", "kefu");
  field("Content-Type", r.content_type);
  field("X-Request-Id", request_id);
  for (const auto& [k, v] : r.headers) field(k, v);
  field("Content-Length", std::to_string(content_length));
  if (!keep_alive && version != 10) field("Connection", "close");
  if (keep_alive && version == 10) field("Connection", "keep-alive");
  h += "\r\n\r\n";
  return h;
}

// Writes `r` (without its body for a HEAD request). Errors are the caller's to read.
awaitable<std::tuple<boost::system::error_code, size_t>> WriteResponse(beast::tcp_stream& stream, const Response& r,
                                                                       unsigned version, bool keep_alive,
                                                                       std::string_view request_id, bool head = false) {
  const std::string h = ResponseHead(r, version, keep_alive, request_id, r.body.size());
  std::array<asio::const_buffer, 2> bufs{asio::buffer(h), asio::buffer(r.body.data(), head ? 0 : r.body.size())};
  co_return co_await asio::async_write(stream, bufs, kTuple);
}

// Answers an error and leaves the connection to be closed. The status is taken by value and the
// response built here, so nothing the caller built temporarily is referenced across the await.
awaitable<void> Reject(beast::tcp_stream& stream, core::Status st, unsigned version) {
  const Response res = Router::Error(st);
  const std::string request_id = NewRequestId();
  co_await WriteResponse(stream, res, version, false, request_id);
}

awaitable<void> RunWebSocket(beast::tcp_stream stream, http::request<http::string_body> req, Context& ctx) {
  const std::string target(req.target());
  const auto qpos = target.find('?');
  const std::string path = target.substr(0, qpos);
  const auto query = ParseQuery(qpos == std::string::npos ? "" : std::string_view(target).substr(qpos + 1));
  auto param = [&](const char* k) {
    auto it = query.find(k);
    return it == query.end() ? std::string() : it->second;
  };
  int64_t after = -1;
  if (auto a = param("after"); !a.empty()) {
    after = 0;
    for (char c : a) {
      if (c < '0' || c > '9') { after = -2; break; }
      after = after * 10 + (c - '0');
    }
  }
  if (after == -2) co_return co_await Reject(stream, core::InvalidArgument("after must be an event id", "after"), req.version());
  websocket::stream<beast::tcp_stream> ws(std::move(stream));
  if (path == "/ws") {
    auto user = co_await OffLoop(ctx.pool, [&] { return ctx.app.Authenticate(param("token")); });
    if (!user.ok()) {
      co_await Reject(ws.next_layer(), user.status(), req.version());
      co_return;
    }
    auto s = std::make_shared<WsSession>(std::move(ws), ctx, WsSession::Kind::kAgent);
    s->SetAgent(*user);
    // The agent's socket replays from `after` when given; a fresh socket starts live.
    if (after < 0) {
      auto last = co_await OffLoop(ctx.pool, [&] { return ctx.app.store().LastEventSeq(); });
      after = last.ok() ? *last : 0;
    }
    co_await s->Run(std::move(req), after);
    co_return;
  }
  if (path == "/ws/buyer") {
    auto shop = co_await OffLoop(ctx.pool, [&] { return ctx.app.ShopByIngestKey(param("key")); });
    core::Status st = shop.ok() ? core::Status::Ok() : shop.status();
    if (st.ok() && shop->id != param("shop")) st = core::Unauthenticated("the key does not belong to that shop");
    if (st.ok() && param("buyer").empty()) st = core::InvalidArgument("buyer is required", "buyer");
    if (!st.ok()) {
      co_await Reject(ws.next_layer(), st, req.version());
      co_return;
    }
    auto s = std::make_shared<WsSession>(std::move(ws), ctx, WsSession::Kind::kBuyer);
    s->SetBuyer(shop->id, param("buyer"));
    if (after < 0) {
      auto last = co_await OffLoop(ctx.pool, [&] { return ctx.app.store().LastEventSeq(); });
      after = last.ok() ? *last : 0;
    }
    co_await s->Run(std::move(req), after);
    co_return;
  }
  co_await Reject(ws.next_layer(), core::NotFound("no WebSocket at " + path), req.version());
}

// ------------------------------------------------------------------------------------------
// HTTP sessions

// Hands the request to the router and resumes the caller when it responds (from any thread).
// A plain function, not a coroutine: GCC 12 destroys lambda temporaries inside a co_await
// expression twice, so the initiation lambda must not be built inside one.
awaitable<Response> HandleAsync(Router& router, Request req) {
  auto preq = std::make_shared<Request>(std::move(req));
  return asio::async_initiate<decltype(use_awaitable), void(Response)>(
      [&router, preq](auto handler) {
        auto ex = asio::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        router.Handle(std::move(*preq), [h, ex](Response r) {
          asio::post(ex, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
        });
      },
      use_awaitable);
}

awaitable<void> HttpSession(beast::tcp_stream stream, Context& ctx) {
  beast::flat_buffer buffer;
  const auto& opt = ctx.app.options();
  for (;;) {
    stream.expires_after(std::chrono::seconds(60));
    http::request_parser<http::string_body> parser;
    parser.body_limit(opt.body_limit);
    parser.header_limit(16 * 1024);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (ec == http::error::body_limit) {
      ctx.app.metrics().requests_4xx++;
      co_await Reject(stream,
                      core::Status(core::Code::kInvalidArgument,
                                   "the body is larger than " + std::to_string(opt.body_limit) + " bytes", "body",
                                   "payload_too_large"),
                      11);
      break;
    }
    if (ec) break;
    if (websocket::is_upgrade(parser.get())) {
      stream.expires_never();
      co_await RunWebSocket(std::move(stream), parser.release(), ctx);
      co_return;
    }
    const auto start = std::chrono::steady_clock::now();
    auto hreq = parser.release();
    Request req;
    req.method = std::string(hreq.method_string());
    const std::string target(hreq.target());
    const auto qpos = target.find('?');
    req.path = target.substr(0, qpos);
    if (qpos != std::string::npos) req.query = ParseQuery(std::string_view(target).substr(qpos + 1));
    req.body = std::move(hreq.body());
    req.authorization = std::string(hreq[http::field::authorization]);
    req.ingest_key = std::string(hreq["X-Kefu-Key"]);
    req.accept_encoding = std::string(hreq[http::field::accept_encoding]);
    req.request_id = hreq["X-Request-Id"].empty() ? NewRequestId() : std::string(hreq["X-Request-Id"]);
    const std::string request_id = req.request_id;
    const std::string method = req.method, path = req.path;

    Response res = co_await HandleAsync(ctx.router, std::move(req));

    auto& mt = ctx.app.metrics();
    if (res.status >= 500) {
      mt.requests_5xx++;
      spdlog::error("request_id={} {} {} -> {} {}", request_id, method, path, res.status, res.body.substr(0, 200));
    } else if (res.status >= 400) {
      mt.requests_4xx++;
    } else {
      mt.requests_2xx++;
    }
    mt.latency.Observe(std::chrono::duration_cast<core::Duration>(std::chrono::steady_clock::now() - start));
    const bool keep_alive = hreq.keep_alive();
    auto [wec, wn] = co_await WriteResponse(stream, res, hreq.version(), keep_alive, request_id,
                                            hreq.method() == http::verb::head);
    if (wec || !keep_alive) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

awaitable<void> Listen(tcp::acceptor& acceptor, Context& ctx) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(acceptor.get_executor()), kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // Out of descriptors and the like: pause briefly rather than spin.
      asio::steady_timer t(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await t.async_wait(kTuple);
      continue;
    }
    socket.set_option(tcp::no_delay(true));
    auto ex = socket.get_executor();
    asio::co_spawn(ex, HttpSession(beast::tcp_stream(std::move(socket)), ctx),
                   [](std::exception_ptr e) {
                     if (!e) return;
                     try { std::rethrow_exception(e); }
                     catch (const std::exception& ex) { spdlog::error("session failed: {}", ex.what()); }
                   });
  }
}

// Drives the reply-rate radar: warnings and escalations are checked once a second.
awaitable<void> Ticker(App& app) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  for (;;) {
    t.expires_after(std::chrono::seconds(1));
    auto [ec] = co_await t.async_wait(kTuple);
    if (ec) co_return;
    app.Tick();
  }
}

void RaiseFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

std::string FindWebDir(const std::string& configured) {
  namespace fs = std::filesystem;
  if (!configured.empty()) return configured;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  for (const fs::path& p : {exe.parent_path() / ".." / "web" / "dist", exe.parent_path() / "web",
                            fs::current_path(ec) / "web" / "dist"}) {
    if (fs::exists(p / "index.html", ec)) return fs::weakly_canonical(p, ec).string();
  }
  return (fs::current_path(ec) / "web" / "dist").string();
}

}  // namespace

core::Status Run(const ServerOptions& in) {
  ServerOptions opt = in;
  opt.web_dir = FindWebDir(opt.web_dir);
  RaiseFileLimit();
  store::Options so;
  so.synchronous = opt.synchronous;
  KEFU_ASSIGN_OR_RETURN(auto st, store::Store::Open(opt.data_dir, so));
  core::SystemClock clock;
  App app(opt, clock, std::move(st));
  KEFU_TRY(app.Start());

  const int threads = opt.threads > 0 ? opt.threads : std::max(1u, std::thread::hardware_concurrency());
  asio::io_context ioc(threads);
  asio::thread_pool pool(4);
  Router router(app, [&pool](std::function<void()> fn) { asio::post(pool, std::move(fn)); });
  Context ctx{app, router, pool};

  tcp::acceptor acceptor(ioc);
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(opt.host, ec);
  if (ec) return core::InvalidArgument("bad --host " + opt.host, "host");
  tcp::endpoint ep(addr, opt.port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return core::Unavailable("cannot listen on " + opt.host + ":" + std::to_string(opt.port) + ": " + ec.message());

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    spdlog::info("shutting down");
    acceptor.close();
    ioc.stop();
  });
  asio::co_spawn(ioc, Listen(acceptor, ctx), asio::detached);
  asio::co_spawn(ioc, Ticker(app), asio::detached);
  spdlog::info("kefu listening on http://{}:{} (data {}, web {}{})", opt.host, opt.port, opt.data_dir,
               opt.web_dir, opt.demo ? ", demo" : "");

  std::vector<std::thread> workers;
  for (int i = 1; i < threads; ++i) workers.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : workers) t.join();
  pool.join();
  app.Stop();
  return core::Status::Ok();
}

}  // namespace kefu::server
