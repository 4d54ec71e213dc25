#include "remote/wire.h"

#include <nlohmann/json.hpp>

#include <cstdint>

#include "core/index.h"
#include "remote/json_body.h"

namespace aergo {

using namespace json_body;

namespace {

bool Flag(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

json Named(const std::vector<std::pair<std::string, Hash32>>& refs) {
  json a = json::array();
  for (const auto& [name, id] : refs) a.push_back({{"name", name}, {"block", ToHex(id)}});
  return a;
}

Result<std::vector<std::pair<std::string, Hash32>>> NamedFrom(const json& j, const char* key, const char* what) {
  std::vector<std::pair<std::string, Hash32>> out;
  auto it = j.find(key);
  if (it == j.end()) return out;
  if (!it->is_array()) return Invalid(std::string("malformed ") + what + ": '" + key + "' must be a list");
  for (const auto& e : *it) {
    if (!e.is_object()) return Invalid(std::string("malformed ") + what + ": '" + key + "' entries must be objects");
    AERGO_ASSIGN_OR_RETURN(std::string name, Str(e, "name", what));
    AERGO_ASSIGN_OR_RETURN(Hash32 id, IdAt(e, "block", what));
    out.emplace_back(std::move(name), id);
  }
  return out;
}

Result<std::vector<Hash32>> Ids(const json& j, const char* key, const char* what,
                                size_t limit = kMaxFetchIds) {
  std::vector<Hash32> out;
  auto it = j.find(key);
  if (it == j.end()) return out;
  if (!it->is_array()) return Invalid(std::string("malformed ") + what + ": '" + key + "' must be a list");
  if (it->size() > limit)
    return Invalid(std::string(what) + ": more than " + std::to_string(limit) + " ids in '" + key + "'");
  for (const auto& e : *it) {
    AERGO_ASSIGN_OR_RETURN(Hash32 id, Id(e, what));
    out.push_back(id);
  }
  return out;
}

json TxList(const std::vector<MergedTx>& txs) {
  json a = json::array();
  for (const auto& t : txs) {
    json e = {{"txid", ToHex(t.txid)}, {"error", t.error}};
    if (!t.resolver.empty()) e["resolver"] = t.resolver;
    a.push_back(e);
  }
  return a;
}

Result<std::vector<MergedTx>> TxListFrom(const json& j, const char* key) {
  std::vector<MergedTx> out;
  auto it = j.find(key);
  if (it == j.end()) return out;
  if (!it->is_array()) return Invalid(std::string("malformed push answer: '") + key + "' must be a list");
  for (const auto& e : *it) {
    if (!e.is_object()) return Invalid("malformed push answer: tx entries must be objects");
    MergedTx t;
    AERGO_ASSIGN_OR_RETURN(t.txid, IdAt(e, "txid", "push answer"));
    AERGO_ASSIGN_OR_RETURN(t.error, Str(e, "error", "push answer"));
    if (auto r = e.find("resolver"); r != e.end() && r->is_string()) t.resolver = r->get<std::string>();
    out.push_back(std::move(t));
  }
  return out;
}

json DroppedList(const std::vector<DroppedTx>& txs) {
  json a = json::array();
  for (const auto& t : txs) a.push_back({{"branch", t.branch}, {"error", t.error}, {"txid", ToHex(t.txid)}});
  return a;
}

// Absent (an older daemon): none.
Result<std::vector<DroppedTx>> DroppedFrom(const json& j) {
  std::vector<DroppedTx> out;
  auto it = j.find("dropped");
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) return Invalid("malformed push answer: 'dropped' must be a list");
  for (const auto& e : *it) {
    if (!e.is_object()) return Invalid("malformed push answer: dropped entries must be objects");
    DroppedTx t;
    AERGO_ASSIGN_OR_RETURN(t.branch, Str(e, "branch", "push answer"));
    AERGO_ASSIGN_OR_RETURN(t.txid, IdAt(e, "txid", "push answer"));
    AERGO_ASSIGN_OR_RETURN(t.error, Str(e, "error", "push answer"));
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

std::string EncodeRefs(const RemoteRefs& refs) {
  json branches = Named(refs.branches);
  // "private" only on private branches: bodies without private branches
  // are what older daemons send.
  for (json& b : branches)
    if (refs.private_branches.count(b["name"].get<std::string>())) b["private"] = true;
  json j = {{"chain_id", ToHex(refs.chain_id)},
            {"head", refs.head},
            {"public", refs.is_public},
            {"branches", branches},
            {"tags", Named(refs.tags)}};
  return Dump(j);
}

Result<RemoteRefs> DecodeRefs(std::string_view text) {
  const char* what = "refs advertisement";
  AERGO_ASSIGN_OR_RETURN(json j, ParseObject(text, what));
  RemoteRefs r;
  AERGO_ASSIGN_OR_RETURN(r.chain_id, IdAt(j, "chain_id", what));
  AERGO_ASSIGN_OR_RETURN(r.head, Str(j, "head", what));
  r.is_public = Flag(j, "public");
  AERGO_ASSIGN_OR_RETURN(r.branches, NamedFrom(j, "branches", what));
  AERGO_ASSIGN_OR_RETURN(r.tags, NamedFrom(j, "tags", what));
  // NamedFrom checked that "branches", if present, is a list of objects.
  if (auto it = j.find("branches"); it != j.end())
    for (const auto& e : *it) {
      auto p = e.find("private");
      if (p == e.end() || p->is_null()) continue;
      if (!p->is_boolean())
        return Invalid(std::string("malformed ") + what + ": a branch's 'private' must be true or false");
      if (p->get<bool>()) r.private_branches.insert(e.at("name").get<std::string>());
    }
  return r;
}

std::string EncodeFetchRequest(const FetchRequest& r) {
  json w = json::array(), h = json::array();
  for (const auto& id : r.wants) w.push_back(ToHex(id));
  for (const auto& id : r.haves) h.push_back(ToHex(id));
  return Dump(json{{"wants", w}, {"haves", h}});
}

Result<FetchRequest> DecodeFetchRequest(std::string_view text) {
  const char* what = "fetch request";
  AERGO_ASSIGN_OR_RETURN(json j, ParseObject(text, what));
  FetchRequest r;
  AERGO_ASSIGN_OR_RETURN(r.wants, Ids(j, "wants", what));
  AERGO_ASSIGN_OR_RETURN(r.haves, Ids(j, "haves", what));
  if (r.wants.empty()) return Invalid("fetch request: no blocks wanted");
  return r;
}

std::string EncodePushHead(const PushRequest& r) {
  json req = {{"branch", r.branch}, {"block", ToHex(r.block)}, {"tags", Named(r.tags)}};
  if (r.is_private) req["private"] = true;  // optional: absent means not private
  std::string j = Dump(req);
  return std::to_string(j.size()) + "\n" + j;
}

Result<PushBody> DecodePushBody(std::string_view body) {
  size_t nl = body.find('\n');
  if (nl == std::string_view::npos || nl == 0 || nl > 9)
    return Invalid("malformed push: expected '<length>\\n<json><pack>'");
  std::string_view digits = body.substr(0, nl);
  if (digits.find_first_not_of("0123456789") != std::string_view::npos)
    return Invalid("malformed push: the length is not a number");
  size_t len = std::stoul(std::string(digits));
  if (len > body.size() - nl - 1) return Invalid("malformed push: the request is cut short");
  const char* what = "push request";
  AERGO_ASSIGN_OR_RETURN(json j, ParseObject(body.substr(nl + 1, len), what));
  PushBody out;
  AERGO_ASSIGN_OR_RETURN(out.request.branch, Str(j, "branch", what));
  AERGO_ASSIGN_OR_RETURN(out.request.block, IdAt(j, "block", what));
  AERGO_ASSIGN_OR_RETURN(out.request.tags, NamedFrom(j, "tags", what));
  if (auto p = j.find("private"); p != j.end() && !p->is_null()) {
    if (!p->is_boolean()) return Invalid("malformed push request: 'private' must be true or false");
    out.request.is_private = p->get<bool>();
  }
  out.pack = body.substr(nl + 1 + len);
  return out;
}

std::string EncodePushOutcome(const PushOutcome& o) {
  json j = {{"branch", o.branch},
            {"old", o.old_head ? json(ToHex(*o.old_head)) : json(nullptr)},
            {"head", ToHex(o.head)},
            {"created", !o.old_head.has_value()},
            {"up_to_date", o.up_to_date},
            {"fast_forward", o.fast_forward},
            {"blocks", o.blocks},
            {"txs", o.txs},
            {"tags_created", o.tags_created},
            {"dropped", DroppedList(o.dropped)}};
  if (o.merge && !o.merge->fast_forward && !o.merge->up_to_date) {
    json applied = json::array();
    for (const auto& t : o.merge->applied) applied.push_back(ToHex(t));
    j["merge"] = {{"block", o.merge->block ? json(ToHex(*o.merge->block)) : json(nullptr)},
                  {"base", ToHex(o.merge->base)},
                  {"resolver", o.merge->resolver.empty() ? json(nullptr) : json(o.merge->resolver)},
                  {"applied", applied},
                  {"excluded", TxList(o.merge->excluded)},
                  {"resolved", TxList(o.merge->resolved)}};
  } else {
    j["merge"] = nullptr;
  }
  return Dump(j);
}

Result<PushOutcome> DecodePushOutcome(std::string_view text) {
  const char* what = "push answer";
  AERGO_ASSIGN_OR_RETURN(json j, ParseObject(text, what));
  PushOutcome o;
  AERGO_ASSIGN_OR_RETURN(o.branch, Str(j, "branch", what));
  if (auto it = j.find("old"); it != j.end() && !it->is_null()) {
    AERGO_ASSIGN_OR_RETURN(Hash32 old, Id(*it, what));
    o.old_head = old;
  }
  AERGO_ASSIGN_OR_RETURN(o.head, IdAt(j, "head", what));
  o.up_to_date = Flag(j, "up_to_date");
  o.fast_forward = Flag(j, "fast_forward");
  if (auto it = j.find("blocks"); it != j.end() && it->is_number_unsigned()) o.blocks = it->get<uint64_t>();
  if (auto it = j.find("txs"); it != j.end() && it->is_number_unsigned()) o.txs = it->get<uint64_t>();
  if (auto it = j.find("tags_created"); it != j.end() && it->is_array())
    for (const auto& t : *it)
      if (t.is_string()) o.tags_created.push_back(t.get<std::string>());
  AERGO_ASSIGN_OR_RETURN(o.dropped, DroppedFrom(j));
  if (auto it = j.find("merge"); it != j.end() && it->is_object()) {
    const json& m = *it;
    MergeReport r;
    if (auto b = m.find("block"); b != m.end() && !b->is_null()) {
      AERGO_ASSIGN_OR_RETURN(Hash32 block, Id(*b, what));
      r.block = block;
    }
    AERGO_ASSIGN_OR_RETURN(r.base, IdAt(m, "base", what));
    if (auto rs = m.find("resolver"); rs != m.end() && rs->is_string()) r.resolver = rs->get<std::string>();
    AERGO_ASSIGN_OR_RETURN(r.applied, Ids(m, "applied", what, SIZE_MAX));
    AERGO_ASSIGN_OR_RETURN(r.excluded, TxListFrom(m, "excluded"));
    AERGO_ASSIGN_OR_RETURN(r.resolved, TxListFrom(m, "resolved"));
    o.merge = std::move(r);
  }
  return o;
}

std::string EncodeError(const Status& st, const std::string& missing_role) {
  json j = {{"error", st.message()}, {"role", missing_role.empty() ? json(nullptr) : json(missing_role)}};
  return Dump(j);
}

RemoteError DecodeError(std::string_view body) {
  RemoteError e;
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (!j.is_discarded() && j.is_object()) {
    if (auto it = j.find("error"); it != j.end() && it->is_string()) e.message = it->get<std::string>();
    if (auto it = j.find("role"); it != j.end() && it->is_string()) e.role = it->get<std::string>();
  }
  if (e.message.empty()) {
    std::string b(body.substr(0, 200));
    e.message = b.empty() ? "no explanation given" : b;
  }
  return e;
}

}  // namespace aergo
