// core: the vocabulary every Kefu module shares: error values (Status, Result<T>), the clock,
// money in integer fen, ids, timestamps and events. It does no I/O and includes nothing heavy;
// every other module may include it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace kefu::core {

// ---------------------------------------------------------------------------------------------
// Errors

// The codes a caller must handle. Choose the most specific one (kNotFound over
// kFailedPrecondition); kUnavailable only when a retry may help. Only server/ maps them to HTTP.
enum class Code {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kPermissionDenied,
  kUnauthenticated,
  kUnavailable,
  kInternal,
};

// The default JSON `error` string of a code ("invalid_argument", "not_found", ...).
std::string_view CodeName(Code code);

// An outcome without a value. Carries a code, the JSON `error` string (defaults to the code's
// name; e.g. "compliance_blocked" for a specific case), a human message and an optional field.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message, std::string field = {}, std::string error = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)),
        error_(std::move(error)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // The request field at fault; empty when the error is not about one field.
  const std::string& field() const { return field_; }
  // The machine-readable error string for JSON bodies.
  std::string_view error() const { return error_.empty() ? CodeName(code_) : error_; }
  // "code: message (field)" for logs and CLI messages.
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string field_;
  std::string error_;
};

// Shorthands for the common codes.
Status InvalidArgument(std::string message, std::string field = {});
Status NotFound(std::string message);
Status AlreadyExists(std::string message, std::string field = {});
Status FailedPrecondition(std::string message, std::string field = {});
Status PermissionDenied(std::string message);
Status Unauthenticated(std::string message);
Status Unavailable(std::string message);
Status Internal(std::string message);

// A value or the Status saying why there is none. Never holds an ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT
  template <typename U,
            typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                        !std::is_same_v<std::decay_t<U>, Status> &&
                                        !std::is_same_v<std::decay_t<U>, T>>>
  Result(U&& value) : v_(T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // The error; an ok Status when there is a value.
  Status status() const { return ok() ? Status() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

#define KEFU_CONCAT_INNER_(a, b) a##b
#define KEFU_CONCAT_(a, b) KEFU_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function when `expr` (a Status) is not ok.
#define KEFU_TRY(expr)                              \
  do {                                              \
    ::kefu::core::Status kefu_try_status_ = (expr); \
    if (!kefu_try_status_.ok()) return kefu_try_status_; \
  } while (0)

// `lhs = value of rexpr` (a Result<T>), or returns its Status from the enclosing function.
#define KEFU_ASSIGN_OR_RETURN(lhs, rexpr) \
  KEFU_ASSIGN_OR_RETURN_IMPL_(KEFU_CONCAT_(kefu_result_, __LINE__), lhs, rexpr)
#define KEFU_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

// Aborts with a reason when a programmer's assumption fails (a bug, never bad input).
[[noreturn]] void DcheckFailed(const char* cond, const char* why, const char* file, int line);
#define KEFU_DCHECK(cond, why) \
  ((cond) ? (void)0 : ::kefu::core::DcheckFailed(#cond, why, __FILE__, __LINE__))

// ---------------------------------------------------------------------------------------------
// Time

// A point in time, UTC, microsecond precision.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;
using Duration = std::chrono::microseconds;

// The source of "now". Everything that needs the time takes a Clock&; nothing else reads the
// system clock. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp Now() const = 0;
};

// The real wall clock.
class SystemClock final : public Clock {
 public:
  Timestamp Now() const override;
};

// A clock that moves only when told to: for tests of deadlines and schedules. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) : now_(start.time_since_epoch().count()) {}
  Timestamp Now() const override { return Timestamp(Duration(now_.load())); }
  void Set(Timestamp t) { now_.store(t.time_since_epoch().count()); }
  void Advance(Duration d) { now_.fetch_add(d.count()); }

 private:
  std::atomic<int64_t> now_;
};

// Formats as RFC 3339 with the given UTC offset in minutes, e.g. "2026-03-05T09:00:00.123+08:00"
// (fractional seconds only when non-zero, milliseconds precision).
std::string FormatRfc3339(Timestamp t, int offset_minutes = 0);
// Parses RFC 3339 ("2026-03-05T09:00:00+08:00", "...Z", fractional seconds allowed). Returns
// kInvalidArgument for anything else. On success *offset_minutes (if given) gets the offset.
Result<Timestamp> ParseRfc3339(std::string_view text, int* offset_minutes = nullptr);
// Milliseconds since the Unix epoch.
int64_t ToUnixMillis(Timestamp t);
Timestamp FromUnixMillis(int64_t ms);

// ---------------------------------------------------------------------------------------------
// Money

// An amount in integer fen (分). Never floating point.
class Money {
 public:
  constexpr Money() = default;
  constexpr explicit Money(int64_t fen) : fen_(fen) {}
  static constexpr Money Yuan(int64_t yuan) { return Money(yuan * 100); }
  // Parses "12", "12.3", "12.30", "-0.5" (yuan, at most two decimals). kInvalidArgument
  // for "12.3.4", "", "abc", "1.234", or an amount beyond ±10^13 fen.
  static Result<Money> Parse(std::string_view yuan_text);

  constexpr int64_t fen() const { return fen_; }
  // "12.30" (always two decimals).
  std::string ToString() const;

  friend constexpr Money operator+(Money a, Money b) { return Money(a.fen_ + b.fen_); }
  friend constexpr Money operator-(Money a, Money b) { return Money(a.fen_ - b.fen_); }
  friend constexpr auto operator<=>(Money a, Money b) = default;

 private:
  int64_t fen_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Ids and secrets

// A new random id: `prefix` + 20 lowercase base32 characters (about 100 bits), e.g. "c_k3v...".
std::string NewId(std::string_view prefix);
// A new id that sorts by `at`: `prefix` + 10 base32 characters of the millisecond + 10 random
// ones (50 bits). Rows inserted in time order then append to the end of an index on the id
// instead of touching a random page each (messages are written thousands a second).
std::string NewSortableId(std::string_view prefix, Timestamp at);
// A random secret of `bytes` bytes, hex-encoded (for tokens and ingest keys).
std::string NewSecret(size_t bytes = 24);

// ---------------------------------------------------------------------------------------------
// Platforms

enum class Platform { kPdd, kTaobao, kKuaishou, kJd };
// "pdd", "taobao", "kuaishou", "jd".
std::string_view PlatformName(Platform p);
// Parses the names above; nullopt otherwise.
std::optional<Platform> ParsePlatform(std::string_view name);

// ---------------------------------------------------------------------------------------------
// Events

// A state change, persisted before it is published. `seq` orders events store-wide and is what
// a reconnecting client resumes from. `data` is a JSON object text.
struct Event {
  int64_t seq = 0;
  std::string type;     // "message.created", "conversation.updated", "sla.warning", ...
  std::string shop_id;  // the shop it belongs to; clients see only their shops' events
  std::string agent_id; // when set, only this agent (and the shop's leads/owners) see it
  std::string data;     // JSON object
  Timestamp ts;
};

}  // namespace kefu::core
