// The HTTP API's ledger bodies (docs/api.md): submitting txs and reading a
// block, a tx or a query result. Objects travel in their canonical
// encodings (docs/formats/objects.md) as hex inside JSON, so the client
// checks what it reads exactly as it checks what it fetches. Decoders take
// untrusted text: Invalid on anything malformed, never an exception.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/contract.h"
#include "core/objects.h"
#include "core/repo.h"

namespace aergo {

// POST /<repo>/txs: {"txs": ["<hex of Tx::Encode()>", ...]}.
inline constexpr size_t kMaxSubmittedTxs = 10000;
std::string EncodeTxSubmission(const std::vector<Tx>& txs);
Result<std::vector<Tx>> DecodeTxSubmission(std::string_view json);

// Its answer: {"branch": b, "receipts": [{"txid", "status": "ok"|"failed",
// "error": text|null}, ...]} in the order submitted. An "ok" tx is in the
// branch's merge pool; a failed one was not kept.
struct SubmitAnswer {
  std::string branch;
  std::vector<Submitted> receipts;
};
std::string EncodeSubmitAnswer(const SubmitAnswer& a);
Result<SubmitAnswer> DecodeSubmitAnswer(std::string_view json);

// GET /<repo>/blocks/<rev>: {"id", "header", "txs", "receipts", "changes"}
// (hex of the block's stored blobs). The decoder checks that the id is the
// header's hash and that the block is well formed (Block::CheckStructure).
std::string EncodeBlockAnswer(const Block& block);
Result<Block> DecodeBlockAnswer(std::string_view json);

// GET /<repo>/txs/<txid or prefix>: {"tx", "receipt" (hex), "block": id or
// null (pending in the served branch's merge pool)}. The decoder checks the
// tx's signature and that the receipt is the tx's.
std::string EncodeTxAnswer(const FoundTx& found);
Result<FoundTx> DecodeTxAnswer(std::string_view json);

// POST /<repo>/query: {"sql": text, "at": revision or null (the served
// branch's live state)}.
struct QueryRequest {
  std::string sql;
  std::optional<std::string> at;
};
std::string EncodeQueryRequest(const QueryRequest& q);
Result<QueryRequest> DecodeQueryRequest(std::string_view json);

// Its answer: {"columns": [names], "rows": [[values]]}, typed so that
// every value survives: null, integers, finite reals (always with '.' or an
// exponent), UTF-8 text as strings, {"blob": hex}, {"text_hex": hex} for
// text that is not UTF-8, {"real": "inf"|"-inf"|"nan"}. The decoder refuses
// integers beyond 64 bits rather than reading them as reals.
std::string EncodeQueryAnswer(const QueryResult& r);
Result<QueryResult> DecodeQueryAnswer(std::string_view json);

}  // namespace aergo
