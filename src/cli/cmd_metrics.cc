// `kefu metrics reply-rate`: reply rates of every shop in an event log (JSON lines), exactly as
// the platform counts them. The file is read in large blocks and each line is parsed with
// simdjson On-Demand; the calculator keeps state per buyer, never per event.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <simdjson.h>

#include "cli/cli.h"
#include "core/time_zone.h"
#include "replyrate/replyrate.h"

namespace kefu::cli {
namespace {

namespace rr = kefu::replyrate;
using namespace std::chrono_literals;

constexpr std::string_view kCmd = "metrics";
constexpr const char* kUsage =
    "usage: kefu metrics reply-rate --events FILE.jsonl|- --date YYYY-MM-DD [--days N] "
    "[--platform pdd|taobao|kuaishou|jd] [--shop ID] [--tz Asia/Shanghai] [--profile SHOP.toml] "
    "[--exact]";

// A fatal input problem at a line.
struct LineError {
  uint64_t line = 0;
  std::string message;
};

// Streams the lines of a file descriptor in big blocks into `calc`. Returns false and fills
// *err on a malformed line or a read error.
class EventReader {
 public:
  EventReader(int fd, std::string_view only_shop) : fd_(fd), only_shop_(only_shop) {}

  // Reads a regular file through a read-only mapping (no copy into a buffer); lines too close
  // to the end of the mapping for simdjson's padding are copied.
  bool RunMapped(rr::Calculator& calc, size_t size, LineError* err) {
    if (size == 0) return true;
    void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (m == MAP_FAILED) return Run(calc, err);
    ::madvise(m, size, MADV_SEQUENTIAL);
    const char* p = static_cast<const char*>(m);
    const char* end = p + size;
    const char* done = p;  // page-aligned start of the part not yet released
    bool ok = true;
    std::string tail;
    while (p < end && ok) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p)));
      if (!nl) nl = end;
      ++line_;
      const size_t len = size_t(nl - p);
      if (size_t(end - p) >= len + simdjson::SIMDJSON_PADDING) {
        ok = Line(calc, p, len, size_t(end - p), err);
      } else {
        tail.assign(p, len);
        tail.append(simdjson::SIMDJSON_PADDING, '\0');
        ok = Line(calc, tail.data(), len, tail.size(), err);
      }
      p = nl < end ? nl + 1 : end;
      // Drop what has been read from our resident set, so memory stays flat for any file size.
      if (size_t(p - done) >= (8u << 20)) {
        const size_t n = size_t(p - done) & ~size_t(4095);
        ::madvise(const_cast<char*>(done), n, MADV_DONTNEED);
        done += n;
      }
    }
    ::munmap(m, size);
    return ok;
  }

  bool Run(rr::Calculator& calc, LineError* err) {
    buf_.reset(new char[kBlock + simdjson::SIMDJSON_PADDING]);
    size_t have = 0;  // bytes of buf_ holding an unfinished line carried over
    bool eof = false;
    while (!eof) {
      ssize_t n = 0;
      while (have < kBlock) {
        n = ::read(fd_, buf_.get() + have, kBlock - have);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        have += size_t(n);
      }
      if (n < 0) {
        *err = {line_ + 1, std::string("read error: ") + std::strerror(errno)};
        return false;
      }
      eof = n == 0;
      std::memset(buf_.get() + have, 0, simdjson::SIMDJSON_PADDING);
      const char* p = buf_.get();
      const char* end = p + have;
      while (p < end) {
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p)));
        if (!nl) {
          if (!eof) break;  // carry the partial line to the next block
          nl = end;
        }
        ++line_;
        if (!Line(calc, p, size_t(nl - p), size_t(end - p) + simdjson::SIMDJSON_PADDING, err))
          return false;
        p = nl < end ? nl + 1 : end;
      }
      const size_t rest = size_t(end - p);
      if (rest == kBlock) {
        *err = {line_ + 1, "line longer than 16 MiB"};
        return false;
      }
      std::memmove(buf_.get(), p, rest);
      have = rest;
      if (eof && have == 0) break;
    }
    return true;
  }

 private:
  static constexpr size_t kBlock = 16u << 20;

  bool Line(rr::Calculator& calc, const char* p, size_t len, size_t cap, LineError* err) {
    size_t a = 0;
    while (a < len && (p[a] == ' ' || p[a] == '\t' || p[a] == '\r')) ++a;
    if (a == len) return true;  // blank line
    size_t z = len;
    while (z > a && (p[z - 1] == ' ' || p[z - 1] == '\t' || p[z - 1] == '\r')) --z;
    // On-Demand does not look past the object, so check its ends here.
    if (p[a] != '{' || p[z - 1] != '}') {
      *err = {line_, "not a JSON object"};
      return false;
    }
    auto bad = [&](std::string msg) {
      *err = {line_, std::move(msg)};
      return false;
    };
    simdjson::ondemand::document doc;
    if (parser_.iterate(p, len, cap).get(doc)) return bad("not JSON");
    simdjson::ondemand::object obj;
    if (doc.get_object().get(obj)) return bad("not a JSON object");
    std::string_view ts, shop, buyer, from;
    bool has_ts = false, has_shop = false, has_buyer = false, has_from = false;
    for (auto field_result : obj) {
      simdjson::ondemand::field field;
      if (std::move(field_result).get(field)) return bad("malformed JSON");
      std::string_view key;
      if (field.unescaped_key().get(key)) return bad("malformed JSON key");
      std::string_view* target = nullptr;
      bool* seen = nullptr;
      if (key == "ts") target = &ts, seen = &has_ts;
      else if (key == "shop") target = &shop, seen = &has_shop;
      else if (key == "buyer") target = &buyer, seen = &has_buyer;
      else if (key == "from") target = &from, seen = &has_from;
      if (!target) continue;  // unknown fields are skipped by the iterator
      if (field.value().get_string().get(*target))
        return bad("\"" + std::string(key) + "\" must be a string");
      *seen = true;
    }
    if (!has_ts) return bad("missing \"ts\"");
    if (!has_shop || shop.empty()) return bad("missing \"shop\"");
    if (!has_buyer || buyer.empty()) return bad("missing \"buyer\"");
    if (!has_from) return bad("missing \"from\"");
    const auto sender = rr::ParseSender(from);
    if (!sender) return bad("\"from\" must be buyer, agent, robot, auto or system");
    auto t = core::ParseRfc3339(ts);
    if (!t.ok()) return bad("\"ts\" is not RFC 3339 with an offset: " + std::string(ts.substr(0, 40)));
    if (!only_shop_.empty() && shop != only_shop_) return true;
    // get_string() views live in the parser's buffer until the next iterate(): Add copies them.
    calc.Add(shop, buyer, *sender, *t);
    return true;
  }

  int fd_;
  std::string_view only_shop_;
  std::unique_ptr<char[]> buf_;
  simdjson::ondemand::parser parser_;
  uint64_t line_ = 0;
};

int ReplyRate(const std::vector<std::string>& argv) {
  auto parsed = Args::Parse(argv, {"events", "date", "days", "platform", "shop", "tz", "profile"},
                            {"exact", "help"});
  if (!parsed.ok()) return UsageError(kCmd, parsed.status().message() + "\n" + kUsage);
  const Args& args = *parsed;
  if (args.Has("help")) {
    std::printf("%s\n", kUsage);
    return kExitOk;
  }
  auto events = args.Require("events");
  auto date_text = args.Require("date");
  if (!events.ok()) return UsageError(kCmd, events.status().message());
  if (!date_text.ok()) return UsageError(kCmd, date_text.status().message());
  auto date = core::ParseLocalDate(*date_text);
  if (!date.ok()) return UsageError(kCmd, "--date: " + date.status().message());
  const auto platform = core::ParsePlatform(args.Get("platform").value_or("pdd"));
  if (!platform) return UsageError(kCmd, "--platform must be pdd, taobao, kuaishou or jd");

  std::string override_toml;
  if (auto path = args.Get("profile")) {
    FILE* f = std::fopen(path->c_str(), "rb");
    if (!f) return UsageError(kCmd, "--profile: cannot open " + *path);
    char b[4096];
    size_t n;
    while ((n = std::fread(b, 1, sizeof b, f)) > 0) override_toml.append(b, n);
    std::fclose(f);
  }
  auto profile = rr::LoadProfile(*platform, override_toml);
  if (!profile.ok()) return UsageError(kCmd, profile.status().message());

  int days = profile->default_days;
  if (auto d = args.Get("days")) {
    char* end = nullptr;
    const long v = std::strtol(d->c_str(), &end, 10);
    if (d->empty() || *end || v < 1 || v > 366) return UsageError(kCmd, "--days must be 1..366");
    days = int(v);
  }
  auto tz = core::TimeZone::Load(args.Get("tz").value_or(profile->tz_name));
  if (!tz.ok()) return UsageError(kCmd, "--tz: " + tz.status().message());

  int gate_days = 0;
  for (const auto& g : profile->gates) gate_days = std::max(gate_days, g.days);
  const core::LocalDate first{std::chrono::sys_days(*date) - std::chrono::days(days - 1 + gate_days)};
  const std::string only_shop = args.Get("shop").value_or("");

  const bool from_stdin = *events == "-";
  int fd = from_stdin ? 0 : ::open(events->c_str(), O_RDONLY);
  if (fd < 0) return UsageError(kCmd, "--events: cannot open " + *events + ": " + std::strerror(errno));
  struct stat st {};
  const bool seekable = !from_stdin && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (seekable) ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  // A regular file is read assuming near time order (memory per buyer only); if that assumption
  // fails the file is read again exactly. A pipe cannot be re-read: count exactly at once.
  rr::CalculatorOptions options;
  options.assume_nearly_sorted = seekable && !args.Has("exact");
  std::optional<rr::Calculator> calc;
  for (int pass = 0; pass < 2; ++pass) {
    auto c = rr::Calculator::Create(*profile, *tz, first, *date, options);
    if (!c.ok()) return UsageError(kCmd, c.status().message());
    calc.emplace(std::move(*c));
    EventReader reader(fd, only_shop);
    LineError err;
    const bool ok = seekable ? reader.RunMapped(*calc, size_t(st.st_size), &err)
                             : reader.Run(*calc, &err);
    if (!ok) {
      if (!from_stdin) ::close(fd);
      return UsageError(kCmd, *events + ": line " + std::to_string(err.line) + ": " + err.message);
    }
    if (calc->exact() || !seekable) break;
    options.assume_nearly_sorted = false;
    if (::lseek(fd, 0, SEEK_SET) != 0) return UsageError(kCmd, "cannot re-read " + *events);
  }
  if (!from_stdin) ::close(fd);

  std::vector<rr::Report> reports;
  if (!only_shop.empty()) reports.push_back(calc->ReportFor(only_shop, *date, days));
  else reports = calc->Reports(*date, days);
  std::string out;
  for (const auto& r : reports) {
    out += rr::ReportToJson(r);
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? kExitOk : kExitUsage;
}

int Metrics(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "help") {
    std::fprintf(args.empty() ? stderr : stdout, "%s\n", kUsage);
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] != "reply-rate")
    return UsageError(kCmd, "unknown metric '" + args[0] + "' (known: reply-rate)");
  return ReplyRate(std::vector<std::string>(args.begin() + 1, args.end()));
}

}  // namespace

KEFU_COMMAND("metrics", "reply rates from an event log (kefu metrics reply-rate --help)", Metrics);

}  // namespace kefu::cli
