// Value: one SQL value (NULL, INTEGER, REAL, TEXT, BLOB) as carried in call
// arguments, query results and canonical state encodings.
// Encoding: tag u8 (0 null, 1 integer i64, 2 real IEEE-754 bits u64 — NaN
// rejected, 3 text, 4 blob), then the payload. docs/formats/encoding.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/codec.h"

struct sqlite3_stmt;
struct sqlite3_value;

namespace aergo {

struct Value {
  enum class Type : uint8_t { kNull = 0, kInteger = 1, kReal = 2, kText = 3, kBlob = 4 };
  Type type = Type::kNull;
  int64_t integer = 0;
  double real = 0;
  std::string bytes;  // text (UTF-8) or blob bytes

  static Value Null() { return Value(); }
  static Value Integer(int64_t v) { Value x; x.type = Type::kInteger; x.integer = v; return x; }
  static Value Real(double v) { Value x; x.type = Type::kReal; x.real = v; return x; }
  static Value Text(std::string v) { Value x; x.type = Type::kText; x.bytes = std::move(v); return x; }
  static Value Blob(std::string v) { Value x; x.type = Type::kBlob; x.bytes = std::move(v); return x; }

  bool operator==(const Value& o) const;
};

inline constexpr size_t kMaxValueBytes = 1 << 20;

void EncodeValue(Writer* w, const Value& v);
Value DecodeValue(Reader* r, const char* field);

// Human form: NULL, 42, 1.5, text as is, blob as x'..'.
std::string ValueToDisplay(const Value& v);
// JSON form: null, number, "string", blob as "x'..'".
std::string ValueToJson(const Value& v);
// Canonical JSON array of call arguments, passed to merge resolvers (so it
// is part of consensus; docs/formats/encoding.md): null; integers in
// decimal; reals in the shortest form that reads back exactly (".0" added
// to whole numbers, infinities as 9e999 and -9e999); text as a JSON string
// (", \ and bytes below 0x20 escaped, other bytes as they are); blobs as
// {"blob":"<lowercase hex>"}. Separators are "," with no spaces.
std::string ArgsJson(const std::vector<Value>& args);
// SQL type name of a value: NULL INTEGER REAL TEXT BLOB.
const char* ValueTypeName(Value::Type t);

// SQLite glue.
Value ColumnValue(sqlite3_stmt* stmt, int col);
Value SqlValue(sqlite3_value* v);
// Binds v to parameter index i (1-based); returns the SQLite result code.
int BindValue(sqlite3_stmt* stmt, int i, const Value& v);

}  // namespace aergo
