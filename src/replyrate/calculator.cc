// The streaming reply-rate calculator.
//
// Why it needs no per-event memory, sorted or not: a trigger t is answered within T exactly when
// some countable reply r comes after it with r.ts - t.ts <= T, i.e. when t lies in the union of
// the intervals [r.ts - T, r). That is a property of t alone and only ever becomes true, so each
// buyer keeps (a) per threshold the merged union of reply intervals (bounded by the window length
// / T, however many replies), (b) only the triggers not yet answered within every threshold, and
// (c) per local day the thresholds some settled trigger failed. Events may come in any order.
// With assume_nearly_sorted, a trigger older than the buyer's newest event by more than the
// longest threshold plus the tolerance can no longer be answered in time, so it is settled and
// dropped; only replies not older than the tolerance are kept (instead of intervals: a trigger
// that is out of order but not late only needs replies after it); and a day whose triggers are
// all settled and that can get no trigger in time any more moves into the shop's counts. Then
// state per buyer is only the last hour or so, in one record of four cache lines.
//
// 首问首答 turns (淘宝, 京东) depend on the order of triggers and replies, so a turn buyer keeps a
// short time-ordered buffer that is settled front-first the same way.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <type_traits>

#include "replyrate/replyrate.h"

namespace kefu::replyrate {
namespace {

// An event's place in time; equal timestamps are ordered by arrival (seq).
struct Key {
  int64_t ts = 0;
  uint64_t seq = 0;
};
inline bool operator<(Key a, Key b) { return a.ts < b.ts || (a.ts == b.ts && a.seq < b.seq); }

// Trigger keys k with lo <= k < hi are answered within the interval's threshold.
struct Cover {
  Key lo, hi;
};

void AddCover(std::vector<Cover>& v, Cover c) {
  if (v.empty() || v.back().hi < c.lo) {  // in time order: a new disjoint interval
    v.push_back(c);
    return;
  }
  if (!(c.lo < v.back().lo)) {  // overlaps or touches the last one
    if (v.back().hi < c.hi) v.back().hi = c.hi;
    return;
  }
  // Out of order: insert by lo, then merge neighbours.
  auto it = std::upper_bound(v.begin(), v.end(), c.lo, [](Key k, const Cover& x) { return k < x.lo; });
  size_t i = size_t(it - v.begin());
  if (i > 0 && !(v[i - 1].hi < c.lo)) {
    --i;
    if (v[i].hi < c.hi) v[i].hi = c.hi;
  } else {
    v.insert(v.begin() + i, c);
  }
  size_t j = i + 1;
  while (j < v.size() && !(v[i].hi < v[j].lo)) {
    if (v[i].hi < v[j].hi) v[i].hi = v[j].hi;
    ++j;
  }
  v.erase(v.begin() + i + 1, v.begin() + j);
}

bool Covered(const std::vector<Cover>& v, Key k) {
  if (v.empty() || !(k < v.back().hi)) return false;
  auto it = std::upper_bound(v.begin(), v.end(), k, [](Key k2, const Cover& x) { return k2 < x.lo; });
  if (it == v.begin()) return false;
  return k < (it - 1)->hi;
}

struct DayBits {
  uint16_t day;
  uint8_t fail;  // thresholds failed by a settled trigger of this day
};

struct Pending {
  Key key;
  uint16_t day;
  uint8_t covered;  // thresholds within which it is answered so far
};

enum : uint8_t { kTrigger = 0, kAgentReply = 1, kRobotReply = 2 };

struct TurnEvent {
  Key key;
  uint16_t day;
  uint8_t kind;
};

// A countable reply and the thresholds it may answer.
struct Reply {
  Key key;
  uint8_t mask;
};

// A vector whose first N elements live inline, in the buyer's record next to the rest of its
// state (no allocation, no extra cache miss); more spill to the heap. Trivially copyable T only.
template <typename T, uint32_t N>
class SmallVec {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  SmallVec() = default;
  SmallVec(SmallVec&& o) noexcept { Take(o); }
  SmallVec& operator=(SmallVec&& o) noexcept {
    if (this != &o) Take(o);
    return *this;
  }
  SmallVec(const SmallVec&) = delete;
  SmallVec& operator=(const SmallVec&) = delete;

  T* data() { return heap_ ? heap_.get() : inline_; }
  const T* data() const { return heap_ ? heap_.get() : inline_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool spilled() const { return heap_ != nullptr; }
  size_t heap_bytes() const { return heap_ ? cap_ * sizeof(T) : 0; }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  T& front() { return data()[0]; }
  T& back() { return data()[size_ - 1]; }
  const T& front() const { return data()[0]; }
  const T& back() const { return data()[size_ - 1]; }

  void push_back(const T& v) {
    if (size_ == cap_) Grow();
    data()[size_++] = v;
  }
  void insert_at(size_t i, const T& v) {
    if (size_ == cap_) Grow();
    T* d = data();
    std::memmove(d + i + 1, d + i, (size_ - i) * sizeof(T));
    d[i] = v;
    ++size_;
  }
  void erase_front(size_t n) {
    T* d = data();
    std::memmove(d, d + n, (size_ - n) * sizeof(T));
    size_ -= uint32_t(n);
  }
  template <typename Pred>
  void erase_if(Pred pred) {
    T* d = data();
    uint32_t k = 0;
    for (uint32_t i = 0; i < size_; ++i)
      if (!pred(d[i])) d[k++] = d[i];
    size_ = k;
  }
  void clear() { size_ = 0; }

 private:
  void Grow() {
    auto h = std::make_unique_for_overwrite<T[]>(size_t(cap_) * 2);
    std::memcpy(h.get(), data(), size_ * sizeof(T));
    heap_ = std::move(h);
    cap_ *= 2;
  }
  void Take(SmallVec& o) {
    heap_ = std::move(o.heap_);
    size_ = o.size_;
    cap_ = o.cap_;
    if (!heap_) std::memcpy(inline_, o.inline_, size_ * sizeof(T));
    o.size_ = 0;
    o.cap_ = N;
  }

  std::unique_ptr<T[]> heap_;
  uint32_t size_ = 0, cap_ = N;
  T inline_[N];
};

constexpr uint32_t kInlineName = 16;

// One buyer of one shop. Sorted 拼多多 logs touch only this record: the small vectors usually
// hold what they need inline (and in nearly-sorted mode days leave `days` once final).
struct alignas(64) Buyer {
  uint64_t hash = 0;
  uint32_t shop = 0;
  uint32_t name_len = 0;
  // Short names live here, so a lookup touches no other memory; longer ones in Impl::names.
  union {
    char name_inline[kInlineName];
    uint32_t name_off;
  };
  // The newest event in input order. Nearly-sorted mode: events older than last.ts minus the
  // tolerance ("safe_from") are late; older state is settled.
  Key last{INT64_MIN, 0};
  bool turn_open = false;  // kTurn: settled state, a turn is waiting
  uint16_t turn_day = 0;
  // Days with a trigger not yet folded into the shop's counts, sorted.
  SmallVec<DayBits, 2> days;
  SmallVec<Pending, 2> pending;  // kBuyerDay, sorted by key
  // kBuyerDay, nearly-sorted mode: replies not older than safe_from, sorted by key. A trigger
  // that comes out of order but not late only needs replies after it, all of them in here.
  SmallVec<Reply, 2> replies;
  // kBuyerDay, exact mode: per threshold the union of reply intervals (allocated on first reply).
  std::vector<std::vector<Cover>> covers;
  std::vector<TurnEvent> buf;  // kTurn, sorted by key
};
// Four cache lines; the fields a sorted 拼多多 log touches come before `covers`.
static_assert(sizeof(Buyer) == 256);

// Ids are short: a plain loop beats a call to memcmp.
inline bool SameBytes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

uint64_t Hash(uint32_t shop, std::string_view s) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t(shop) * 0xC2B2AE3D27D4EB4Full) ^ s.size();
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
  }
  uint64_t w = 0;
  std::memcpy(&w, s.data() + i, s.size() - i);
  // murmur3's finaliser: every input bit reaches the low bits used as the slot index.
  h ^= w;
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 33;
  return h;
}

int64_t Us(core::Timestamp t) { return t.time_since_epoch().count(); }

void FormatDouble(std::string* out, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string_view s(buf, size_t(r.ptr - buf));
  out->append(s);
  if (s.find_first_of(".eE") == std::string_view::npos) out->append(".0");
}

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(char(c));
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      out->append(b);
    } else {
      out->push_back(char(c));
    }
  }
  out->push_back('"');
}

}  // namespace

struct Calculator::Impl {
  Profile profile;
  CalculatorOptions options;
  core::LocalDate first_day;
  int num_days = 0;
  std::vector<std::pair<int64_t, int64_t>> windows;  // per day: [lo, hi) UTC us
  int64_t rel_lo = 0, rel_hi = 0;                    // replies outside cannot answer a trigger
  int64_t horizon = 0;
  std::vector<int64_t> limit;  // per threshold, us
  int64_t limit8[8];           // the same, INT64_MIN past the last threshold
  unsigned n_limits = 0;

  // The thresholds a reply `delay` after a trigger is within (bit per threshold).
  uint8_t Within(int64_t delay) const {
    unsigned bits = 0;
    for (unsigned i = 0; i < n_limits; ++i) bits |= unsigned(delay <= limit8[i]) << i;
    return uint8_t(bits);
  }
  uint8_t all_mask = 0, human_mask = 0, robot_mask = 0;
  uint64_t seq = 0;
  bool exact = true;

  std::vector<std::string> shops;
  std::vector<uint64_t> shop_keys;  // ShopKey of each shop
  int last_day = -1;
  std::vector<Buyer> buyers;
  std::string names;
  // Open addressing: {buyer index + 1 (0 = empty), high hash bits} so a probe rarely has to
  // touch a Buyer.
  std::vector<std::pair<uint32_t, uint32_t>> table;
  // Settled counts per shop, per day: kTurn's settled turns, kBuyerDay's final days.
  std::vector<std::vector<DayCounts>> settled;

  int TriggerDay(int64_t t) {
    // Events come mostly in time order: try the day found last first.
    if (last_day >= 0 && t >= windows[size_t(last_day)].first && t < windows[size_t(last_day)].second)
      return last_day;
    const int d = FindTriggerDay(t);
    if (d >= 0) last_day = d;
    return d;
  }

  int FindTriggerDay(int64_t t) const {
    auto it = std::upper_bound(windows.begin(), windows.end(), t,
                               [](int64_t v, const std::pair<int64_t, int64_t>& w) { return v < w.first; });
    if (it == windows.begin()) return -1;
    --it;
    return t < it->second ? int(it - windows.begin()) : -1;
  }

  // A shop's first 8 bytes and length in one word: shops are few, so comparing words finds one
  // without touching the strings (which are compared only when longer than 8 bytes).
  static uint64_t ShopKey(std::string_view shop) {
    const size_t n = shop.size();
    const char* p = shop.data();
    uint64_t k = 0;
    if (n >= 8) {
      std::memcpy(&k, p, 8);
      k &= 0x00FFFFFFFFFFFFFFull;
    } else if (n >= 4) {  // two loads that overlap when n < 8; overlapping bytes agree
      uint32_t lo, hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + n - 4, 4);
      k = lo | (uint64_t(hi) << (8 * (n - 4)));
    } else {
      for (size_t i = 0; i < n; ++i) k |= uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
    }
    return k | (uint64_t(std::min<size_t>(n, 255)) << 56);
  }

  uint32_t ShopIndex(std::string_view shop) {
    const uint64_t key = ShopKey(shop);
    for (uint32_t i = 0; i < shops.size(); ++i)
      if (shop_keys[i] == key && (shop.size() <= 7 || SameBytes(shops[i], shop))) return i;
    shops.emplace_back(shop);
    shop_keys.push_back(key);
    settled.emplace_back(size_t(num_days), EmptyCounts());
    return uint32_t(shops.size() - 1);
  }

  DayCounts EmptyCounts() const {
    DayCounts c;
    c.answered.assign(profile.thresholds.size(), 0);
    return c;
  }

  Buyer& Intern(std::string_view shop, std::string_view name) {
    bool inserted = false;
    return Intern(ShopIndex(shop), name, &inserted);
  }

  Buyer& Intern(uint32_t s, std::string_view name, bool* inserted) {
    if (buyers.size() * 2 + 2 >= table.size()) Grow();
    const size_t before = buyers.size();
    const uint32_t i = Find(s, Hash(s, name), name);
    *inserted = buyers.size() != before;
    return buyers[i];
  }

  // Keeps the table at most half full.
  void Grow() {
    std::vector<std::pair<uint32_t, uint32_t>> t(std::max<size_t>(1024, table.size() * 2));
    const size_t mask = t.size() - 1;
    for (uint32_t k = 0; k < buyers.size(); ++k) {
      size_t i = size_t(buyers[k].hash) & mask;
      while (t[i].first != 0) i = (i + 1) & mask;
      t[i] = {k + 1, uint32_t(buyers[k].hash >> 32)};
    }
    table.swap(t);
  }

  static DayBits& DayEntry(Buyer& b, uint16_t day) {
    if (b.days.empty() || b.days.back().day < day) {
      b.days.push_back({day, 0});
      return b.days.back();
    }
    auto it = std::lower_bound(b.days.begin(), b.days.end(), day,
                               [](const DayBits& d, uint16_t v) { return d.day < v; });
    if (it != b.days.end() && it->day == day) return *it;
    const size_t at = size_t(it - b.days.begin());
    b.days.insert_at(at, DayBits{day, 0});
    return b.days[at];
  }

  // What an event does before its buyer is known: -2 nothing (auto, system, a robot that does
  // not count, a trigger outside every window or a reply too far from them), -1 a reply, else
  // the trigger's day.
  int Classify(Sender from, int64_t t) {
    if (from == Sender::kAuto || from == Sender::kSystem) return -2;
    if (from == Sender::kRobot && !profile.robot_counts) return -2;
    if (from == Sender::kBuyer) {
      const int day = TriggerDay(t);
      return day < 0 ? -2 : day;
    }
    return t < rel_lo || t > rel_hi ? -2 : -1;
  }

  void Add(std::string_view shop, std::string_view buyer, Sender from, core::Timestamp ts) {
    const uint64_t my_seq = ++seq;
    const int64_t t = Us(ts);
    const int day = Classify(from, t);
    if (day == -2) return;
    Apply(Intern(shop, buyer), Key{t, my_seq}, from, day);
  }

  // Add for many events. Looking a buyer up costs a chain of cache misses (table slot, buyer
  // record, its vectors), each needing the one before. Here events go in groups, one link of
  // the chain per pass over the group, so the misses of a group's events overlap.
  void AddBatch(std::span<const Event> events) {
    constexpr size_t kGroup = 64;
    struct Ahead {
      uint64_t hash;
      uint32_t shop;
      uint32_t buyer;
      int day;
      int64_t t;
    };
    Ahead ahead[kGroup];
    for (size_t base = 0; base < events.size(); base += kGroup) {
      const size_t n = std::min(kGroup, events.size() - base);
      const Event* ev = events.data() + base;
      // Room for every event of the group to be a new buyer: the table does not move below.
      if ((buyers.size() + n) * 2 + 2 >= table.size()) Grow();
      const size_t mask = table.size() - 1;
      for (size_t i = 0; i < n; ++i) {  // shop and hash: fetch the table slot
        Ahead& a = ahead[i];
        a.t = Us(ev[i].ts);
        a.day = Classify(ev[i].from, a.t);
        if (a.day == -2) continue;
        a.shop = ShopIndex(ev[i].shop);
        a.hash = Hash(a.shop, ev[i].buyer);
        __builtin_prefetch(&table[size_t(a.hash) & mask]);
      }
      for (size_t i = 0; i < n; ++i) {  // the likely buyer record (first slot with its tag)
        const Ahead& a = ahead[i];
        if (a.day == -2) continue;
        const uint32_t tag = uint32_t(a.hash >> 32);
        for (size_t k = size_t(a.hash) & mask; table[k].first != 0; k = (k + 1) & mask) {
          if (table[k].second != tag) continue;
          const char* b = reinterpret_cast<const char*>(&buyers[table[k].first - 1]);
          for (size_t off = 0; off < sizeof(Buyer); off += 64) __builtin_prefetch(b + off);
          break;
        }
      }
      for (size_t i = 0; i < n; ++i) {  // find (or add) the buyer; fetch what it will touch
        Ahead& a = ahead[i];
        if (a.day == -2) continue;
        a.buyer = Find(a.shop, a.hash, ev[i].buyer);
        const Buyer& b = buyers[a.buyer];
        if (b.pending.spilled()) __builtin_prefetch(&b.pending.back());
        if (b.days.spilled()) __builtin_prefetch(&b.days.back());
        if (b.replies.spilled()) __builtin_prefetch(&b.replies.front());
        if (!b.buf.empty()) __builtin_prefetch(&b.buf.back());
      }
      for (size_t i = 0; i < n; ++i) {  // count, in input order
        const uint64_t my_seq = ++seq;
        if (ahead[i].day != -2) Apply(buyers[ahead[i].buyer], Key{ahead[i].t, my_seq}, ev[i].from, ahead[i].day);
      }
    }
  }

  // The buyer's index, added when new. The table must have room (see Grow).
  uint32_t Find(uint32_t s, uint64_t h, std::string_view name) {
    const size_t mask = table.size() - 1;
    const uint32_t tag = uint32_t(h >> 32);
    size_t i = size_t(h) & mask;
    while (table[i].first != 0) {
      if (table[i].second == tag) {
        const Buyer& b = buyers[table[i].first - 1];
        if (b.hash == h && b.shop == s && SameBytes(NameOf(b), name)) return table[i].first - 1;
      }
      i = (i + 1) & mask;
    }
    Buyer b;
    b.shop = s;
    b.hash = h;
    SetName(b, name);
    buyers.push_back(std::move(b));
    table[i] = {uint32_t(buyers.size()), tag};
    return uint32_t(buyers.size() - 1);
  }

  int64_t SafeFrom(const Buyer& b) const {
    return b.last.ts == INT64_MIN ? INT64_MIN : b.last.ts - options.disorder_tolerance.count();
  }

  void Apply(Buyer& b, Key k, Sender from, int day) {
    const int64_t t = k.ts;
    const bool in_order = !(k < b.last);
    const int64_t old_safe = SafeFrom(b);
    if (options.assume_nearly_sorted && t < old_safe) exact = false;
    if (in_order) b.last = k;
    if (profile.unit == Unit::kBuyerDay) {
      if (from == Sender::kBuyer) AddTrigger(b, k, uint16_t(day), in_order);
      else AddReply(b, k, from == Sender::kAgent ? all_mask : robot_mask);
    } else {
      if (from == Sender::kBuyer) DayEntry(b, uint16_t(day));
      AddTurnEvent(b, TurnEvent{k, uint16_t(day < 0 ? 0 : day),
                                from == Sender::kBuyer ? kTrigger
                                : from == Sender::kAgent ? kAgentReply : kRobotReply});
    }
    if (options.assume_nearly_sorted && in_order) {
      const int64_t safe = t - options.disorder_tolerance.count();
      if (safe > old_safe) {
        if (profile.unit == Unit::kBuyerDay) SettleBuyerDay(b, safe);
        else SettleTurns(b, safe);
      }
    }
  }

  // ---- kBuyerDay

  void AddTrigger(Buyer& b, Key k, uint16_t day, bool in_order) {
    DayEntry(b, day);
    uint8_t covered = 0;
    // A trigger newer than everything seen for this buyer lies after every reply.
    if (!in_order) {
      for (size_t i = 0; i < b.covers.size(); ++i)
        if (Covered(b.covers[i], k)) covered |= uint8_t(1u << i);
      for (const Reply& r : b.replies)
        if (k < r.key) covered |= r.mask & Within(r.key.ts - k.ts);
    }
    if (covered == all_mask) return;
    const Pending p{k, day, covered};
    if (b.pending.empty() || b.pending.back().key < k) {
      b.pending.push_back(p);
    } else {
      auto it = std::upper_bound(b.pending.begin(), b.pending.end(), k,
                                 [](Key v, const Pending& x) { return v < x.key; });
      b.pending.insert_at(size_t(it - b.pending.begin()), p);
    }
  }

  void AddReply(Buyer& b, Key k, uint8_t mask) {
    if (mask == 0) return;
    if (options.assume_nearly_sorted) {
      if (b.replies.empty() || b.replies.back().key < k) {
        b.replies.push_back(Reply{k, mask});
      } else {
        auto it = std::upper_bound(b.replies.begin(), b.replies.end(), k,
                                   [](Key v, const Reply& x) { return v < x.key; });
        b.replies.insert_at(size_t(it - b.replies.begin()), Reply{k, mask});
      }
    } else {
      if (b.covers.empty()) b.covers.resize(profile.thresholds.size());
      for (size_t i = 0; i < limit.size(); ++i)
        if (mask & (1u << i)) AddCover(b.covers[i], Cover{Key{k.ts - limit[i], 0}, k});
    }
    size_t done = 0;
    for (size_t j = b.pending.size(); j-- > 0;) {
      Pending& p = b.pending[j];
      if (!(p.key < k)) continue;
      const int64_t delay = k.ts - p.key.ts;
      if (delay > horizon) break;  // earlier triggers are even farther
      p.covered |= mask & Within(delay);
      done += p.covered == all_mask;
    }
    if (done == b.pending.size())  // the usual case: one reply answers every waiting trigger
      b.pending.clear();
    else if (done)
      b.pending.erase_if([&](const Pending& p) { return p.covered == all_mask; });
  }

  void SettleBuyerDay(Buyer& b, int64_t safe_from) {
    size_t n = 0;
    while (n < b.pending.size() && b.pending[n].key.ts + horizon < safe_from) {
      DayEntry(b, b.pending[n].day).fail |= uint8_t(~b.pending[n].covered & all_mask);
      ++n;
    }
    if (n) b.pending.erase_front(n);
    size_t m = 0;
    while (m < b.replies.size() && b.replies[m].key.ts < safe_from) ++m;
    if (m) b.replies.erase_front(m);
    // A day is final once its triggers are settled and no trigger of it can come in time any
    // more (one would be late, which clears exact()): it leaves the buyer for the shop's counts.
    size_t f = 0;
    while (f < b.days.size() && windows[b.days[f].day].second <= safe_from &&
           (b.pending.empty() || b.pending.front().day > b.days[f].day)) {
      DayCounts& c = settled[b.shop][b.days[f].day];
      ++c.consulting_buyers;
      ++c.units;
      for (size_t i = 0; i < limit.size(); ++i)
        if (!(b.days[f].fail & (1u << i))) ++c.answered[i];
      ++f;
    }
    if (f) b.days.erase_front(f);
  }

  // ---- kTurn

  void AddTurnEvent(Buyer& b, TurnEvent e) {
    if (b.buf.empty() || b.buf.back().key < e.key) {
      b.buf.push_back(e);
    } else {
      auto it = std::upper_bound(b.buf.begin(), b.buf.end(), e.key,
                                 [](Key v, const TurnEvent& x) { return v < x.key; });
      b.buf.insert(it, e);
    }
  }

  // Applies b.buf[j] to the turn state (*open, *open_day) and, for a new turn, to counts.
  void ApplyTurn(const Buyer& b, size_t j, bool* open, uint16_t* open_day,
                 std::vector<DayCounts>& counts) const {
    const TurnEvent& e = b.buf[j];
    if (e.kind != kTrigger) {
      *open = false;
      return;
    }
    if (*open && *open_day == e.day) return;
    *open = true;
    *open_day = e.day;
    DayCounts& c = counts[e.day];
    ++c.units;
    int64_t first_any = -1, first_agent = -1;
    for (size_t r = j + 1; r < b.buf.size() && (first_agent < 0 || first_any < 0); ++r) {
      if (b.buf[r].kind == kTrigger) continue;
      const int64_t d = b.buf[r].key.ts - e.key.ts;
      if (first_any < 0) first_any = d;
      if (first_agent < 0 && b.buf[r].kind == kAgentReply) first_agent = d;
    }
    for (size_t i = 0; i < limit.size(); ++i) {
      const int64_t d = profile.thresholds[i].human_only ? first_agent : first_any;
      if (d >= 0 && d <= limit[i]) ++c.answered[i];
    }
    if (profile.average_cap) {
      const int64_t cap = profile.average_cap->count();
      c.capped_delay_us += first_any < 0 ? cap : std::min(first_any, cap);
    }
  }

  void SettleTurns(Buyer& b, int64_t safe_from) {
    size_t n = 0;
    while (n < b.buf.size() && b.buf[n].key.ts + horizon < safe_from) {
      ApplyTurn(b, n, &b.turn_open, &b.turn_day, settled[b.shop]);
      ++n;
    }
    if (n) b.buf.erase(b.buf.begin(), b.buf.begin() + n);
  }

  // ---- Counting

  // counts[shop][day] for everything seen so far (pending triggers as they stand now).
  std::vector<std::vector<DayCounts>> Tally() const {
    std::vector<std::vector<DayCounts>> out = settled;
    for (const Buyer& b : buyers) {
      auto& counts = out[b.shop];
      for (const DayBits& d : b.days) ++counts[d.day].consulting_buyers;
      if (profile.unit == Unit::kTurn) {
        bool open = b.turn_open;
        uint16_t day = b.turn_day;
        for (size_t j = 0; j < b.buf.size(); ++j) ApplyTurn(b, j, &open, &day, counts);
        continue;
      }
      size_t p = 0;
      for (const DayBits& d : b.days) {
        uint8_t fail = d.fail;
        while (p < b.pending.size() && b.pending[p].day < d.day) ++p;
        for (size_t q = p; q < b.pending.size(); ++q)
          if (b.pending[q].day == d.day) fail |= uint8_t(~b.pending[q].covered & all_mask);
        DayCounts& c = counts[d.day];
        ++c.units;
        for (size_t i = 0; i < limit.size(); ++i)
          if (!(fail & (1u << i))) ++c.answered[i];
      }
    }
    return out;
  }

  int DayIndex(core::LocalDate d) const {
    return int((std::chrono::sys_days(d) - std::chrono::sys_days(first_day)).count());
  }

  Report Build(const std::vector<std::vector<DayCounts>>& tally, uint32_t shop_idx,
               std::string_view shop, core::LocalDate date, int days) const {
    Report r;
    r.shop = std::string(shop);
    r.platform = profile.platform;
    r.unit = profile.unit;
    r.date = date;
    r.days = days;
    const size_t n = profile.thresholds.size();
    DayCounts sum = EmptyCounts();
    const int last = DayIndex(date);
    const bool known = shop_idx < tally.size();
    for (int k = std::max(0, last - days + 1); k <= std::min(last, num_days - 1); ++k) {
      if (!known) break;
      const DayCounts& c = tally[shop_idx][size_t(k)];
      sum.consulting_buyers += c.consulting_buyers;
      sum.units += c.units;
      sum.capped_delay_us += c.capped_delay_us;
      for (size_t i = 0; i < n; ++i) sum.answered[i] += c.answered[i];
    }
    r.consulting_buyers = sum.consulting_buyers;
    r.units = sum.units;
    r.assessed = sum.consulting_buyers > 0 && sum.consulting_buyers >= profile.min_buyers;
    for (size_t i = 0; i < n; ++i) {
      r.answered.emplace_back(profile.thresholds[i].name, sum.answered[i]);
      std::optional<double> rate;
      if (sum.units > 0) rate = double(sum.answered[i]) / double(sum.units);
      r.rates.emplace_back(profile.thresholds[i].name, rate);
    }
    const int eff = profile.effective.empty() ? -1 : profile.ThresholdIndex(profile.effective);
    if (eff >= 0) {
      r.effective_rate = r.rates[size_t(eff)].second;
      if (profile.unit == Unit::kBuyerDay) r.invalid_buyers = sum.units - sum.answered[size_t(eff)];
    }
    if (profile.average_cap && sum.units > 0)
      r.average_delay_seconds = double(sum.capped_delay_us) / double(sum.units) / 1e6;
    for (const CampaignGate& g : profile.gates) {
      const size_t gi = size_t(profile.ThresholdIndex(g.threshold));
      bool ok = true;
      for (int k = last - g.days; k < last && ok; ++k) {
        if (k < 0 || k >= num_days || !known) {
          ok = false;  // a day we did not count cannot be claimed as passed
          break;
        }
        const DayCounts& c = tally[shop_idx][size_t(k)];
        if (c.units > 0 && !(double(c.answered[gi]) / double(c.units) > g.above)) ok = false;
      }
      r.gates.push_back(GateResult{g.id, g.name, ok});
    }
    return r;
  }

  core::Status Merge(Impl& o) {
    if (o.first_day != first_day || o.num_days != num_days || o.windows != windows ||
        o.limit != limit || o.profile.unit != profile.unit || o.all_mask != all_mask ||
        o.robot_mask != robot_mask)
      return core::InvalidArgument("calculators count different days or thresholds");
    // Check first, so that a refused merge leaves both sides as they were.
    for (const Buyer& ob : o.buyers) {
      const uint32_t s = FindShop(o.shops[ob.shop]);
      if (s != UINT32_MAX && FindBuyer(s, o.NameOf(ob)) != nullptr)
        return core::InvalidArgument("buyer " + std::string(o.NameOf(ob)) + " of shop " +
                                     o.shops[ob.shop] + " was counted by both calculators");
    }
    std::vector<uint32_t> shop_map;
    for (uint32_t i = 0; i < o.shops.size(); ++i) shop_map.push_back(ShopIndex(o.shops[i]));
    {
      for (uint32_t i = 0; i < o.shops.size(); ++i)
        for (size_t d = 0; d < size_t(num_days); ++d) {
          DayCounts& to = settled[shop_map[i]][d];
          const DayCounts& from = o.settled[i][d];
          to.consulting_buyers += from.consulting_buyers;
          to.units += from.units;
          to.capped_delay_us += from.capped_delay_us;
          for (size_t k = 0; k < to.answered.size(); ++k) to.answered[k] += from.answered[k];
        }
    }
    for (Buyer& ob : o.buyers) {
      bool inserted = false;
      const std::string name(o.NameOf(ob));
      Buyer& b = Intern(shop_map[ob.shop], name, &inserted);
      const uint32_t shop = b.shop;
      const uint64_t hash = b.hash;
      b = std::move(ob);
      b.shop = shop;
      b.hash = hash;
      SetName(b, name);
    }
    // Keys of later events must sort after every merged one.
    seq = std::max(seq, o.seq);
    exact = exact && o.exact;
    o.buyers.clear();
    o.table.assign(1024, {0, 0});
    o.names.clear();
    return core::Status::Ok();
  }

  std::string_view NameOf(const Buyer& b) const {
    if (b.name_len <= kInlineName) return std::string_view(b.name_inline, b.name_len);
    return std::string_view(names.data() + b.name_off, b.name_len);
  }

  void SetName(Buyer& b, std::string_view name) {
    b.name_len = uint32_t(name.size());
    if (name.size() <= kInlineName) {
      std::memcpy(b.name_inline, name.data(), name.size());
    } else {
      b.name_off = uint32_t(names.size());
      names.append(name);
    }
  }

  const Buyer* FindBuyer(uint32_t s, std::string_view name) const {
    const uint64_t h = Hash(s, name);
    const size_t mask = table.size() - 1;
    const uint32_t tag = uint32_t(h >> 32);
    for (size_t i = size_t(h) & mask; table[i].first != 0; i = (i + 1) & mask) {
      const Buyer& b = buyers[table[i].first - 1];
      if (table[i].second == tag && b.hash == h && b.shop == s && NameOf(b) == name) return &b;
    }
    return nullptr;
  }

  uint32_t FindShop(std::string_view shop) const {
    for (uint32_t i = 0; i < shops.size(); ++i)
      if (shops[i] == shop) return i;
    return UINT32_MAX;
  }
};

core::Result<Calculator> Calculator::Create(const Profile& profile, const core::TimeZone& tz,
                                            core::LocalDate first_day, core::LocalDate last_day,
                                            CalculatorOptions options) {
  if (!first_day.ok() || !last_day.ok()) return core::InvalidArgument("bad date", "date");
  const auto span = (std::chrono::sys_days(last_day) - std::chrono::sys_days(first_day)).count();
  if (span < 0) return core::InvalidArgument("last day before first day", "date");
  if (span >= 4000) return core::InvalidArgument("at most 4000 days", "days");
  if (profile.thresholds.empty() || profile.thresholds.size() > 8)
    return core::InvalidArgument("a profile needs 1 to 8 thresholds", "replyrate.thresholds");
  auto impl = std::make_unique<Impl>();
  impl->profile = profile;
  impl->options = options;
  impl->first_day = first_day;
  impl->num_days = int(span) + 1;
  for (int k = 0; k < impl->num_days; ++k) {
    const core::LocalDate d{std::chrono::sys_days(first_day) + std::chrono::days(k)};
    impl->windows.emplace_back(Us(tz.At(d, profile.window_start)), Us(tz.At(d, profile.window_end)));
  }
  impl->horizon = profile.Horizon().count();
  impl->rel_lo = impl->windows.front().first;
  impl->rel_hi = impl->windows.back().second + impl->horizon;
  for (int64_t& l : impl->limit8) l = INT64_MIN;
  for (size_t i = 0; i < profile.thresholds.size(); ++i) {
    impl->limit8[i] = profile.thresholds[i].limit.count();
    impl->n_limits = unsigned(i + 1);
    impl->limit.push_back(profile.thresholds[i].limit.count());
    impl->all_mask |= uint8_t(1u << i);
    if (!profile.thresholds[i].human_only) impl->robot_mask |= uint8_t(1u << i);
  }
  if (!profile.robot_counts) impl->robot_mask = 0;
  impl->table.assign(1024, {0, 0});
  return Calculator(std::move(impl));
}

Calculator::Calculator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Calculator::Calculator(Calculator&&) noexcept = default;
Calculator& Calculator::operator=(Calculator&&) noexcept = default;
Calculator::~Calculator() = default;

void Calculator::Add(std::string_view shop, std::string_view buyer, Sender from,
                     core::Timestamp ts) {
  impl_->Add(shop, buyer, from, ts);
}

void Calculator::AddBatch(std::span<const Event> events) { impl_->AddBatch(events); }

core::Status Calculator::Merge(Calculator&& other) {
  if (!other.impl_ || other.impl_.get() == impl_.get())
    return core::InvalidArgument("nothing to merge");
  return impl_->Merge(*other.impl_);
}

bool Calculator::exact() const { return impl_->exact; }

std::vector<std::string> Calculator::Shops() const {
  std::vector<std::string> s = impl_->shops;
  std::sort(s.begin(), s.end());
  return s;
}

DayCounts Calculator::Counts(std::string_view shop, core::LocalDate day) const {
  const uint32_t s = impl_->FindShop(shop);
  const int k = impl_->DayIndex(day);
  if (s == UINT32_MAX || k < 0 || k >= impl_->num_days) return impl_->EmptyCounts();
  return impl_->Tally()[s][size_t(k)];
}

Report Calculator::ReportFor(std::string_view shop, core::LocalDate date, int days) const {
  return impl_->Build(impl_->Tally(), impl_->FindShop(shop), shop, date, days);
}

std::vector<Report> Calculator::Reports(core::LocalDate date, int days) const {
  const auto tally = impl_->Tally();
  std::vector<Report> out;
  for (const std::string& s : Shops()) out.push_back(impl_->Build(tally, impl_->FindShop(s), s, date, days));
  return out;
}

std::vector<Report> Calculator::DailyReports(std::string_view shop, core::LocalDate last,
                                             int days) const {
  const auto tally = impl_->Tally();
  const uint32_t s = impl_->FindShop(shop);
  std::vector<Report> out;
  for (int k = days - 1; k >= 0; --k)
    out.push_back(impl_->Build(tally, s, shop,
                               core::LocalDate{std::chrono::sys_days(last) - std::chrono::days(k)}, 1));
  return out;
}

size_t Calculator::StateBytes() const {
  size_t n = impl_->buyers.capacity() * sizeof(Buyer) + impl_->names.capacity() +
             impl_->table.capacity() * sizeof(impl_->table[0]);
  for (const Buyer& b : impl_->buyers) {
    n += b.days.heap_bytes() + b.pending.heap_bytes() + b.replies.heap_bytes() +
         b.buf.capacity() * sizeof(TurnEvent) + b.covers.capacity() * sizeof(std::vector<Cover>);
    for (const auto& v : b.covers) n += v.capacity() * sizeof(Cover);
  }
  return n;
}

std::optional<Sender> ParseSender(std::string_view name) {
  if (name == "buyer") return Sender::kBuyer;
  if (name == "agent") return Sender::kAgent;
  if (name == "robot") return Sender::kRobot;
  if (name == "auto") return Sender::kAuto;
  if (name == "system") return Sender::kSystem;
  return std::nullopt;
}

std::string_view SenderName(Sender s) {
  switch (s) {
    case Sender::kBuyer: return "buyer";
    case Sender::kAgent: return "agent";
    case Sender::kRobot: return "robot";
    case Sender::kAuto: return "auto";
    case Sender::kSystem: return "system";
  }
  return "buyer";
}

std::string ReportToJson(const Report& r) {
  std::string o;
  o.reserve(400);
  o += "{\"shop\": ";
  AppendJsonString(&o, r.shop);
  o += ", \"platform\": \"";
  o += core::PlatformName(r.platform);
  o += "\", \"date\": \"" + core::FormatLocalDate(r.date) + "\", \"days\": " + std::to_string(r.days);
  o += ", \"consulting_buyers\": " + std::to_string(r.consulting_buyers);
  o += ", \"invalid_buyers\": " + std::to_string(r.invalid_buyers);
  o += ", \"assessed\": ";
  o += r.assessed ? "true" : "false";
  o += ", \"effective_reply_rate\": ";
  if (r.effective_rate) FormatDouble(&o, *r.effective_rate);
  else o += "null";
  o += ", \"answered\": {";
  for (size_t i = 0; i < r.answered.size(); ++i) {
    if (i) o += ", ";
    AppendJsonString(&o, r.answered[i].first);
    o += ": " + std::to_string(r.answered[i].second);
  }
  o += "}, \"rates\": {";
  for (size_t i = 0; i < r.rates.size(); ++i) {
    if (i) o += ", ";
    AppendJsonString(&o, r.rates[i].first);
    o += ": ";
    if (r.rates[i].second) FormatDouble(&o, *r.rates[i].second);
    else o += "null";
  }
  o += "}";
  if (r.unit == Unit::kTurn) {
    o += ", \"turns\": " + std::to_string(r.units);
  }
  if (r.average_delay_seconds) {
    o += ", \"average_delay_seconds\": ";
    FormatDouble(&o, *r.average_delay_seconds);
  }
  o += ", \"gates\": [";
  for (size_t i = 0; i < r.gates.size(); ++i) {
    if (i) o += ", ";
    o += "{\"id\": ";
    AppendJsonString(&o, r.gates[i].id);
    o += ", \"name\": ";
    AppendJsonString(&o, r.gates[i].name);
    o += r.gates[i].passed ? ", \"passed\": true}" : ", \"passed\": false}";
  }
  o += "]}";
  return o;
}

}  // namespace kefu::replyrate
