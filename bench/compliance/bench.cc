// Compliance guard throughput (MB/s, one thread, normalisation on) and per-message latency
// (p50/p99 for ~200-character messages) over a corpus file, one message per line.
// usage: compliance_bench CORPUS [--custom-words N]  -> prints "kefu <MB/s> <p99 us> hits=<n>
// cpu_mbs=<MB/s>": wall-clock throughput and p99, and throughput per second of this thread's CPU
// time (the figure that stays meaningful when other processes share the core). With
// --custom-words N the checks carry a shop's N custom block words (half of them starting with 亲,
// the commonest first character of 客服 text: a near-worst case for the first-character index)
// and the line is labelled "kefu_custom<N>".
#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "compliance/compliance.h"

int main(int argc, char** argv) {
  if (argc != 2 && !(argc == 4 && std::string(argv[2]) == "--custom-words")) {
    std::fprintf(stderr, "usage: compliance_bench CORPUS [--custom-words N]\n");
    return 2;
  }
  const int custom_n = argc == 4 ? std::atoi(argv[3]) : 0;
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "compliance_bench: cannot open %s\n", argv[1]);
    return 2;
  }
  std::vector<std::string> lines;
  size_t bytes = 0;
  for (std::string l; std::getline(in, l);) {
    bytes += l.size() + 1;
    if (!l.empty()) lines.push_back(std::move(l));
  }
  auto guard = kefu::compliance::Guard::Create();
  if (!guard.ok()) {
    std::fprintf(stderr, "compliance_bench: %s\n", guard.status().ToString().c_str());
    return 1;
  }
  const auto& g = **guard;
  kefu::compliance::CustomWords words;
  for (int i = 0; i < custom_n; ++i) words.block.push_back((i % 2 ? "亲店铺禁用词" : "店铺禁用词") + std::to_string(i));
  const kefu::compliance::CustomWordSet set(words);
  auto check = [&](const std::string& text) {
    return custom_n > 0 ? g.Check(text, kefu::core::Platform::kPdd, set) : g.Check(text, kefu::core::Platform::kPdd);
  };
  using Clock = std::chrono::steady_clock;
  auto cpu_now = [] {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
  };
  // Warm-up: the first check builds the character tables and the thread's buffers.
  for (size_t i = 0; i < lines.size() && i < 1000; ++i) (void)check(lines[i]);
  size_t hits = 0;
  auto t0 = Clock::now();
  double c0 = cpu_now();
  for (const auto& l : lines) {
    auto r = check(l);
    hits += (r.ok() && !r->violations.empty()) ? 1 : 0;
  }
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  double cpu_secs = cpu_now() - c0;
  std::vector<double> lat;
  for (size_t i = 0; i < lines.size() && lat.size() < 20000; ++i) {
    auto a = Clock::now();
    auto r = check(lines[i]);
    lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
    if (!r.ok()) return 1;
  }
  std::sort(lat.begin(), lat.end());
  double p99 = lat.empty() ? 0 : lat[lat.size() * 99 / 100];
  const std::string label = custom_n > 0 ? "kefu_custom" + std::to_string(custom_n) : "kefu";
  std::printf("%s %.1f %.2f hits=%zu cpu_mbs=%.1f\n", label.c_str(), bytes / 1048576.0 / secs, p99, hits,
              bytes / 1048576.0 / cpu_secs);
  return 0;
}
