#include "remote/ledger_wire.h"

#include <cmath>
#include <limits>

#include "core/index.h"
#include "remote/json_body.h"

namespace aergo {

using namespace json_body;

namespace {

Result<Receipt> DecodeReceipt(const Bytes& b, const char* what) {
  Reader r(b, what);
  auto rc = Receipt::Decode(&r);
  if (!rc.ok()) return rc.status();
  r.ExpectEnd();
  if (!r.ok()) return r.status();
  return rc;
}

// A query value as JSON (docs/api.md): null; an integer; a finite real,
// always written with a '.' or an exponent; text that is UTF-8 as a
// string; {"blob": hex}; {"text_hex": hex} for text that is not UTF-8;
// {"real": "inf" | "-inf" | "nan"} for the reals JSON cannot write.
json ValueJson(const Value& v) {
  switch (v.type) {
    case Value::Type::kNull: return nullptr;
    case Value::Type::kInteger: return v.integer;
    case Value::Type::kReal:
      if (std::isnan(v.real)) return json{{"real", "nan"}};
      if (std::isinf(v.real)) return json{{"real", v.real > 0 ? "inf" : "-inf"}};
      return v.real;
    case Value::Type::kText:
      if (IsValidUtf8(v.bytes)) return v.bytes;
      return json{{"text_hex", ToHex(reinterpret_cast<const uint8_t*>(v.bytes.data()), v.bytes.size())}};
    case Value::Type::kBlob:
      return json{{"blob", ToHex(reinterpret_cast<const uint8_t*>(v.bytes.data()), v.bytes.size())}};
  }
  return nullptr;
}

Result<Value> ValueFrom(const json& v, const char* what) {
  Value out;
  auto bad = [&]() {
    return Invalid(std::string("malformed ") + what +
                   ": a value must be null, a number, text, {\"blob\"}, {\"text_hex\"} or {\"real\"}");
  };
  if (v.is_null()) return out;
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return Invalid(std::string("malformed ") + what + ": an integer is out of range");
    out.type = Value::Type::kInteger;
    out.integer = static_cast<int64_t>(v.get<uint64_t>());
  } else if (v.is_number_integer()) {
    out.type = Value::Type::kInteger;
    out.integer = v.get<int64_t>();
  } else if (v.is_number_float()) {
    out.type = Value::Type::kReal;
    out.real = v.get<double>();
  } else if (v.is_string()) {
    out.type = Value::Type::kText;
    out.bytes = v.get<std::string>();
  } else if (v.is_object() && v.size() == 1) {
    // Not `*v.items().begin()`: that binds to a temporary proxy that dies
    // at the end of the statement (a stack use after scope, found by the
    // fuzzer, tests/fuzz/wire_json_fuzz.cpp).
    const auto first = v.begin();
    const std::string& key = first.key();
    const json& inner = first.value();
    if (!inner.is_string()) return bad();
    std::string s = inner.get<std::string>();
    if (key == "blob" || key == "text_hex") {
      AERGO_ASSIGN_OR_RETURN(Bytes b, HexBytes(s, key.c_str(), what));
      out.type = key == "blob" ? Value::Type::kBlob : Value::Type::kText;
      out.bytes.assign(b.begin(), b.end());
    } else if (key == "real" && (s == "inf" || s == "-inf" || s == "nan")) {
      out.type = Value::Type::kReal;
      out.real = s == "nan" ? std::numeric_limits<double>::quiet_NaN()
                            : (s == "inf" ? 1 : -1) * std::numeric_limits<double>::infinity();
    } else {
      return bad();
    }
  } else {
    return bad();
  }
  return out;
}

// nlohmann reads an integer beyond the 64-bit range as a real: this
// parser refuses numbers without '.' or exponent that did not fit, and
// numbers that overflow a double.
struct StrictNumbers : nlohmann::detail::json_sax_dom_parser<json> {
  using Base = nlohmann::detail::json_sax_dom_parser<json>;
  StrictNumbers(json& j) : Base(j, false) {}
  bool number_float(double value, const std::string& lexeme) {
    if (lexeme.find_first_of(".eE") == std::string::npos || !std::isfinite(value)) return false;
    return Base::number_float(value, lexeme);
  }
};

Result<json> ParseStrict(std::string_view text, const char* what) {
  json j;
  StrictNumbers sax(j);
  if (!json::sax_parse(text.begin(), text.end(), &sax) || !j.is_object())
    return Invalid(std::string("malformed ") + what + ": not a JSON object, or a number out of range");
  return j;
}

}  // namespace

std::string EncodeTxSubmission(const std::vector<Tx>& txs) {
  json a = json::array();
  for (const auto& tx : txs) a.push_back(ToHex(tx.Encode()));
  return Dump(json{{"txs", a}});
}

Result<std::vector<Tx>> DecodeTxSubmission(std::string_view text) {
  const char* what = "tx submission";
  AERGO_ASSIGN_OR_RETURN(json j, ParseObject(text, what));
  auto it = j.find("txs");
  if (it == j.end() || !it->is_array() || it->empty())
    return Invalid("malformed tx submission: 'txs' must be a non-empty list");
  if (it->size() > kMaxSubmittedTxs)
    return Invalid("tx submission: more than " + std::to_string(kMaxSubmittedTxs) + " txs in one request");
  std::vector<Tx> out;
  out.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    const json& e = (*it)[i];
    if (!e.is_string()) return Invalid("malformed tx submission: each tx must be a hex string");
    AERGO_ASSIGN_OR_RETURN(Bytes b, HexBytes(e.get<std::string>(), "txs", what));
    auto tx = Tx::Decode(b);
    if (!tx.ok()) return Invalid("tx " + std::to_string(i + 1) + " of the submission: " + tx.status().message());
    out.push_back(std::move(*tx));
  }
  return out;
}

std::string EncodeSubmitAnswer(const SubmitAnswer& a) {
  json rs = json::array();
  for (const auto& s : a.receipts)
    rs.push_back({{"txid", ToHex(s.txid)},
                  {"status", s.outcome.ok ? "ok" : "failed"},
                  {"error", s.outcome.ok ? json(nullptr) : json(s.outcome.error)}});
  return Dump(json{{"branch", a.branch}, {"receipts", rs}});
}

Result<SubmitAnswer> DecodeSubmitAnswer(std::string_view text) {
  const char* what = "submission answer";
  AERGO_ASSIGN_OR_RETURN(json j, ParseObject(text, what));
  SubmitAnswer a;
  AERGO_ASSIGN_OR_RETURN(a.branch, Str(j, "branch", what));
  auto it = j.find("receipts");
  if (it == j.end() || !it->is_array()) return Invalid("malformed submission answer: 'receipts' must be a list");
  for (const auto& e : *it) {
    if (!e.is_object()) return Invalid("malformed submission answer: receipts must be objects");
    Submitted s;
    AERGO_ASSIGN_OR_RETURN(s.txid, IdAt(e, "txid", what));
    AERGO_ASSIGN_OR_RETURN(std::string status, Str(e, "status", what));
    if (status != "ok" && status != "failed")
      return Invalid("malformed submission answer: unknown status '" + status + "'");
    s.outcome.ok = status == "ok";
    if (!s.outcome.ok) {
      AERGO_ASSIGN_OR_RETURN(s.outcome.error, Str(e, "error", what));
    }
    a.receipts.push_back(std::move(s));
  }
  return a;
}

std::string EncodeBlockAnswer(const Block& block) {
  return Dump(json{{"id", ToHex(block.Id())},
                   {"header", ToHex(block.header.Encode())},
                   {"txs", ToHex(block.EncodeTxs())},
                   {"receipts", ToHex(block.EncodeReceipts())},
                   {"changes", ToHex(block.changes)}});
}

Result<Block> DecodeBlockAnswer(std::string_view text) {
  const char* what = "block answer";
  AERGO_ASSIGN_OR_RETURN(json j, ParseObject(text, what));
  AERGO_ASSIGN_OR_RETURN(Hash32 id, IdAt(j, "id", what));
  AERGO_ASSIGN_OR_RETURN(Bytes header, HexAt(j, "header", what));
  AERGO_ASSIGN_OR_RETURN(Bytes txs, HexAt(j, "txs", what));
  AERGO_ASSIGN_OR_RETURN(Bytes receipts, HexAt(j, "receipts", what));
  AERGO_ASSIGN_OR_RETURN(Bytes changes, HexAt(j, "changes", what));
  auto block = Block::Decode(header, txs, receipts);
  if (!block.ok()) return Invalid("block answer: " + block.status().message());
  if (block->Id() != id) return Invalid("block answer: the header does not hash to " + ToHex(id));
  AERGO_RETURN_IF_ERROR(block->CheckStructure());
  block->changes = std::move(changes);
  return block;
}

std::string EncodeTxAnswer(const FoundTx& found) {
  return Dump(json{{"tx", ToHex(found.tx.Encode())},
                   {"receipt", ToHex(found.receipt.Encode())},
                   {"block", found.block ? json(ToHex(*found.block)) : json(nullptr)}});
}

Result<FoundTx> DecodeTxAnswer(std::string_view text) {
  const char* what = "tx answer";
  AERGO_ASSIGN_OR_RETURN(json j, ParseObject(text, what));
  AERGO_ASSIGN_OR_RETURN(Bytes tx_bytes, HexAt(j, "tx", what));
  AERGO_ASSIGN_OR_RETURN(Bytes receipt_bytes, HexAt(j, "receipt", what));
  auto tx = Tx::Decode(tx_bytes);
  if (!tx.ok()) return Invalid("tx answer: " + tx.status().message());
  if (!tx->VerifySignature()) return Invalid("tx answer: the tx signature is invalid");
  AERGO_ASSIGN_OR_RETURN(Receipt receipt, DecodeReceipt(receipt_bytes, "tx answer receipt"));
  if (receipt.txid != tx->Id()) return Invalid("tx answer: the receipt is not the tx's");
  FoundTx found{std::move(*tx), std::move(receipt), std::nullopt};
  auto b = j.find("block");
  if (b != j.end() && !b->is_null()) {
    AERGO_ASSIGN_OR_RETURN(found.block, IdAt(j, "block", what));
  }
  return found;
}

std::string EncodeQueryRequest(const QueryRequest& q) {
  return Dump(json{{"sql", q.sql}, {"at", q.at ? json(*q.at) : json(nullptr)}});
}

Result<QueryRequest> DecodeQueryRequest(std::string_view text) {
  const char* what = "query request";
  AERGO_ASSIGN_OR_RETURN(json j, ParseObject(text, what));
  QueryRequest q;
  AERGO_ASSIGN_OR_RETURN(q.sql, Str(j, "sql", what));
  auto at = j.find("at");
  if (at != j.end() && !at->is_null()) {
    AERGO_ASSIGN_OR_RETURN(q.at, Str(j, "at", what));
  }
  return q;
}

std::string EncodeQueryAnswer(const QueryResult& r) {
  json rows = json::array();
  for (const auto& row : r.rows) {
    json values = json::array();
    for (const auto& v : row) values.push_back(ValueJson(v));
    rows.push_back(std::move(values));
  }
  return Dump(json{{"columns", r.columns}, {"rows", std::move(rows)}});
}

Result<QueryResult> DecodeQueryAnswer(std::string_view text) {
  const char* what = "query answer";
  AERGO_ASSIGN_OR_RETURN(json j, ParseStrict(text, what));
  QueryResult r;
  auto cols = j.find("columns");
  auto rows = j.find("rows");
  if (cols == j.end() || !cols->is_array() || rows == j.end() || !rows->is_array())
    return Invalid("malformed query answer: 'columns' and 'rows' must be lists");
  for (const auto& c : *cols) {
    if (!c.is_string()) return Invalid("malformed query answer: column names must be strings");
    r.columns.push_back(c.get<std::string>());
  }
  for (const auto& row : *rows) {
    if (!row.is_array() || row.size() != r.columns.size())
      return Invalid("malformed query answer: each row must list one value per column");
    std::vector<Value> values;
    for (const auto& v : row) {
      AERGO_ASSIGN_OR_RETURN(Value value, ValueFrom(v, what));
      values.push_back(std::move(value));
    }
    r.rows.push_back(std::move(values));
  }
  return r;
}

}  // namespace aergo
