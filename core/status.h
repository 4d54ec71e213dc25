// Status and Result<T>: the one error type of aergo.
//
// A Status is ok, or carries a code and a message that says what failed, on
// what, and why (lowercase, no trailing period). Every fallible function
// returns Status or Result<T>; callers check it. Both types are
// [[nodiscard]]: a result ignored on purpose (best-effort cleanup, a
// rollback after the error being reported) is cast to (void) with a comment
// saying why. Exceptions are not used for expected failures (bad input,
// missing objects, rule verdicts).
// Thread-safety: value types, no shared state.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace aergo {

enum class Code {
  kOk = 0,
  kInvalid,    // bad input: malformed bytes, bad argument, syntax error
  kNotFound,   // a named thing does not exist
  kExists,     // a thing that must not exist already does
  kCorrupt,    // stored data fails verification
  kDenied,     // a rule refused it (sandbox, permission, read-only head)
  kFailed,     // an operation failed (contract require, constraint)
  kIo,         // filesystem, database or library failure
  kBusy,       // lock held by another process
  kUsage,      // command-line usage error (exit 2)
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(Code code, std::string message) { return Status(code, std::move(message)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "<context>: <message>".
  Status Context(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status Invalid(std::string m) { return Status::Error(Code::kInvalid, std::move(m)); }
inline Status NotFound(std::string m) { return Status::Error(Code::kNotFound, std::move(m)); }
inline Status Exists(std::string m) { return Status::Error(Code::kExists, std::move(m)); }
inline Status Corrupt(std::string m) { return Status::Error(Code::kCorrupt, std::move(m)); }
inline Status Denied(std::string m) { return Status::Error(Code::kDenied, std::move(m)); }
inline Status Failed(std::string m) { return Status::Error(Code::kFailed, std::move(m)); }
inline Status IoError(std::string m) { return Status::Error(Code::kIo, std::move(m)); }
inline Status Busy(std::string m) { return Status::Error(Code::kBusy, std::move(m)); }
inline Status Usage(std::string m) { return Status::Error(Code::kUsage, std::move(m)); }

// Result<T>: a T or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}              // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}      // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace aergo

// Propagate a non-ok Status from an expression yielding Status.
#define AERGO_RETURN_IF_ERROR(expr)              \
  do {                                           \
    ::aergo::Status _st = (expr);                \
    if (!_st.ok()) return _st;                   \
  } while (0)

#define AERGO_CONCAT_INNER(a, b) a##b
#define AERGO_CONCAT(a, b) AERGO_CONCAT_INNER(a, b)
// AERGO_ASSIGN_OR_RETURN(auto x, ExprReturningResult());
#define AERGO_ASSIGN_OR_RETURN(lhs, expr) \
  AERGO_ASSIGN_OR_RETURN_IMPL(AERGO_CONCAT(_res_, __LINE__), lhs, expr)
#define AERGO_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp.value())
