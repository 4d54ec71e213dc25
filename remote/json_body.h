// Helpers shared by the decoders of the HTTP API's JSON bodies
// (remote/wire.cpp, remote/ledger_wire.cpp). Every helper returns Invalid
// naming the body (`what`) and the field; none throws.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/codec.h"
#include "core/index.h"
#include "core/status.h"

namespace aergo::json_body {

using json = nlohmann::json;

// Parses JSON text that must be an object.
inline Result<json> ParseObject(std::string_view text, const char* what) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Invalid(std::string("malformed ") + what + ": not a JSON object");
  return j;
}

inline Result<std::string> Str(const json& j, const char* key, const char* what) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string())
    return Invalid(std::string("malformed ") + what + ": '" + key + "' must be a string");
  return it->get<std::string>();
}

// Lowercase or uppercase hex of any length (even) into bytes.
inline Result<Bytes> HexBytes(const std::string& hex, const char* key, const char* what) {
  Bytes out(hex.size() / 2);
  if (hex.size() % 2 != 0 || !FromHex(hex, out.data(), out.size()))
    return Invalid(std::string("malformed ") + what + ": '" + key + "' is not hex");
  return out;
}

inline Result<Bytes> HexAt(const json& j, const char* key, const char* what) {
  AERGO_ASSIGN_OR_RETURN(std::string hex, Str(j, key, what));
  return HexBytes(hex, key, what);
}

// A block or tx id: 64 hex digits. The message names `key` if given, else
// the text that is not an id.
inline Result<Hash32> Id(const json& j, const char* what, const char* key = nullptr) {
  if (!j.is_string())
    return Invalid(std::string("malformed ") + what + ": " + (key ? "'" + std::string(key) + "'" : "an id") +
                   " must be a string");
  auto h = ParseHash(j.get<std::string>());
  if (!h)
    return Invalid(std::string("malformed ") + what + ": '" + (key ? key : j.get<std::string>()) +
                   "' is not a 64-digit hex id");
  return *h;
}

inline Result<Hash32> IdAt(const json& j, const char* key, const char* what) {
  auto it = j.find(key);
  if (it == j.end()) return Invalid(std::string("malformed ") + what + ": '" + key + "' must be a string");
  return Id(*it, what, key);
}

// JSON text; bytes that are not UTF-8 (in a message, say) are replaced, not thrown on.
inline std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace aergo::json_body
