// The HTTP API's message bodies (docs/api.md): JSON for everything but
// packs, encoded and decoded here for both ends (client: remote/, server:
// daemon/). Decoders take untrusted text: Invalid on anything malformed,
// never an exception.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/objects.h"
#include "merge/receive.h"

namespace aergo {

// GET /<repo>/refs
struct RemoteRefs {
  Hash32 chain_id{};
  std::string head;  // the served repository's checked-out branch ("" if detached)
  bool is_public = false;
  std::vector<std::pair<std::string, Hash32>> branches, tags;
  // The advertised branches that are private there (each branch entry's
  // optional "private": true; absent in older bodies: none).
  std::set<std::string> private_branches;
};
std::string EncodeRefs(const RemoteRefs& refs);
Result<RemoteRefs> DecodeRefs(std::string_view json);

// POST /<repo>/fetch: the blocks wanted and some the client has.
struct FetchRequest {
  std::vector<Hash32> wants, haves;
};
inline constexpr size_t kMaxFetchIds = 100000;
std::string EncodeFetchRequest(const FetchRequest& r);
Result<FetchRequest> DecodeFetchRequest(std::string_view json);

// POST /<repo>/push: "<decimal length of the JSON>\n", the JSON request,
// then the pack (possibly empty).
std::string EncodePushHead(const PushRequest& r);
struct PushBody {
  PushRequest request;
  std::string_view pack;  // into the body given to DecodePushBody
};
Result<PushBody> DecodePushBody(std::string_view body);

// The push's answer.
std::string EncodePushOutcome(const PushOutcome& o);
Result<PushOutcome> DecodePushOutcome(std::string_view json);

// Error bodies: {"error": message, "role": the missing role or null}; the
// HTTP status carries the kind of refusal (docs/api.md).
std::string EncodeError(const Status& st, const std::string& missing_role = "");
struct RemoteError {
  std::string message;
  std::string role;  // the role the caller lacks, if the server said
};
RemoteError DecodeError(std::string_view body);

}  // namespace aergo
