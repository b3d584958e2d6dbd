// Generates a realistic reply-rate event log (JSON lines, time order) for the benchmark:
//   gen_events OUT.jsonl EVENTS [BUYERS=50000] [SHOPS=3] [DAYS=30] [LAST_DAY=2026-03-31] [SEED=1]
// Buyers write in bursts of 1-3 messages mostly between 07:00 and 24:00 (+08:00); shops answer
// with an auto reply (sometimes), a robot (sometimes) and an agent after a log-normal delay
// (median ~45 s, long tail; 4% never), and conversations have 1-4 turns. "seq" (the line
// number; kefu ignores it) lets the SQL peers order equal timestamps as the file does.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

struct Ev {
  int64_t t;  // seconds since the first day's local midnight
  uint32_t buyer;
  uint8_t from;  // 0 buyer 1 agent 2 robot 3 auto 4 system
  uint8_t text;
};

const char* kFrom[] = {"buyer", "agent", "robot", "auto", "system"};
const char* kBuyerText[] = {"在吗？这件外套有M码吗", "什么时候发货呀", "可以改地址吗", "退款怎么申请",
                            "有优惠券吗", "这个能便宜点吗", "质量怎么样", "亲，发什么快递"};
const char* kShopText[] = {"亲，M码有货的哦，可以放心拍", "亲，下单后48小时内发货哦",
                           "亲，还没发货可以改的，请把完整地址发我", "您好，客服稍后回复您",
                           "亲，在订单页点申请售后就可以了", "亲，现在下单有满减哦"};

int64_t DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = unsigned(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return int64_t(era) * 146097 + int64_t(doe) - 719468;
}

void CivilFromDays(int64_t z, int* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = unsigned(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = int(yoe) + int(era) * 400 + (*m <= 2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: gen_events OUT.jsonl EVENTS [BUYERS] [SHOPS] [DAYS] [LAST_DAY] [SEED]\n");
    return 2;
  }
  const char* out = argv[1];
  const int64_t total = std::atoll(argv[2]);
  const uint32_t buyers = argc > 3 ? uint32_t(std::atoi(argv[3])) : 50000;
  const int shops = argc > 4 ? std::atoi(argv[4]) : 3;
  const int days = argc > 5 ? std::atoi(argv[5]) : 30;
  int ly = 2026, lm = 3, ld = 31;
  if (argc > 6) std::sscanf(argv[6], "%d-%d-%d", &ly, &lm, &ld);
  const unsigned seed = argc > 7 ? unsigned(std::atoi(argv[7])) : 1;
  const int64_t first_day = DaysFromCivil(ly, unsigned(lm), unsigned(ld)) - (days - 1);

  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::lognormal_distribution<double> agent_delay(std::log(45.0), 1.3);
  std::FILE* f = std::fopen(out, "wb");
  if (!f) return 2;
  std::vector<char> obuf(1 << 22);
  std::setvbuf(f, obuf.data(), _IOFBF, obuf.size());
  const int64_t per_day = total / days;
  int64_t written = 0, line = 0;
  std::vector<Ev> evs, carry;
  for (int day = 0; day < days; ++day) {
    const int64_t want = day == days - 1 ? total - written : per_day;
    evs.swap(carry);
    carry.clear();
    const int64_t base = int64_t(day) * 86400;
    while (int64_t(evs.size()) < want) {
      const uint32_t b = uint32_t(rng() % buyers);
      // Start of the conversation: mostly daytime, some at night.
      double hour = u(rng) < 0.92 ? 7 + u(rng) * 17 : u(rng) * 7;
      int64_t t = base + int64_t(hour * 3600);
      const int turns = 1 + int(rng() % 4);
      for (int k = 0; k < turns && int64_t(evs.size()) < want; ++k) {
        const int burst = 1 + int(rng() % 3);
        for (int m = 0; m < burst; ++m) {
          evs.push_back({t, b, 0, uint8_t(rng() % 8)});
          t += 2 + int64_t(rng() % 40);
        }
        if (u(rng) < 0.3) evs.push_back({t + 1, b, 3, 3});
        if (u(rng) < 0.2) evs.push_back({t + 5 + int64_t(rng() % 60), b, 2, 1});
        if (u(rng) < 0.96) {
          t += int64_t(agent_delay(rng));
          evs.push_back({t, b, 1, uint8_t(rng() % 6)});
        } else {
          t += 600;
        }
        if (u(rng) < 0.02) evs.push_back({t + 1, b, 4, 3});
        t += 30 + int64_t(rng() % 900);
      }
    }
    std::stable_sort(evs.begin(), evs.end(), [](const Ev& a, const Ev& b) { return a.t < b.t; });
    // Events past midnight go out with the next day, so the file is in time order.
    const int64_t next = base + 86400;
    if (day < days - 1) {
      auto cut = std::partition_point(evs.begin(), evs.end(), [&](const Ev& e) { return e.t < next; });
      carry.assign(cut, evs.end());
      evs.erase(cut, evs.end());
    }
    for (const Ev& e : evs) {
      const int64_t local = first_day * 86400 + e.t;
      int y;
      unsigned m, d;
      CivilFromDays(local >= 0 ? local / 86400 : (local - 86399) / 86400, &y, &m, &d);
      const int64_t s = ((local % 86400) + 86400) % 86400;
      std::fprintf(f,
                   "{\"seq\":%lld,\"ts\":\"%04d-%02u-%02uT%02d:%02d:%02d+08:00\",\"shop\":\"shop%d\",\"buyer\":\"b%u\","
                   "\"from\":\"%s\"%s,\"text\":\"%s\"}\n",
                   (long long)++line, y, m, d, int(s / 3600), int(s / 60 % 60), int(s % 60), int(e.buyer % uint32_t(shops)) + 1,
                   e.buyer, kFrom[e.from], e.from == 1 ? ",\"agent\":\"a1\"" : "",
                   e.from == 0 ? kBuyerText[e.text % 8] : kShopText[e.text % 6]);
    }
    written += int64_t(evs.size());
  }
  std::fclose(f);
  return 0;
}
