// server_bench: a loopback load generator for `kefu serve`, and the raw SQLite limit for the
// rows the store writes per buyer message. bench/run-server.sh starts the server, creates the
// shop and agents, and calls:
//   server_bench load --port P --shop ID --key INGEST_KEY --agents u1,u2,.. --password PW --pid PID
//                     [--buyers 2000] [--conns 128] [--seconds 10] [--rate 5000] [--idle 10000]
//                     [--idle-agents v1,v2,..] [--sample-out FILE]
//   server_bench raw --dir DIR --sync full|normal [--sample FILE] [--seconds 4] [--batch 1000]
//                    [--kefu-rate MSG_PER_S]
// The load generator runs on one thread (one io_context); it shares the machine's cores with
// the server, so it reports the CPU each side used.
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
using SteadyClock = std::chrono::steady_clock;

int64_t NowNs() { return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch()).count(); }

// 23410.4 -> "23,410"
std::string Thousands(double v) {
  long long n = std::llround(v);
  std::string s = std::to_string(n < 0 ? -n : n);
  for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(size_t(i), ",");
  return n < 0 ? "-" + s : s;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return NAN;
  const size_t k = std::min(v.size() - 1, size_t(p / 100.0 * double(v.size())));
  std::nth_element(v.begin(), v.begin() + long(k), v.end());
  return v[k];
}

// Command-line flags: --name value.
struct Flags {
  std::map<std::string, std::string> v;
  static Flags Parse(int argc, char** argv, int first) {
    Flags f;
    for (int i = first; i < argc; ++i) {
      std::string k = argv[i];
      if (k.rfind("--", 0) != 0 || i + 1 >= argc) {
        std::fprintf(stderr, "server_bench: bad argument %s\n", k.c_str());
        std::exit(2);
      }
      f.v[k.substr(2)] = argv[++i];
    }
    return f;
  }
  std::string Str(const std::string& k, const std::string& def = "") const {
    auto it = v.find(k);
    return it == v.end() ? def : it->second;
  }
  std::string Need(const std::string& k) const {
    auto it = v.find(k);
    if (it == v.end()) {
      std::fprintf(stderr, "server_bench: --%s is required\n", k.c_str());
      std::exit(2);
    }
    return it->second;
  }
  double Num(const std::string& k, double def) const {
    auto it = v.find(k);
    return it == v.end() ? def : std::stod(it->second);
  }
};

// ------------------------------------------------------------------------------------------
// CPU and memory of a process (from /proc) and of this one.

double ProcCpuSeconds(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return 0;
  // Fields after the ")" that closes comm: state is field 3; utime 14, stime 15.
  std::istringstream in(line.substr(line.rfind(')') + 2));
  std::string tok;
  double ut = 0, st = 0;
  for (int field = 3; in >> tok; ++field) {
    if (field == 14) ut = std::stod(tok);
    if (field == 15) { st = std::stod(tok); break; }
  }
  return (ut + st) / double(sysconf(_SC_CLK_TCK));
}

double SelfCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

// Busy seconds of the whole machine (all cores) from /proc/stat.
double MachineBusySeconds() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  double user, nice, sys, idle, iowait, irq, softirq, steal;
  f >> cpu >> user >> nice >> sys >> idle >> iowait >> irq >> softirq >> steal;
  return (user + nice + sys + irq + softirq + steal) / double(sysconf(_SC_CLK_TCK));
}

long VmKiB(int pid, const char* key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  const std::string k = std::string(key) + ":";
  while (std::getline(f, line))
    if (line.rfind(k, 0) == 0) return std::stol(line.substr(k.size()));
  return -1;
}

struct CpuWindow {
  int pid;
  double kefu0, self0, machine0;
  int64_t t0;
  explicit CpuWindow(int p) : pid(p), kefu0(ProcCpuSeconds(p)), self0(SelfCpuSeconds()), machine0(MachineBusySeconds()), t0(NowNs()) {}
  // "cpu: kefu 1.45 cores (16,100 msg per kefu cpu-second), load generator 0.41, rest of machine 0.06 (of 2)"
  // `msgs` > 0 adds kefu's efficiency, which other load on the machine disturbs less than rates.
  std::string Report(double msgs = 0) const {
    const double wall = double(NowNs() - t0) / 1e9;
    const double k = (ProcCpuSeconds(pid) - kefu0) / wall, s = (SelfCpuSeconds() - self0) / wall;
    const double m = (MachineBusySeconds() - machine0) / wall;
    std::string eff = msgs > 0 && k > 0 ? " (" + Thousands(msgs / (k * wall)) + " msg per kefu cpu-second)" : "";
    return "cpu: kefu " + Fixed(k, 2) + " cores" + eff + ", load generator " + Fixed(s, 2) + ", rest of machine " +
           Fixed(std::max(0.0, m - k - s), 2) + " (of " + std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + ")";
  }
};

// ------------------------------------------------------------------------------------------
// The load generator (one thread; no locks needed).

constexpr uint8_t kAcked = 1, kReceived = 2, kInWindow = 4;

const char* const kTexts[] = {
    "你好，请问这款还有货吗？什么时候能发货呀",
    "亲，我拍了两件，能不能合并发货？谢谢",
    "这个尺码偏大还是偏小？我平时穿M码",
    "快递到哪里了，三天了还没动静",
    "可以便宜一点吗，买两件有优惠吗",
    "颜色和图片一样吗？有没有色差",
};

struct Bench {
  asio::io_context& ioc;
  std::string port, shop, key, password;
  std::vector<std::string> agents;
  std::vector<std::string> tokens;  // per agent
  std::vector<std::string> idle_agents, idle_tokens;  // agents marked away; their sockets stay quiet
  int pid = 0;
  int buyers = 2000;

  // Per message id.
  size_t cap = 0;
  std::vector<uint8_t> flags;
  std::vector<int64_t> sched;  // ns: when the message was due (open loop) or sent (closed loop)
  std::vector<int64_t> recv;   // ns: when an agent socket got it
  uint64_t next_id = 0;

  // Current phase.
  bool open_loop = false;
  bool stop = false;
  int active_conns = 0;
  int64_t win_start = INT64_MAX, win_end = INT64_MAX;
  std::deque<uint64_t> pending;
  std::vector<asio::steady_timer*> idle;
  std::vector<double> ack_ms;  // open loop: ack latency from the due time
  int64_t measure_from = 0;    // open loop: only messages due after this count
  uint64_t http_errors = 0;
  std::string first_error;

  // Agent sockets.
  uint64_t frames = 0, drops = 0, dup_receipts = 0;
  std::string sample_data;  // one message.created "data" object, for the raw limit
  int agent_sockets_ready = 0;
  bool closing = false;

  // Idle sockets.
  int idle_open = 0, idle_failed = 0;
  std::string idle_error;
  std::vector<std::shared_ptr<websocket::stream<beast::tcp_stream>>> idle_socks;

  explicit Bench(asio::io_context& c) : ioc(c) {}

  void Reserve(size_t n) {
    cap = n;
    flags.assign(n, 0);
    sched.assign(n, 0);
    recv.assign(n, 0);
  }

  std::string Body(uint64_t id) const {
    std::string b = "{\"buyer\":\"bench-buyer-" + std::to_string(id % uint64_t(buyers)) + "\",\"text\":\"";
    b += kTexts[id % std::size(kTexts)];
    b += "\",\"client_msg_id\":\"bm" + std::to_string(id) + "\"}";
    return b;
  }

  void Wake(size_t n) {
    while (n-- > 0 && !idle.empty()) {
      idle.back()->cancel();
      idle.pop_back();
    }
  }
};

awaitable<void> Sleep(std::chrono::nanoseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(kTuple);
}

awaitable<std::optional<uint64_t>> NextJob(Bench& b, asio::steady_timer& t) {
  for (;;) {
    if (!b.open_loop) {
      if (b.stop || b.next_id >= b.cap) co_return std::nullopt;
      const uint64_t id = b.next_id++;
      b.sched[id] = NowNs();
      co_return id;
    }
    if (!b.pending.empty()) {
      const uint64_t id = b.pending.front();
      b.pending.pop_front();
      co_return id;
    }
    if (b.stop) co_return std::nullopt;
    t.expires_at(SteadyClock::time_point::max());
    b.idle.push_back(&t);
    co_await t.async_wait(kTuple);
  }
}

awaitable<tcp::socket> Connect(Bench& b) {
  tcp::socket s(b.ioc);
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), uint16_t(std::stoi(b.port)));
  co_await s.async_connect(ep, use_awaitable);
  s.set_option(tcp::no_delay(true));
  co_return s;
}

// One keep-alive connection posting buyer messages, one at a time.
awaitable<void> IngestConn(Bench& b) {
  ++b.active_conns;
  asio::steady_timer wait(b.ioc);
  const std::string head = "POST /api/v1/ingest/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Kefu-Key: " + b.key +
                           "\r\nContent-Type: application/json\r\nContent-Length: ";
  std::optional<tcp::socket> sock;
  beast::flat_buffer buf;
  std::string req;
  for (;;) {
    auto job = co_await NextJob(b, wait);
    if (!job) break;
    const uint64_t id = *job;
    if (!sock) {
      bool failed = false;
      try {
        sock.emplace(co_await Connect(b));
      } catch (const std::exception& e) {
        ++b.http_errors;
        if (b.first_error.empty()) b.first_error = std::string("connect: ") + e.what();
        failed = true;
      }
      if (failed) {
        co_await Sleep(10ms);
        continue;
      }
      buf.clear();
    }
    const std::string body = b.Body(id);
    req.assign(head);
    req += std::to_string(body.size());
    req += "\r\n\r\n";
    req += body;
    auto [wec, wn] = co_await asio::async_write(*sock, asio::buffer(req), kTuple);
    http::response_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    beast::error_code rec;
    if (!wec) std::tie(rec, std::ignore) = co_await http::async_read(*sock, buf, parser, kTuple);
    const int64_t now = NowNs();
    if (wec || rec) {
      ++b.http_errors;
      if (b.first_error.empty()) b.first_error = (wec ? wec : rec).message();
      sock.reset();
      continue;
    }
    const auto& res = parser.get();
    if (res.result_int() != 201) {
      ++b.http_errors;
      if (b.first_error.empty()) b.first_error = std::to_string(res.result_int()) + " " + res.body().substr(0, 200);
    } else {
      b.flags[id] |= kAcked;
      if (!b.open_loop && now >= b.win_start && now < b.win_end) b.flags[id] |= kInWindow;
      if (b.open_loop && b.sched[id] >= b.measure_from) b.ack_ms.push_back(double(now - b.sched[id]) / 1e6);
    }
    if (!res.keep_alive()) sock.reset();
  }
  --b.active_conns;
}

// A plain request/response for setup calls (login, presence).
awaitable<std::pair<int, std::string>> Call(Bench& b, http::verb verb, const std::string& target,
                                            const std::string& body, const std::string& token) {
  tcp::socket s = co_await Connect(b);
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::content_type, "application/json");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  req.body() = body;
  req.keep_alive(false);
  req.prepare_payload();
  co_await http::async_write(s, req, use_awaitable);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  co_await http::async_read(s, buf, res, use_awaitable);
  co_return std::make_pair(int(res.result_int()), res.body());
}

// "…"key":"value"…" -> value (flat scan; enough for the server's own JSON).
std::string JsonString(const std::string& text, const std::string& key) {
  const std::string pat = "\"" + key + "\":\"";
  auto p = text.find(pat);
  if (p == std::string::npos) return {};
  p += pat.size();
  return text.substr(p, text.find('"', p) - p);
}

// An agent's workbench socket: marks every bench message it receives; reconnects with after=
// when the server drops it.
awaitable<void> AgentSocket(Bench& b, size_t agent) {
  std::string last_id;
  bool counted = false;
  for (int attempt = 0; !b.closing; ++attempt) {
    try {
      websocket::stream<beast::tcp_stream> ws(co_await Connect(b));
      ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
      std::string target = "/ws?token=" + b.tokens[agent];
      if (!last_id.empty()) target += "&after=" + last_id;
      co_await ws.async_handshake("127.0.0.1:" + b.port, target, use_awaitable);
      if (!counted) ++b.agent_sockets_ready, counted = true;
      beast::flat_buffer buf;
      for (;;) {
        auto [ec, n] = co_await ws.async_read(buf, kTuple);
        if (ec) break;
        ++b.frames;
        std::string_view f(static_cast<const char*>(buf.data().data()), buf.size());
        if (f.rfind("{\"id\":\"", 0) == 0) {
          const auto e = f.find('"', 7);
          last_id.assign(f.substr(7, e - 7));
        }
        if (f.find("\"type\":\"message.created\"") != std::string_view::npos) {
          const auto p = f.find("\"client_msg_id\":\"bm");
          if (p != std::string_view::npos) {
            uint64_t id = 0;
            for (size_t i = p + 19; i < f.size() && f[i] >= '0' && f[i] <= '9'; ++i) id = id * 10 + uint64_t(f[i] - '0');
            if (id < b.cap) {
              if (b.flags[id] & kReceived) ++b.dup_receipts;
              b.flags[id] |= kReceived;
              if (!b.recv[id]) b.recv[id] = NowNs();
            }
            if (b.sample_data.empty()) {
              const auto d = f.find("\"data\":");
              if (d != std::string_view::npos) b.sample_data.assign(f.substr(d + 7, f.size() - (d + 7) - 1));
            }
          }
        }
        buf.consume(buf.size());
      }
      if (b.closing) co_return;
      ++b.drops;
    } catch (const std::exception& e) {
      if (b.closing) co_return;
      ++b.drops;
      if (attempt > 50) {
        std::fprintf(stderr, "server_bench: agent socket %zu gave up: %s\n", agent, e.what());
        b.closing = true;
      }
    }
    if (b.closing) co_return;
    co_await Sleep(50ms);
  }
}

// Runs `conns` ingest connections until `stop` is set and they have all returned.
awaitable<void> JoinConns(Bench& b) {
  while (b.active_conns > 0) co_await Sleep(5ms);
}

awaitable<void> WaitReceipts(Bench& b, uint64_t from, uint64_t to, uint8_t need, std::chrono::seconds limit) {
  const auto deadline = SteadyClock::now() + limit;
  for (;;) {
    bool all = true;
    for (uint64_t i = from; i < to && all; ++i)
      if ((b.flags[i] & need) == need && !(b.flags[i] & kReceived)) all = false;
    if (all || SteadyClock::now() > deadline) co_return;
    co_await Sleep(20ms);
  }
}

// One idle WebSocket: the first `agent_sockets` are workbench sockets (/ws) of agents who are
// away (no conversations come to them), the rest buyers' /ws/buyer of buyers who do not chat.
awaitable<void> OpenIdle(Bench& b, int i, int agent_sockets) {
  auto ws = std::make_shared<websocket::stream<beast::tcp_stream>>(co_await Connect(b));
  ws->set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  std::string target = i < agent_sockets && !b.idle_tokens.empty()
                           ? "/ws?token=" + b.idle_tokens[size_t(i) % b.idle_tokens.size()]
                           : "/ws/buyer?shop=" + b.shop + "&buyer=idle-buyer-" + std::to_string(i) + "&key=" + b.key;
  co_await ws->async_handshake("127.0.0.1:" + b.port, target, use_awaitable);
  b.idle_socks.push_back(ws);
  ++b.idle_open;
  // Keep a read pending so pings are answered; the socket stays idle otherwise.
  asio::co_spawn(b.ioc, [ws]() -> awaitable<void> {
    beast::flat_buffer buf;
    for (;;) {
      auto [ec, n] = co_await ws->async_read(buf, kTuple);
      if (ec) co_return;
      buf.consume(buf.size());
    }
  }, asio::detached);
}

awaitable<void> IdleOpener(Bench& b, int* next, int total, int agent_sockets) {
  while (*next < total) {
    const int i = (*next)++;
    try {
      co_await OpenIdle(b, i, agent_sockets);
    } catch (const std::exception& e) {
      ++b.idle_failed;
      if (b.idle_error.empty()) b.idle_error = e.what();
    }
  }
}

struct ClosedResult {
  uint64_t acked = 0, both = 0;  // acked in the window; of those, also received on an agent socket
  std::string cpu;
};

// Closed loop: `conns` keep-alive connections each post the next message as soon as the last one
// is answered. Counts messages acked within the `seconds` window that follows `warm` seconds
// (and at least `min_id` messages in all) and that an agent socket also received.
awaitable<ClosedResult> ClosedLoop(Bench& b, int conns, double warm, double seconds, uint64_t min_id) {
  b.open_loop = false;
  b.stop = false;
  const uint64_t phase_first = b.next_id;
  for (int i = 0; i < conns; ++i) asio::co_spawn(b.ioc, IngestConn(b), asio::detached);
  co_await Sleep(std::chrono::milliseconds(int64_t(warm * 1000)));
  while (b.next_id < min_id) co_await Sleep(50ms);
  const uint64_t win_first = b.next_id;
  CpuWindow cpu(b.pid);
  b.win_start = NowNs();
  b.win_end = b.win_start + int64_t(seconds * 1e9);
  co_await Sleep(std::chrono::nanoseconds(b.win_end - b.win_start));
  ClosedResult r;
  for (uint64_t i = win_first; i < b.next_id; ++i) r.acked += (b.flags[i] & kInWindow) ? 1 : 0;
  r.cpu = cpu.Report(double(r.acked));
  b.stop = true;
  co_await JoinConns(b);
  const uint64_t last = b.next_id;
  co_await WaitReceipts(b, phase_first, last, kAcked | kInWindow, 5s);
  r.acked = 0;
  for (uint64_t i = phase_first; i < last; ++i) {
    if (!(b.flags[i] & kInWindow)) continue;
    ++r.acked;
    if (b.flags[i] & kReceived) ++r.both;
  }
  b.win_start = b.win_end = INT64_MAX;
  co_return r;
}

awaitable<void> RunLoad(Bench& b, const Flags& fl, int* exit_code) {
  const int conns = int(fl.Num("conns", 1024));
  const double seconds = fl.Num("seconds", 10), warm = fl.Num("warm", 3);
  const double rate = fl.Num("rate", 5000), lat_seconds = fl.Num("lat-seconds", 10);
  const int idle_total = int(fl.Num("idle", 10000));
  const std::string sync = fl.Str("sync", "full");

  // 1. Agents log in, go online and open their workbench sockets.
  for (const auto& a : b.agents) {
    auto [st, body] = co_await Call(b, http::verb::post, "/api/v1/auth/login",
                                    "{\"username\":\"" + a + "\",\"password\":\"" + b.password + "\"}", "");
    const std::string token = JsonString(body, "token");
    if (st != 200 || token.empty()) {
      std::fprintf(stderr, "server_bench: login %s failed: %d %s\n", a.c_str(), st, body.c_str());
      *exit_code = 1;
      co_return;
    }
    b.tokens.push_back(token);
    auto [pst, pbody] = co_await Call(b, http::verb::put, "/api/v1/me/presence", "{\"status\":\"online\"}", token);
    if (pst != 200) {
      std::fprintf(stderr, "server_bench: presence %s failed: %d %s\n", a.c_str(), pst, pbody.c_str());
      *exit_code = 1;
      co_return;
    }
  }
  for (const auto& a : b.idle_agents) {
    auto [st, body] = co_await Call(b, http::verb::post, "/api/v1/auth/login",
                                    "{\"username\":\"" + a + "\",\"password\":\"" + b.password + "\"}", "");
    const std::string token = JsonString(body, "token");
    auto [pst, pbody] = co_await Call(b, http::verb::put, "/api/v1/me/presence", "{\"status\":\"away\"}", token);
    if (st != 200 || token.empty() || pst != 200) {
      std::fprintf(stderr, "server_bench: idle agent %s: login %d, presence %d %s\n", a.c_str(), st, pst, pbody.c_str());
      *exit_code = 1;
      co_return;
    }
    b.idle_tokens.push_back(token);
  }
  for (size_t i = 0; i < b.agents.size(); ++i) asio::co_spawn(b.ioc, AgentSocket(b, i), asio::detached);
  for (int i = 0; i < 500 && b.agent_sockets_ready < int(b.agents.size()); ++i) co_await Sleep(10ms);
  if (b.agent_sockets_ready < int(b.agents.size())) {
    std::fprintf(stderr, "server_bench: only %d of %zu agent sockets opened\n", b.agent_sockets_ready, b.agents.size());
    *exit_code = 1;
    co_return;
  }

  // 2. Throughput: closed loop, `conns` keep-alive connections; the window starts after warm-up
  // (every buyer's first message routes a new conversation; those are in the warm-up).
  const ClosedResult tp = co_await ClosedLoop(b, conns, warm, seconds, uint64_t(2 * b.buyers));
  const double thr = double(tp.both) / seconds;
  std::printf("throughput: %s msg/s (target >= 20,000) %s   [%s acked in %.0f s, %s of them on an agent socket; "
              "%d keep-alive connections, %d buyers over %zu agent sockets; synchronous=%s]\n",
              Thousands(thr).c_str(), thr >= 20000 ? "ok" : "BELOW TARGET", Thousands(double(tp.acked)).c_str(), seconds,
              Thousands(double(tp.both)).c_str(), conns, b.buyers, b.agents.size(), sync.c_str());
  std::printf("  %s\n", tp.cpu.c_str());
  if (b.http_errors) std::printf("  http errors: %llu (first: %s)\n", (unsigned long long)b.http_errors, b.first_error.c_str());

  // 3. Ack latency at a fixed offered rate, open loop: message i is due at t0 + i/rate whether
  // or not earlier ones were answered; latency counts from the due time.
  co_await Sleep(500ms);
  b.open_loop = true;
  b.stop = false;
  b.ack_ms.clear();
  const uint64_t lat_first = b.next_id;
  for (int i = 0; i < conns; ++i) asio::co_spawn(b.ioc, IngestConn(b), asio::detached);
  const int64_t t0 = NowNs();
  const double warm_lat = 1.0;
  b.measure_from = t0 + int64_t(warm_lat * 1e9);
  const uint64_t total = uint64_t((warm_lat + lat_seconds) * rate);
  const uint64_t base = b.next_id;
  CpuWindow lat_cpu(b.pid);
  uint64_t issued = 0;
  asio::steady_timer pace(b.ioc);
  while (issued < total && base + issued < b.cap) {
    const int64_t now = NowNs();
    uint64_t due = std::min(total, uint64_t(double(now - t0) * rate / 1e9) + 1);
    size_t added = 0;
    for (; issued < due && base + issued < b.cap; ++issued, ++added) {
      const uint64_t id = base + issued;
      b.sched[id] = t0 + int64_t(double(issued) * 1e9 / rate);
      b.pending.push_back(id);
    }
    b.next_id = base + issued;
    b.Wake(added);
    pace.expires_after(std::chrono::microseconds(int64_t(1e6 / rate)));
    co_await pace.async_wait(kTuple);
  }
  const double offered_s = double(NowNs() - t0) / 1e9;
  uint64_t acked_while_offered = 0;
  for (uint64_t i = lat_first; i < b.next_id; ++i) acked_while_offered += (b.flags[i] & kAcked) ? 1 : 0;
  const std::string lat_cpu_report = lat_cpu.Report(double(acked_while_offered));
  b.stop = true;
  b.Wake(b.idle.size());
  // A server slower than the offered rate leaves a backlog; give it 15 s, then count what is
  // still unanswered at its age so far (a lower bound), which keeps the run short.
  const int64_t drain_end = NowNs() + int64_t(15e9);
  while (b.active_conns > 0 && NowNs() < drain_end) co_await Sleep(5ms);
  b.pending.clear();
  const uint64_t lat_last = b.next_id;
  std::vector<double> acks = b.ack_ms, deliver;
  uint64_t unanswered = 0;
  for (uint64_t i = lat_first; i < lat_last; ++i) {
    if (b.sched[i] >= b.measure_from && !(b.flags[i] & kAcked)) {
      ++unanswered;
      acks.push_back(double(NowNs() - b.sched[i]) / 1e6);
    }
  }
  co_await JoinConns(b);
  co_await WaitReceipts(b, lat_first, lat_last, kAcked, 5s);
  for (uint64_t i = lat_first; i < lat_last; ++i) {
    if (b.sched[i] >= b.measure_from && (b.flags[i] & kReceived)) deliver.push_back(double(b.recv[i] - b.sched[i]) / 1e6);
  }
  const double p50 = Percentile(acks, 50), p99 = Percentile(acks, 99), p999 = Percentile(acks, 99.9);
  const double mx = acks.empty() ? NAN : *std::max_element(acks.begin(), acks.end());
  std::printf("ack latency at %s msg/s offered (open loop): p50 %s ms, p99 %s ms (target p99 <= 20 ms) %s   "
              "[p99.9 %s ms, max %s ms, %s samples, achieved %s msg/s]\n",
              Thousands(rate).c_str(), Fixed(p50, 2).c_str(), Fixed(p99, 2).c_str(), p99 <= 20 ? "ok" : "ABOVE TARGET",
              Fixed(p999, 2).c_str(), Fixed(mx, 1).c_str(), Thousands(double(acks.size())).c_str(),
              Thousands(double(acked_while_offered) / offered_s).c_str());
  if (unanswered)
    std::printf("  %s messages were still unanswered 15 s after the offer ended; counted at their age then\n",
                Thousands(double(unanswered)).c_str());
  std::printf("  agent socket delivery from due time: p50 %s ms, p99 %s ms; %s\n", Fixed(Percentile(deliver, 50), 2).c_str(),
              Fixed(Percentile(deliver, 99), 2).c_str(), lat_cpu_report.c_str());

  // 4. RSS with idle sockets: half agents' /ws, half buyers' /ws/buyer.
  co_await Sleep(500ms);
  const long rss0 = VmKiB(b.pid, "VmRSS");
  const int64_t open_t0 = NowNs();
  int next = 0;
  const int openers = 64;
  const int idle_agent_sockets = b.idle_tokens.empty() ? 0 : idle_total / 10;
  for (int i = 0; i < openers; ++i)
    asio::co_spawn(b.ioc, IdleOpener(b, &next, idle_total, idle_agent_sockets), asio::detached);
  while (b.idle_open + b.idle_failed < idle_total && NowNs() - open_t0 < int64_t(90e9)) co_await Sleep(50ms);
  const double open_s = double(NowNs() - open_t0) / 1e9;
  co_await Sleep(2s);
  const long rss1 = VmKiB(b.pid, "VmRSS"), hwm = VmKiB(b.pid, "VmHWM");
  const double mib = double(rss1) / 1024.0;
  std::printf("rss with %s idle websockets: %s MiB (target < 1,024 MiB) %s   [%s agent /ws of %zu away agents + %s buyer "
              "/ws/buyer; %s opened in %.1f s, %d failed; before %s MiB, +%s KiB per socket; peak %s MiB]\n",
              Thousands(idle_total).c_str(), Thousands(mib).c_str(),
              (mib < 1024 && b.idle_open == idle_total) ? "ok" : "NOT MET", Thousands(idle_agent_sockets).c_str(),
              b.idle_tokens.size(), Thousands(idle_total - idle_agent_sockets).c_str(), Thousands(b.idle_open).c_str(), open_s,
              b.idle_failed, Thousands(double(rss0) / 1024).c_str(),
              Fixed(double(rss1 - rss0) / std::max(1, b.idle_open), 1).c_str(), Thousands(double(hwm) / 1024).c_str());
  if (b.idle_failed) std::printf("  first idle socket error: %s\n", b.idle_error.c_str());

  // 5. The same closed loop with the idle sockets still open: every event is offered to every
  // subscriber of the shop, so this shows what idle sockets cost the busy path.
  const double idle_seconds = std::max(2.0, seconds / 2);
  const ClosedResult ti = co_await ClosedLoop(b, conns, 1.0, idle_seconds, 0);
  const double thr_idle = double(ti.both) / idle_seconds;
  std::printf("throughput with the %s idle websockets open: %s msg/s (%s of the figure without them)\n  %s\n",
              Thousands(b.idle_open).c_str(), Thousands(thr_idle).c_str(),
              thr > 0 ? Fixed(thr_idle / thr, 2).c_str() : "n/a", ti.cpu.c_str());
  if (b.drops || b.dup_receipts)
    std::printf("  agent sockets dropped by the server and resumed with after=: %llu; duplicate receipts: %llu\n",
                (unsigned long long)b.drops, (unsigned long long)b.dup_receipts);
  // For the script: kefu's rate and a real event body for the raw limit.
  std::printf("#kefu_rate %.1f\n", thr);
  if (auto out = fl.Str("sample-out"); !out.empty()) std::ofstream(out) << b.sample_data;

  // 6. Closing the idle sockets: how long the server stays busy unsubscribing them.
  const double close_cpu0 = ProcCpuSeconds(b.pid);
  const int64_t close_t0 = NowNs();
  for (auto& ws : b.idle_socks) {
    beast::error_code ec;
    beast::get_lowest_layer(*ws).socket().close(ec);
  }
  b.idle_socks.clear();
  double last_cpu = close_cpu0;
  int64_t busy_until = close_t0;
  for (int i = 0; i < 300; ++i) {  // until kefu uses < 10% of a core for 0.5 s, at most 30 s
    co_await Sleep(100ms);
    const double c = ProcCpuSeconds(b.pid);
    if (c - last_cpu > 0.01) busy_until = NowNs();
    last_cpu = c;
    if (NowNs() - busy_until > int64_t(5e8)) break;
  }
  std::printf("closing the %s idle websockets: kefu busy %.1f s, %.1f cpu-seconds\n", Thousands(b.idle_open).c_str(),
              double(busy_until - close_t0) / 1e9, last_cpu - close_cpu0);
  b.closing = true;
  b.ioc.stop();
}

int Load(const Flags& fl) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // lines appear as phases end (profilers sync on them)
  asio::io_context ioc(1);
  Bench b(ioc);
  b.port = fl.Need("port");
  b.shop = fl.Need("shop");
  b.key = fl.Need("key");
  b.password = fl.Need("password");
  b.pid = std::stoi(fl.Need("pid"));
  b.buyers = int(fl.Num("buyers", 2000));
  auto split = [](const std::string& list) {
    std::vector<std::string> out;
    for (size_t s = 0; s < list.size();) {
      size_t e = list.find(',', s);
      if (e == std::string::npos) e = list.size();
      out.push_back(list.substr(s, e - s));
      s = e + 1;
    }
    return out;
  };
  b.agents = split(fl.Need("agents"));
  b.idle_agents = split(fl.Str("idle-agents"));
  b.Reserve(size_t(fl.Num("max-messages", 3'000'000)));
  int code = 0;
  asio::co_spawn(ioc, RunLoad(b, fl, &code), [&](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::fprintf(stderr, "server_bench: %s\n", ex.what());
    }
    code = 1;
    ioc.stop();
  });
  ioc.run();
  std::fflush(stdout);
  return code;
}

// ------------------------------------------------------------------------------------------
// The raw limit: the rows kefu's store writes for one buyer message (dedupe lookup, message,
// conversation row, event), inserted straight into SQLite in batched transactions with the
// same schema and pragmas.

void Check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::fprintf(stderr, "server_bench raw: %s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

void Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::fprintf(stderr, "server_bench raw: %s: %s\n", sql, err ? err : "?");
    std::exit(1);
  }
}

sqlite3_stmt* Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  Check(db, sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr), sql);
  return st;
}

void BindText(sqlite3_stmt* st, int i, const std::string& s) {
  sqlite3_bind_text(st, i, s.data(), int(s.size()), SQLITE_TRANSIENT);
}

std::string RandomId(std::mt19937_64& rng, const char* prefix) {
  static constexpr char kAlpha[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string s(prefix);
  for (int i = 0; i < 20; ++i) s += kAlpha[rng() % 36];
  return s;
}

int Raw(const Flags& fl) {
  const std::string dir = fl.Need("dir");
  const std::string sync = fl.Str("sync", "full");
  const double seconds = fl.Num("seconds", 4);
  const int batch = int(fl.Num("batch", 1000));
  const int buyers = int(fl.Num("buyers", 2000));
  std::string data;
  if (auto sample = fl.Str("sample"); !sample.empty()) {
    std::ifstream f(sample);
    std::stringstream ss;
    ss << f.rdbuf();
    data = ss.str();
  }
  if (data.empty()) data = std::string(900, 'x');  // about the size of a message.created event
  const std::string path = dir + "/raw.db";
  std::remove(path.c_str());
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "server_bench raw: cannot open %s\n", path.c_str());
    return 1;
  }
  Exec(db, "PRAGMA journal_mode=WAL");
  Exec(db, sync == "normal" ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL");
  Exec(db, "PRAGMA foreign_keys=ON");
  // The store's writer cache (src/store/store.cc), so both keep the same working set in memory.
  Exec(db, ("PRAGMA cache_size=-" + fl.Str("cache-kib", "65536")).c_str());
  // The tables a buyer message touches, as src/store/store.cc's migrations leave them.
  Exec(db, R"sql(
CREATE TABLE conversations (
  id TEXT PRIMARY KEY, shop_id TEXT NOT NULL, buyer TEXT NOT NULL, status TEXT NOT NULL,
  agent_id TEXT, skill TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  waiting_since INTEGER, last_agent_id TEXT, last_agent_at INTEGER NOT NULL DEFAULT 0,
  transfer_note TEXT, last_text TEXT, last_from TEXT, last_ts INTEGER NOT NULL DEFAULT 0,
  unread INTEGER NOT NULL DEFAULT 0, UNIQUE (shop_id, buyer));
CREATE TABLE messages (
  seq INTEGER PRIMARY KEY, id TEXT NOT NULL,
  conversation_id TEXT NOT NULL, shop_id TEXT NOT NULL, buyer TEXT NOT NULL,
  sender TEXT NOT NULL, agent_id TEXT, text TEXT NOT NULL, ts INTEGER NOT NULL,
  client_msg_id TEXT, order_id TEXT, dedupe_key TEXT, prev_seq INTEGER);
CREATE TABLE message_heads (conversation_id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX messages_by_shop_time ON messages (shop_id, ts);
CREATE UNIQUE INDEX messages_by_dedupe_key ON messages (dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE TABLE events (
  seq INTEGER PRIMARY KEY, type TEXT NOT NULL, shop_id TEXT NOT NULL,
  agent_id TEXT, buyer TEXT, buyer_visible INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL,
  ts INTEGER NOT NULL);
CREATE INDEX events_by_shop ON events (shop_id, seq);
)sql");
  auto find = Prepare(db, "SELECT seq, id, conversation_id, shop_id, buyer, sender, agent_id, text, ts, client_msg_id, order_id FROM messages WHERE dedupe_key = ?");
  auto ins_msg = Prepare(db, "INSERT INTO messages (id, conversation_id, shop_id, buyer, sender, agent_id, text, ts, client_msg_id, order_id, dedupe_key, prev_seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
  auto find_head = Prepare(db, "SELECT last_seq FROM message_heads WHERE conversation_id = ?");
  auto save_head = Prepare(db, "INSERT INTO message_heads (conversation_id, last_seq) VALUES (?,?) "
                               "ON CONFLICT (conversation_id) DO UPDATE SET last_seq = excluded.last_seq");
  auto save_conv = Prepare(db, "INSERT INTO conversations (id, shop_id, buyer, status, agent_id, skill, created_at, updated_at, waiting_since, last_agent_id, last_agent_at, transfer_note, last_text, last_from, last_ts, unread) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                               "ON CONFLICT (id) DO UPDATE SET status = excluded.status, agent_id = excluded.agent_id, skill = excluded.skill, updated_at = excluded.updated_at, waiting_since = excluded.waiting_since, last_agent_id = excluded.last_agent_id, last_agent_at = excluded.last_agent_at, transfer_note = excluded.transfer_note, last_text = excluded.last_text, last_from = excluded.last_from, last_ts = excluded.last_ts, unread = excluded.unread");
  auto ins_event = Prepare(db, "INSERT INTO events (type, shop_id, agent_id, buyer, buyer_visible, data, ts) VALUES (?,?,?,?,?,?,?)");

  std::mt19937_64 rng(42);
  const std::string shop = "s_benchshop0000000000000";
  std::vector<std::string> conv_ids, agent_ids;
  for (int i = 0; i < 20; ++i) agent_ids.push_back(RandomId(rng, "u_"));
  for (int i = 0; i < buyers; ++i) conv_ids.push_back(RandomId(rng, "c_"));
  std::vector<int> unread(size_t(buyers), 0);
  const int64_t base_ts = 1'790'000'000'000'000;
  auto step = [&](sqlite3_stmt* st, const char* what) {
    const int rc = sqlite3_step(st);
    Check(db, rc, what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  };
  uint64_t n = 0;
  const double cpu0 = SelfCpuSeconds(), machine0 = MachineBusySeconds();
  const int64_t t0 = NowNs(), t_end = t0 + int64_t(seconds * 1e9);
  while (NowNs() < t_end) {
    Exec(db, "BEGIN IMMEDIATE");
    for (int k = 0; k < batch; ++k, ++n) {
      const size_t c = size_t(n % uint64_t(buyers));
      const std::string buyer = "bench-buyer-" + std::to_string(c);
      const std::string text = kTexts[n % std::size(kTexts)];
      const std::string cmid = "bm" + std::to_string(n);
      const std::string dedupe = "b\x1f" + shop + "\x1f" + cmid;
      const int64_t ts = base_ts + int64_t(n);
      BindText(find, 1, dedupe);
      step(find, "dedupe lookup");
      // Time-ordered like the store's ids (core::NewSortableId): a time prefix, then random.
      char time_prefix[24];
      std::snprintf(time_prefix, sizeof time_prefix, "%010llx", (unsigned long long)(ts / 1000));
      BindText(ins_msg, 1, "m_" + std::string(time_prefix) + RandomId(rng, "").substr(0, 10));
      BindText(ins_msg, 2, conv_ids[c]);
      BindText(ins_msg, 3, shop);
      BindText(ins_msg, 4, buyer);
      BindText(ins_msg, 5, "buyer");
      sqlite3_bind_null(ins_msg, 6);
      BindText(ins_msg, 7, text);
      sqlite3_bind_int64(ins_msg, 8, ts);
      BindText(ins_msg, 9, cmid);
      sqlite3_bind_null(ins_msg, 10);
      BindText(ins_msg, 11, dedupe);
      BindText(find_head, 1, conv_ids[c]);
      const int head_rc = sqlite3_step(find_head);
      Check(db, head_rc, "find head");
      if (head_rc == SQLITE_ROW) sqlite3_bind_int64(ins_msg, 12, sqlite3_column_int64(find_head, 0));
      else sqlite3_bind_null(ins_msg, 12);
      sqlite3_reset(find_head);
      step(ins_msg, "insert message");
      BindText(save_head, 1, conv_ids[c]);
      sqlite3_bind_int64(save_head, 2, sqlite3_last_insert_rowid(db));
      step(save_head, "save head");
      const std::string& agent = agent_ids[c % agent_ids.size()];
      BindText(save_conv, 1, conv_ids[c]);
      BindText(save_conv, 2, shop);
      BindText(save_conv, 3, buyer);
      BindText(save_conv, 4, "open");
      BindText(save_conv, 5, agent);
      BindText(save_conv, 6, "presale");
      sqlite3_bind_int64(save_conv, 7, base_ts);
      sqlite3_bind_int64(save_conv, 8, ts);
      sqlite3_bind_int64(save_conv, 9, base_ts);
      sqlite3_bind_null(save_conv, 10);
      sqlite3_bind_int64(save_conv, 11, 0);
      sqlite3_bind_null(save_conv, 12);
      BindText(save_conv, 13, text);
      BindText(save_conv, 14, "buyer");
      sqlite3_bind_int64(save_conv, 15, ts);
      sqlite3_bind_int64(save_conv, 16, ++unread[c]);
      step(save_conv, "save conversation");
      BindText(ins_event, 1, "message.created");
      BindText(ins_event, 2, shop);
      BindText(ins_event, 3, agent);
      BindText(ins_event, 4, buyer);
      sqlite3_bind_int64(ins_event, 5, 0);
      BindText(ins_event, 6, data);
      sqlite3_bind_int64(ins_event, 7, ts);
      step(ins_event, "insert event");
    }
    Exec(db, "COMMIT");
  }
  const double secs = double(NowNs() - t0) / 1e9;
  const double rate = double(n) / secs;
  const double self_cpu = (SelfCpuSeconds() - cpu0) / secs;
  const double rest = std::max(0.0, (MachineBusySeconds() - machine0) / secs - self_cpu);
  for (auto* st : {find, ins_msg, find_head, save_head, save_conv, ins_event}) sqlite3_finalize(st);
  sqlite3_close(db);
  std::printf("raw sqlite limit: %s msg/s   [same rows per message: dedupe lookup + message linked to the last one + conversation "
              "upsert + %zu-byte event; batches of %d, WAL, synchronous=%s, one thread, %s messages in %.1f s; cpu: %.2f cores = %.1f us per message, rest of machine %.2f]\n",
              Thousands(rate).c_str(), data.size(), batch, sync.c_str(), Thousands(double(n)).c_str(), secs,
              self_cpu, self_cpu * secs * 1e6 / double(n), rest);
  if (auto k = fl.Str("kefu-rate"); !k.empty()) {
    const double ratio = std::stod(k) / rate;
    std::printf("kefu / raw sqlite: %s (target >= 0.5) %s   [kefu %s msg/s with HTTP, routing, JSON and socket fan-out]\n",
                Fixed(ratio, 2).c_str(), ratio >= 0.5 ? "ok" : "BELOW TARGET", Thousands(std::stod(k)).c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || (std::string(argv[1]) != "load" && std::string(argv[1]) != "raw")) {
    std::fprintf(stderr, "usage: server_bench load|raw --flag value ... (see the comment atop server_bench.cc)\n");
    return 2;
  }
  const Flags fl = Flags::Parse(argc, argv, 2);
  return std::string(argv[1]) == "load" ? Load(fl) : Raw(fl);
}
