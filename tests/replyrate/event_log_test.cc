// The event-log reader: the line scanners against the full JSON parse on usual and unusual
// lines, and LogCounter (parallel, buyers shared out between threads) against one Calculator
// fed line by line: same counts for unsorted logs with ties, the first bad line named.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "replyrate/replyrate.h"

namespace rr = kefu::replyrate;
using kefu::core::Timestamp;

namespace {

struct Parsed {
  bool ok = false;     // parsed (event or blank)
  bool event = false;  // an event (not a blank line)
  std::string error, shop, buyer;
  rr::Sender from = rr::Sender::kBuyer;
  Timestamp ts;

  bool operator==(const Parsed&) const = default;
};

Parsed ParseWith(rr::EventLineParser& p, const std::string& line) {
  Parsed out;
  rr::Event ev;
  auto r = p.Parse(line, &ev);
  if (!r.ok()) {
    out.error = r.status().message();
    return out;
  }
  out.ok = true;
  out.event = *r;
  if (*r) {
    out.shop = std::string(ev.shop);
    out.buyer = std::string(ev.buyer);
    out.from = ev.from;
    out.ts = ev.ts;
  }
  return out;
}

std::string Describe(const Parsed& p) {
  if (!p.ok) return "error: " + p.error;
  if (!p.event) return "blank";
  return p.shop + "/" + p.buyer + "/" + std::string(rr::SenderName(p.from)) + "/" +
         std::to_string(p.ts.time_since_epoch().count());
}

// Random event lines, mostly well formed, in many shapes: key orders, white space, unknown
// fields of every JSON type, escapes, odd time stamps, Chinese text, and broken lines.
class LineMaker {
 public:
  explicit LineMaker(uint32_t seed) : rng_(seed) {}

  std::string Make() {
    std::vector<std::string> fields;
    const bool broken_field = Pick(20) == 0;
    if (Pick(30) != 0) fields.push_back(Field("ts", Ts()));
    if (Pick(30) != 0) fields.push_back(Field("shop", Name("shop")));
    if (Pick(30) != 0) fields.push_back(Field("buyer", Name("b")));
    if (Pick(30) != 0) fields.push_back(Field("from", From()));
    for (int n = int(Pick(4)); n > 0; --n) fields.push_back(Unknown());
    if (broken_field) fields.push_back(kBroken[Pick(std::size(kBroken))]);
    std::shuffle(fields.begin(), fields.end(), rng_);
    std::string line = Ws() + "{" + Ws();
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i) line += Ws() + "," + Ws();
      line += fields[i];
    }
    line += Ws() + "}" + Ws();
    switch (Pick(40)) {
      case 0: line.pop_back(); break;                       // cut
      case 1: line += " {}"; break;                         // trailing garbage
      case 2: line = "[" + line + "]"; break;               // not an object
      case 3: line = Ws(); break;                           // blank
      case 4: line.insert(line.size() / 2, "\xff"); break;  // bad UTF-8
      case 5: line.insert(line.size() / 2, "\n"); break;    // a newline inside
      default: break;
    }
    return line;
  }

 private:
  static constexpr const char* kBroken[] = {
      R"("x": 01)", R"("x": -)", R"("x": 1.)", R"("x": .5)", R"("x": tru)", R"("x": nul)",
      R"("x": "a\q")", R"("x": "a\u12")", "\"x\": \"a\tb\"", R"("x" 1)", R"("x": )",
      R"("x": [1, 2)", R"(x: 1)", R"("x": 1,)", R"("ts": 5)", R"("shop": null)",
      R"("buyer": ["b"])", R"("from": {"a": 1})", R"("x": 1e)", R"("x": +1)"};

  uint32_t Pick(uint32_t n) { return uint32_t(rng_() % n); }

  std::string Ws() {
    switch (Pick(12)) {
      case 0: return " ";
      case 1: return "  ";
      case 2: return "\t";
      case 3: return "\r";
      case 4: return " \t ";
      default: return "";
    }
  }

  std::string Field(const std::string& key, const std::string& value) {
    std::string k = "\"" + key + "\"";
    if (Pick(40) == 0) {  // the same key written with an escape
      k = "\"" + key.substr(0, 1) + "\\u00" + (key[1] == 's' ? "73" : key[1] == 'h' ? "68" : key[1] == 'u' ? "75" : "72") +
          key.substr(2) + "\"";
    }
    return k + Ws() + ":" + Ws() + value;
  }

  std::string Ts() {
    static constexpr const char* kTs[] = {
        "2026-03-05T09:00:00+08:00", "2026-03-05T01:00:00Z", "2026-03-05T09:00:00.250+08:00",
        "2026-03-04T20:00:00-05:00", "2026-03-05t09:00:00+08:00", "2026-03-05 09:00:00+08:00",
        "2026-03-05T09:00:00z",      "2026-03-05T09:00:60+08:00", "2026-02-29T09:00:00+08:00",
        "2028-02-29T09:00:00+08:00", "2026-03-05T24:00:00+08:00", "2026-03-05T09:00:00",
        "2026-3-5T09:00:00+08:00",   "2026-03-05T09:00:00+0800",  "0000-01-01T00:00:00Z",
        "2026-03-05T09:00:00+24:00", "2026-03-05T09:00:00.+08:00", "2026-03-05T09:07:30+05:45"};
    if (Pick(3) == 0) return "\"" + std::string(kTs[Pick(std::size(kTs))]) + "\"";
    char buf[40];
    std::snprintf(buf, sizeof buf, "\"2026-03-%02uT%02u:%02u:%02u+08:00\"", 1 + Pick(28), Pick(24),
                  Pick(60), Pick(60));
    return buf;
  }

  std::string Name(const std::string& prefix) {
    switch (Pick(25)) {
      case 0: return "\"\"";
      case 1: return "\"" + prefix + "\\u0031\"";             // escape in a field we read
      case 2: return "\"" + prefix + "小蜜蜂\"";
      case 3: return "\"" + prefix + "-a-rather-long-identifier-0123456789\"";
      case 4: return "\"" + prefix + "\\\"q\"";
      default: return "\"" + prefix + std::to_string(Pick(5)) + "\"";
    }
  }

  std::string From() {
    static constexpr const char* kFrom[] = {"buyer", "agent", "robot", "auto", "system",
                                            "Buyer", "boss",  "",      "agents", "bu\\u0079er"};
    const uint32_t k = Pick(40);
    return "\"" + std::string(kFrom[k < 30 ? k % 5 : k - 30]) + "\"";
  }

  std::string Unknown() {
    static constexpr const char* kValues[] = {
        "0", "-12", "3.25", "-0.5e+10", "1E3", "true", "false", "null", R"("")", R"("在吗？这件外套有M码吗")",
        R"("a\"b\\c\/d\b\f\n\r\t")", R"("\u4e2d\u6587")", R"({"x": [1, {"y": "z"}]})", "[]",
        R"(["a", 1, null])", R"("亲，M码有货的哦，可以放心拍 — 48小时内发货")"};
    static constexpr const char* kKeys[] = {"text", "agent", "seq", "order_id", "中文", "t", "tss"};
    if (Pick(8) == 0) {  // a long text: past the quick scanner's 256 bytes, escapes here and there
      static constexpr const char* kPieces[] = {"亲", "，", "M码", "有货", " ", "ok", "\\n", "\\\"", "\\u4e2d", "😀"};
      std::string v = "\"text\":\"";
      for (uint32_t n = 10 + Pick(200); n > 0; --n) v += kPieces[Pick(std::size(kPieces))];
      return v + "\"";
    }
    return "\"" + std::string(kKeys[Pick(std::size(kKeys))]) + "\"" + Ws() + ":" + Ws() +
           kValues[Pick(std::size(kValues))];
  }

  std::mt19937 rng_;
};

TEST(EventLineParser, ScannersAgreeWithTheFullParseOnRandomLines) {
  rr::EventLineParser fast, full(false);
  LineMaker maker(11);
  int events = 0, errors = 0;
  for (int i = 0; i < 60000; ++i) {
    const std::string line = maker.Make();
    const Parsed a = ParseWith(fast, line), b = ParseWith(full, line);
    ASSERT_EQ(a, b) << "line: " << line << "\n scanner: " << Describe(a) << "\n full: " << Describe(b);
    events += a.event;
    errors += !a.ok;
  }
  // Both kinds must be well represented, and most lines must not need the full parse.
  EXPECT_GT(events, 20000);
  EXPECT_GT(errors, 10000);
  EXPECT_LT(fast.full_parses(), 60000u * 3 / 4);
}

// Runs of lines that share their layout and differ in their values (the scanner learns such
// layouts): values of every kind in every place, tricky ones included.
TEST(EventLineParser, LinesOfOneLayoutWithAnyValuesAgreeWithTheFullParse) {
  // T ts, S shop, B buyer, F from, X anything else.
  static constexpr const char* kLayouts[] = {
      R"({"seq":X,"ts":T,"shop":S,"buyer":B,"from":F,"text":X})",
      R"({"ts": T, "shop": S, "buyer": B, "from": F, "agent": X})",
      R"(  {"from":F,"buyer":B,"shop":S,"ts":T,"n":X}  )",
      R"({"ts":T,"shop":S,"buyer":B,"from":F,"buyer":B})"};
  static constexpr const char* kTs[] = {R"("2026-03-05T09:00:00+08:00")", R"("2026-03-05T01:00:00Z")",
                                        R"("2026-03-04T23:59:59-05:00")"};
  static constexpr const char* kShop[] = {R"("shop1")", R"("s2")", R"("小蜜蜂服饰旗舰店")"};
  static constexpr const char* kBuyer[] = {R"("b1")", R"("买家小王")", R"("b-0123456789")"};
  static constexpr const char* kFrom[] = {R"("buyer")", R"("agent")", R"("robot")", R"("auto")", R"("system")"};
  static constexpr const char* kOther[] = {"1", "-2.5e3", "true", "null", R"("在吗？这件外套有M码吗 😀")", R"("")"};
  static constexpr const char* kOdd[] = {
      R"("2026-03-05T25:00:00Z")", R"("")", R"("boss")", "01", "1.", "falsey", R"("a\"b")",
      R"("a\u0062")", R"("x"y")", R"(["b1"])", R"({"k":"v"})", R"("tab	in")", "",
      "12345678901234567890", R"(" ")", "7", R"("2026-03-05T09:00:00.5+08:00")"};
  std::mt19937 rng(23);
  auto pick = [&](const auto& list) { return list[rng() % std::size(list)]; };
  rr::EventLineParser fast, full(false);
  int events = 0, lines = 0;
  for (int run = 0; run < 400; ++run) {
    const std::string layout = kLayouts[rng() % std::size(kLayouts)];
    for (int k = 0; k < 50; ++k, ++lines) {
      std::string line;
      const bool odd = rng() % 4 == 0;  // a quarter of the lines get one odd value somewhere
      const size_t odd_at = rng() % 6;
      size_t slot = 0;
      for (char c : layout) {
        switch (c) {
          case 'T': case 'S': case 'B': case 'F': case 'X':
            if (odd && slot == odd_at) line += pick(kOdd);
            else line += c == 'T' ? pick(kTs) : c == 'S' ? pick(kShop) : c == 'B' ? pick(kBuyer) : c == 'F' ? pick(kFrom) : pick(kOther);
            ++slot;
            break;
          default:
            line += c;
        }
      }
      const Parsed a = ParseWith(fast, line), b = ParseWith(full, line);
      ASSERT_EQ(a, b) << "line: " << line << "\n scanner: " << Describe(a) << "\n full: " << Describe(b);
      events += a.event;
    }
  }
  EXPECT_GT(events, lines / 2);
  // Usual lines of a known layout never reach the full parse.
  EXPECT_LT(fast.full_parses(), uint64_t(lines) / 3);
}

TEST(EventLineParser, ReadsUsualLinesWithoutTheFullParse) {
  rr::EventLineParser p;
  rr::Event ev;
  const char* lines[] = {
      R"({"seq":1,"ts":"2026-03-02T00:00:02+08:00","shop":"shop3","buyer":"b5777","from":"buyer","text":"在吗？这件外套有M码吗"})",
      R"({"ts": "2026-03-05T09:02:00+08:00", "shop": "demo", "buyer": "b1", "from": "agent", "agent": "a1"})",
      R"(  {"from":"robot","buyer":"b2","shop":"s","ts":"2026-03-05T01:00:00Z","x":[1,2]}  )",
      R"({"ts":"2026-03-05T09:00:00+08:00","shop":"s","buyer":"b","from":"auto","text":"a\"b"})"};
  for (const char* line : lines) {
    auto r = p.Parse(line, &ev);
    ASSERT_TRUE(r.ok()) << line << ": " << r.status().message();
    EXPECT_TRUE(*r);
  }
  // The nested array is the only one the scanners leave to the full parse.
  EXPECT_EQ(p.full_parses(), 1u);
  auto r = p.Parse(R"({"ts":"2026-03-05T09:00:00+08:00","shop":"s","buyer":"b","from":"boss"})", &ev);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "\"from\" must be buyer, agent, robot, auto or system");
}

// A log with many buyers, out of order, with equal time stamps, odd lines and blank lines.
std::vector<std::string> MakeLog(uint32_t seed, int n) {
  std::mt19937 rng(seed);
  std::vector<std::string> lines;
  static constexpr const char* kFrom[] = {"buyer", "buyer", "buyer", "agent", "agent", "robot", "auto", "system"};
  for (int i = 0; i < n; ++i) {
    // Whole minutes around the window edges of 2026-03-04..06 give many ties.
    const uint32_t day = 4 + rng() % 3;
    const uint32_t minute = (rng() % 2 ? 7 * 60 + 30 : 22 * 60 + 30) + rng() % 120;
    char ts[40];
    std::snprintf(ts, sizeof ts, "2026-03-%02uT%02u:%02u:00+08:00", day, minute / 60 % 24, minute % 60);
    const std::string shop = "s" + std::to_string(rng() % 3);
    const std::string buyer = "b" + std::to_string(rng() % 400);
    const char* from = kFrom[rng() % 8];
    std::string line;
    switch (rng() % 50) {
      case 0: line = ""; break;
      case 1: line = "  \t"; break;
      case 2:  // escapes in the fields the count reads: the full parse
        line = std::string(R"({"buyer":")") + buyer + R"(\u0020","shop":")" + shop + R"(","from":")" +
               from + R"(","ts":")" + ts + R"("})";
        break;
      case 3:
        line = std::string(R"({ "ts" : ")") + ts + R"(" , "shop" : ")" + shop + R"(" , "buyer" : ")" +
               buyer + R"(" , "from" : ")" + from + R"(" , "meta" : {"k": [1, "v"]} }  )";
        break;
      default:
        line = std::string(R"({"seq":)") + std::to_string(i) + R"(,"ts":")" + ts + R"(","shop":")" + shop +
               R"(","buyer":")" + buyer + R"(","from":")" + from + R"(","text":"亲，在的哦 \"好\""})";
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

rr::Profile Pdd() {
  auto p = rr::LoadProfile(kefu::core::Platform::kPdd);
  EXPECT_TRUE(p.ok());
  return *p;
}

std::vector<std::string> ReportLines(const rr::Calculator& calc) {
  std::vector<std::string> out;
  for (const auto& r : calc.Reports(*kefu::core::ParseLocalDate("2026-03-06"), 3))
    out.push_back(rr::ReportToJson(r));
  return out;
}

TEST(LogCounter, SameCountsAsOneCalculatorForAnyThreadsAndPieces) {
  const auto lines = MakeLog(5, 60000);  // several 1 MiB blocks
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  auto tz = kefu::core::TimeZone::Load("Asia/Shanghai");
  const auto first = *kefu::core::ParseLocalDate("2026-03-01");
  const auto last = *kefu::core::ParseLocalDate("2026-03-06");
  for (bool nearly : {false, true}) {
    rr::CalculatorOptions opt;
    opt.assume_nearly_sorted = nearly;
    // The reference: every line through the full parse, one calculator.
    auto want = rr::Calculator::Create(Pdd(), *tz, first, last, opt);
    rr::EventLineParser full(false);
    for (const auto& l : lines) {
      rr::Event ev;
      auto r = full.Parse(l, &ev);
      ASSERT_TRUE(r.ok()) << l;
      if (*r) want->Add(ev.shop, ev.buyer, ev.from, ev.ts);
    }
    if (nearly) {
      EXPECT_FALSE(want->exact());  // the log is far from sorted
    }
    for (int threads : {1, 2, 3}) {
      for (size_t pieces : {size_t(1), size_t(7)}) {
        rr::LogOptions lo;
        lo.calculator = opt;
        lo.threads = threads;
        auto counter = rr::LogCounter::Create(Pdd(), *tz, first, last, lo);
        ASSERT_TRUE(counter.ok());
        // Feed in pieces cut at line ends.
        size_t at = 0;
        for (size_t k = 1; k <= pieces; ++k) {
          size_t cut = k == pieces ? text.size() : text.find('\n', text.size() * k / pieces) + 1;
          ASSERT_TRUE(counter->Feed(std::string_view(text).substr(at, cut - at)).ok());
          at = cut;
        }
        EXPECT_EQ(counter->lines(), lines.size());
        EXPECT_LT(counter->full_parses(), lines.size() / 10);
        auto got = counter->Finish();
        ASSERT_TRUE(got.ok());
        EXPECT_EQ(got->exact(), want->exact());
        EXPECT_EQ(ReportLines(*got), ReportLines(*want))
            << "threads " << threads << " pieces " << pieces << " nearly " << nearly;
      }
    }
  }
}

TEST(LogCounter, NamesTheFirstBadLineWhateverThreadFindsIt) {
  auto lines = MakeLog(9, 40000);
  // Two bad lines far apart: the first must be named, with any number of threads.
  lines[31000] = R"({"ts": "2026-03-05T09:00:00+08:00", "shop": "s", "buyer": "b", "from": "boss"})";
  lines[35000] = "{";
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  auto tz = kefu::core::TimeZone::Load("Asia/Shanghai");
  const auto day = *kefu::core::ParseLocalDate("2026-03-06");
  for (int threads : {1, 2, 4}) {
    rr::LogOptions lo;
    lo.threads = threads;
    auto counter = rr::LogCounter::Create(Pdd(), *tz, day, day, lo);
    const auto st = counter->Feed(text);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.message(), "line 31001: \"from\" must be buyer, agent, robot, auto or system");
    EXPECT_EQ(st.field(), "line");
  }
  // Lines are numbered on across Feed calls.
  rr::LogOptions lo;
  lo.threads = 2;
  auto counter = rr::LogCounter::Create(Pdd(), *tz, day, day, lo);
  ASSERT_TRUE(counter->Feed("\n{\"ts\":\"2026-03-06T09:00:00+08:00\",\"shop\":\"s\",\"buyer\":\"b\",\"from\":\"buyer\"}\n").ok());
  const auto st = counter->Feed("\n\nnot json\n");
  EXPECT_EQ(st.message(), "line 5: not a JSON object");
}

TEST(LogCounter, LastLineWithoutNewlineAndCrLf) {
  auto tz = kefu::core::TimeZone::Load("Asia/Shanghai");
  const auto day = *kefu::core::ParseLocalDate("2026-03-05");
  const std::string text =
      "{\"ts\":\"2026-03-05T09:00:00+08:00\",\"shop\":\"s\",\"buyer\":\"b1\",\"from\":\"buyer\"}\r\n"
      "{\"ts\":\"2026-03-05T09:01:00+08:00\",\"shop\":\"s\",\"buyer\":\"b1\",\"from\":\"agent\"}\r\n"
      "{\"ts\":\"2026-03-05T09:00:00+08:00\",\"shop\":\"s\",\"buyer\":\"b2\",\"from\":\"buyer\"}";
  for (int threads : {1, 2}) {
    rr::LogOptions lo;
    lo.threads = threads;
    auto counter = rr::LogCounter::Create(Pdd(), *tz, day, day, lo);
    ASSERT_TRUE(counter->Feed(text).ok());
    EXPECT_EQ(counter->lines(), 3u);
    auto calc = counter->Finish();
    const auto c = calc->Counts("s", day);
    EXPECT_EQ(c.consulting_buyers, 2);
    EXPECT_EQ(c.answered[0], 1);
  }
}

TEST(Calculator, MergeRefusesABuyerCountedTwice) {
  auto tz = kefu::core::TimeZone::Load("Asia/Shanghai");
  const auto day = *kefu::core::ParseLocalDate("2026-03-05");
  auto a = rr::Calculator::Create(Pdd(), *tz, day, day);
  auto b = rr::Calculator::Create(Pdd(), *tz, day, day);
  const Timestamp t = tz->At(day, std::chrono::hours(9));
  a->Add("s", "b1", rr::Sender::kBuyer, t);
  b->Add("s", "b2", rr::Sender::kBuyer, t);
  b->Add("s", "b2", rr::Sender::kAgent, t + std::chrono::minutes(2));
  b->Add("t", "b1", rr::Sender::kBuyer, t);
  ASSERT_TRUE(a->Merge(std::move(*b)).ok());
  EXPECT_EQ(a->Counts("s", day).consulting_buyers, 2);
  EXPECT_EQ(a->Counts("s", day).answered[0], 1);
  EXPECT_EQ(a->Shops(), (std::vector<std::string>{"s", "t"}));
  auto c = rr::Calculator::Create(Pdd(), *tz, day, day);
  c->Add("s", "b1", rr::Sender::kAgent, t);
  EXPECT_FALSE(a->Merge(std::move(*c)).ok());
  auto other_days = rr::Calculator::Create(Pdd(), *tz, day, *kefu::core::ParseLocalDate("2026-03-06"));
  EXPECT_FALSE(a->Merge(std::move(*other_days)).ok());
}

}  // namespace
