// `kefu metrics reply-rate`: reply rates of every shop in an event log (JSON lines), exactly as
// the platform counts them. A file is mapped and counted by replyrate::LogCounter on every core
// (a specialised line scanner, buyers shared out between threads); a pipe is read in big blocks.
// The calculators keep state per buyer, never per event.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

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
    "[--exact] [--threads N]";

// Counts a stream (a pipe) read in big blocks; whole lines go to the counter.
core::Result<rr::Calculator> CountStream(int fd, const rr::Profile& profile,
                                         const core::TimeZone& tz, core::LocalDate first,
                                         core::LocalDate last, rr::LogOptions options) {
  constexpr size_t kBlock = 16u << 20;
  KEFU_ASSIGN_OR_RETURN(auto counter, rr::LogCounter::Create(profile, tz, first, last, options));
  auto buf = std::make_unique_for_overwrite<char[]>(kBlock);
  size_t have = 0;  // bytes of buf holding an unfinished line carried over
  for (;;) {
    ssize_t n = 0;
    while (have < kBlock) {
      n = ::read(fd, buf.get() + have, kBlock - have);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      have += size_t(n);
    }
    if (n < 0)
      return core::InvalidArgument("line " + std::to_string(counter.lines() + 1) +
                                   ": read error: " + std::strerror(errno));
    const bool eof = n == 0;
    size_t whole = have;
    if (!eof) {
      const char* nl = static_cast<const char*>(::memrchr(buf.get(), '\n', have));
      if (!nl)
        return core::InvalidArgument("line " + std::to_string(counter.lines() + 1) +
                                     ": line longer than 16 MiB");
      whole = size_t(nl - buf.get()) + 1;
    }
    KEFU_TRY(counter.Feed(std::string_view(buf.get(), whole)));
    std::memmove(buf.get(), buf.get() + whole, have - whole);
    have -= whole;
    if (eof) break;
  }
  return counter.Finish();
}

// Counts the file through a read-only mapping (no copy); pages already counted are dropped from
// the resident set as the count moves on, so memory stays flat for any file size.
core::Result<rr::Calculator> CountMapped(int fd, size_t size, const rr::Profile& profile,
                                         const core::TimeZone& tz, core::LocalDate first,
                                         core::LocalDate last, rr::LogOptions options) {
  void* m = size ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : nullptr;
  if (m == MAP_FAILED) {  // e.g. a file system without mmap: read it like a stream
    if (::lseek(fd, 0, SEEK_SET) != 0) return core::Unavailable("cannot re-read the file");
    return CountStream(fd, profile, tz, first, last, std::move(options));
  }
  char* base = static_cast<char*>(m);
  if (size) ::madvise(base, size, MADV_SEQUENTIAL);
  size_t dropped = 0;
  options.released = [&](size_t offset) {
    const size_t to = offset & ~size_t(4095);
    if (to > dropped) ::madvise(base + dropped, to - dropped, MADV_DONTNEED);
    dropped = std::max(dropped, to);
  };
  auto counter = rr::LogCounter::Create(profile, tz, first, last, options);
  core::Status st = counter.ok() ? counter->Feed(std::string_view(base, size)) : counter.status();
  if (size) ::munmap(m, size);
  KEFU_TRY(st);
  return counter->Finish();
}

int ReplyRate(const std::vector<std::string>& argv) {
  auto parsed = Args::Parse(argv, {"events", "date", "days", "platform", "shop", "tz", "profile", "threads"},
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

  // Default: every core, up to 8 (hardware_concurrency() is 0 when unknown).
  int threads = std::clamp(int(std::thread::hardware_concurrency()), 1, 8);
  if (auto t = args.Get("threads")) {
    char* end = nullptr;
    const long v = std::strtol(t->c_str(), &end, 10);
    if (t->empty() || *end || v < 1 || v > 64) return UsageError(kCmd, "--threads must be 1..64");
    threads = int(v);
  }

  const bool from_stdin = *events == "-";
  int fd = from_stdin ? 0 : ::open(events->c_str(), O_RDONLY);
  if (fd < 0) return UsageError(kCmd, "--events: cannot open " + *events + ": " + std::strerror(errno));
  struct stat st {};
  const bool seekable = !from_stdin && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);

  // A regular file is read assuming near time order (memory per buyer only); if that assumption
  // fails the file is read again exactly. A pipe cannot be re-read: count exactly at once.
  rr::LogOptions options;
  options.calculator.assume_nearly_sorted = seekable && !args.Has("exact");
  options.only_shop = only_shop;
  options.threads = threads;
  std::optional<rr::Calculator> calc;
  for (int pass = 0; pass < 2; ++pass) {
    auto c = seekable ? CountMapped(fd, size_t(st.st_size), *profile, *tz, first, *date, options)
                      : CountStream(fd, *profile, *tz, first, *date, options);
    if (!c.ok()) {
      if (!from_stdin) ::close(fd);
      return UsageError(kCmd, *events + ": " + c.status().message());
    }
    calc.emplace(std::move(*c));
    if (calc->exact() || !seekable) break;
    options.calculator.assume_nearly_sorted = false;
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
