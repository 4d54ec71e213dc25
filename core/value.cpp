#include "core/value.h"

#include <sqlite3.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "core/json.h"

namespace aergo {

bool Value::operator==(const Value& o) const {
  if (type != o.type) return false;
  switch (type) {
    case Type::kNull: return true;
    case Type::kInteger: return integer == o.integer;
    case Type::kReal: return std::memcmp(&real, &o.real, sizeof real) == 0;
    default: return bytes == o.bytes;
  }
}

void EncodeValue(Writer* w, const Value& v) {
  w->U8(static_cast<uint8_t>(v.type));
  switch (v.type) {
    case Value::Type::kNull: break;
    case Value::Type::kInteger: w->I64(v.integer); break;
    case Value::Type::kReal: {
      uint64_t bits;
      std::memcpy(&bits, &v.real, 8);
      w->U64(bits);
      break;
    }
    case Value::Type::kText:
    case Value::Type::kBlob: w->Text(v.bytes); break;
  }
}

Value DecodeValue(Reader* r, const char* field) {
  uint8_t tag = r->U8(field);
  switch (tag) {
    case 0: return Value::Null();
    case 1: return Value::Integer(r->I64(field));
    case 2: {
      uint64_t bits = r->U64(field);
      double d;
      std::memcpy(&d, &bits, 8);
      if (std::isnan(d)) {
        r->Fail(std::string("NaN in ") + field);
        return Value();
      }
      return Value::Real(d);
    }
    case 3: return Value::Text(r->Text(field, kMaxValueBytes));
    case 4: {
      Bytes b = r->Blob(field, kMaxValueBytes);
      return Value::Blob(std::string(b.begin(), b.end()));
    }
    default:
      r->Fail("unknown value tag " + std::to_string(tag) + " in " + field);
      return Value();
  }
}

const char* ValueTypeName(Value::Type t) {
  switch (t) {
    case Value::Type::kNull: return "NULL";
    case Value::Type::kInteger: return "INTEGER";
    case Value::Type::kReal: return "REAL";
    case Value::Type::kText: return "TEXT";
    case Value::Type::kBlob: return "BLOB";
  }
  return "?";
}

// Shortest text that reads back as the same double.
static std::string RealText(double d) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::string ValueToDisplay(const Value& v) {
  switch (v.type) {
    case Value::Type::kNull: return "NULL";
    case Value::Type::kInteger: return std::to_string(v.integer);
    case Value::Type::kReal: return RealText(v.real);
    case Value::Type::kText: return v.bytes;
    case Value::Type::kBlob:
      return "x'" + ToHex(reinterpret_cast<const uint8_t*>(v.bytes.data()), v.bytes.size()) + "'";
  }
  return "";
}

std::string ValueToJson(const Value& v) {
  switch (v.type) {
    case Value::Type::kNull: return "null";
    case Value::Type::kInteger: return std::to_string(v.integer);
    case Value::Type::kReal: return std::isfinite(v.real) ? RealText(v.real) : "null";
    default: return JsonString(ValueToDisplay(v));
  }
}

std::string ArgsJson(const std::vector<Value>& args) {
  std::string out = "[";
  for (size_t i = 0; i < args.size(); ++i) {
    const Value& v = args[i];
    if (i > 0) out += ",";
    switch (v.type) {
      case Value::Type::kNull: out += "null"; break;
      case Value::Type::kInteger: out += std::to_string(v.integer); break;
      case Value::Type::kReal:
        out += std::isfinite(v.real) ? RealText(v.real) : v.real > 0 ? "9e999" : "-9e999";
        break;
      case Value::Type::kText: out += JsonString(v.bytes); break;
      case Value::Type::kBlob:
        out += "{\"blob\":\"" + ToHex(reinterpret_cast<const uint8_t*>(v.bytes.data()), v.bytes.size()) + "\"}";
        break;
    }
  }
  return out + "]";
}

Value ColumnValue(sqlite3_stmt* stmt, int col) {
  switch (sqlite3_column_type(stmt, col)) {
    case SQLITE_INTEGER: return Value::Integer(sqlite3_column_int64(stmt, col));
    case SQLITE_FLOAT: return Value::Real(sqlite3_column_double(stmt, col));
    case SQLITE_TEXT: {
      const char* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
      return Value::Text(std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt, col))));
    }
    case SQLITE_BLOB: {
      const char* p = static_cast<const char*>(sqlite3_column_blob(stmt, col));
      int n = sqlite3_column_bytes(stmt, col);
      return Value::Blob(n > 0 ? std::string(p, static_cast<size_t>(n)) : std::string());
    }
    default: return Value::Null();
  }
}

Value SqlValue(sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER: return Value::Integer(sqlite3_value_int64(v));
    case SQLITE_FLOAT: return Value::Real(sqlite3_value_double(v));
    case SQLITE_TEXT: {
      const char* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
      return Value::Text(std::string(p, static_cast<size_t>(sqlite3_value_bytes(v))));
    }
    case SQLITE_BLOB: {
      const char* p = static_cast<const char*>(sqlite3_value_blob(v));
      int n = sqlite3_value_bytes(v);
      return Value::Blob(n > 0 ? std::string(p, static_cast<size_t>(n)) : std::string());
    }
    default: return Value::Null();
  }
}

int BindValue(sqlite3_stmt* stmt, int i, const Value& v) {
  switch (v.type) {
    case Value::Type::kNull: return sqlite3_bind_null(stmt, i);
    case Value::Type::kInteger: return sqlite3_bind_int64(stmt, i, v.integer);
    case Value::Type::kReal: return sqlite3_bind_double(stmt, i, v.real);
    case Value::Type::kText:
      return sqlite3_bind_text64(stmt, i, v.bytes.data(), v.bytes.size(), SQLITE_TRANSIENT,
                                 SQLITE_UTF8);
    case Value::Type::kBlob:
      return sqlite3_bind_blob64(stmt, i, v.bytes.data(), v.bytes.size(), SQLITE_TRANSIENT);
  }
  return SQLITE_MISUSE;
}

std::string JsonString(std::string_view s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\r': o += "\\r"; break;
      case '\t': o += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  return o + "\"";
}

}  // namespace aergo
