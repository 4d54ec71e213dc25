#include "core/objects.h"

#include <algorithm>

#include "core/contract.h"

namespace aergo {

const char* TxKindName(TxKind k) {
  switch (k) {
    case TxKind::kGenesis: return "genesis";
    case TxKind::kDeploy: return "deploy";
    case TxKind::kCall: return "call";
    case TxKind::kAccess: return "access";
  }
  return "?";
}

const char* ReceiptStatusName(ReceiptStatus s) {
  switch (s) {
    case ReceiptStatus::kApplied: return "applied";
    case ReceiptStatus::kExcluded: return "excluded";
    case ReceiptStatus::kResolved: return "resolved";
  }
  return "?";
}

std::string ShortId(const Hash32& id) { return ToHex(id).substr(0, 12); }

// ---- Tx ----

Bytes Tx::EncodeUnsigned() const {
  Writer w;
  w.U8(kObjectVersion);
  w.U8(static_cast<uint8_t>(kind));
  w.Fixed(chain_id);
  w.Fixed(sender);
  w.U64(time_ms);
  w.Fixed(salt);
  w.Text(contract);
  w.Text(function);
  w.U32(static_cast<uint32_t>(args.size()));
  for (const auto& a : args) EncodeValue(&w, a);
  w.Text(payload);
  return w.Take();
}

Bytes Tx::Encode() const {
  Bytes b = EncodeUnsigned();
  b.insert(b.end(), signature.begin(), signature.end());
  return b;
}

Hash32 Tx::Id() const { return Sha256(EncodeUnsigned()); }

void Tx::Sign(const SecretKey& key) {
  Bytes b = EncodeUnsigned();
  signature = key.Sign(kDomainTx, b.data(), b.size());
}

bool Tx::VerifySignature() const {
  Bytes b = EncodeUnsigned();
  return aergo::VerifySignature(kDomainTx, sender, b.data(), b.size(), signature);
}

static bool IsZero(const Hash32& h) {
  return std::all_of(h.begin(), h.end(), [](uint8_t c) { return c == 0; });
}

static void DecodeTxFields(Reader* r, Tx* tx) {
  uint8_t version = r->U8("version");
  if (r->ok() && version != kObjectVersion) r->Fail("unsupported version " + std::to_string(version));
  uint8_t kind = r->U8("kind");
  if (r->ok() && kind > static_cast<uint8_t>(TxKind::kAccess))
    r->Fail("unknown kind " + std::to_string(kind));
  tx->kind = static_cast<TxKind>(kind);
  tx->chain_id = r->Fixed<32>("chain id");
  tx->sender = r->Fixed<32>("sender");
  tx->time_ms = r->U64("time");
  tx->salt = r->Fixed<16>("salt");
  tx->contract = r->Text("contract", kMaxNameBytes);
  tx->function = r->Text("function", kMaxNameBytes);
  uint32_t nargs = r->U32("argument count");
  if (r->ok() && nargs > kMaxArgs) r->Fail("too many arguments: " + std::to_string(nargs));
  for (uint32_t i = 0; r->ok() && i < nargs; ++i) tx->args.push_back(DecodeValue(r, "argument"));
  tx->payload = r->Text("payload", kMaxPayloadBytes);
  tx->signature = r->Fixed<64>("signature");
  if (!r->ok()) return;
  // Kind-specific canonical shape.
  switch (tx->kind) {
    case TxKind::kGenesis:
      if (!IsZero(tx->chain_id)) r->Fail("genesis tx must have a zero chain id");
      break;
    case TxKind::kDeploy:
      if (tx->contract.empty() || !tx->function.empty() || !tx->args.empty())
        r->Fail("deploy tx must name a contract and carry no function or arguments");
      if (IsZero(tx->chain_id)) r->Fail("tx has a zero chain id");
      break;
    case TxKind::kCall:
      if (tx->contract.empty() || tx->function.empty() || !tx->payload.empty())
        r->Fail("call tx must name a contract and a function and carry no payload");
      if (IsZero(tx->chain_id)) r->Fail("tx has a zero chain id");
      break;
    case TxKind::kAccess: {
      bool grant = tx->function == "grant", revoke = tx->function == "revoke";
      bool texts = std::all_of(tx->args.begin(), tx->args.end(),
                               [](const Value& v) { return v.type == Value::Type::kText; });
      if (tx->contract != "aergo" || !(grant || revoke) || !tx->payload.empty() || !texts ||
          tx->args.size() != (grant ? 2u : 1u))
        r->Fail("access tx must be aergo.grant(address, role) or aergo.revoke(address)");
      if (IsZero(tx->chain_id)) r->Fail("tx has a zero chain id");
      break;
    }
  }
}

Result<Tx> Tx::Decode(const uint8_t* p, size_t n) {
  Reader r(p, n, "transaction");
  Tx tx;
  DecodeTxFields(&r, &tx);
  r.ExpectEnd();
  if (!r.ok()) return r.status();
  return tx;
}

// ---- Receipt ----

Bytes Receipt::Encode() const {
  Writer w;
  w.Fixed(txid);
  w.U8(static_cast<uint8_t>(status));
  w.Text(error);
  if (status == ReceiptStatus::kResolved) w.Text(resolver);
  return w.Take();
}

Result<Receipt> Receipt::Decode(Reader* r) {
  Receipt rc;
  rc.txid = r->Fixed<32>("receipt txid");
  uint8_t st = r->U8("receipt status");
  if (r->ok() && st > static_cast<uint8_t>(ReceiptStatus::kResolved))
    r->Fail("unknown receipt status " + std::to_string(st));
  rc.status = static_cast<ReceiptStatus>(st);
  rc.error = r->Text("receipt error", kMaxErrorBytes);
  if (r->ok() && rc.status == ReceiptStatus::kApplied && !rc.error.empty())
    r->Fail("applied receipt carries an error");
  if (rc.status == ReceiptStatus::kResolved) {
    rc.resolver = r->Text("receipt resolver", kMaxResolverBytes);
    if (r->ok() && !IsValidResolverName(rc.resolver)) r->Fail("invalid receipt resolver name");
  }
  if (!r->ok()) return r->status();
  return rc;
}

bool IsValidResolverName(std::string_view name) {
  size_t dot = name.find('.');
  return dot != std::string_view::npos && IsValidContractName(name.substr(0, dot)) &&
         IsValidContractName(name.substr(dot + 1));
}

// ---- BlockHeader ----

Bytes BlockHeader::EncodeUnsigned() const {
  Writer w;
  w.U8(kObjectVersion);
  w.Fixed(chain_id);
  w.U64(height);
  w.U8(static_cast<uint8_t>(parents.size()));
  for (const auto& p : parents) w.Fixed(p);
  w.U64(time_ms);
  w.Fixed(producer);
  w.Fixed(tx_root);
  w.Fixed(receipt_root);
  w.Fixed(state_root);
  w.U32(tx_count);
  w.Text(message);
  if (parents.size() == 2) w.Text(resolver);
  return w.Take();
}

Bytes BlockHeader::Encode() const {
  Bytes b = EncodeUnsigned();
  b.insert(b.end(), signature.begin(), signature.end());
  return b;
}

Hash32 BlockHeader::Id() const { return Sha256(EncodeUnsigned()); }

void BlockHeader::Sign(const SecretKey& key) {
  Bytes b = EncodeUnsigned();
  signature = key.Sign(kDomainBlock, b.data(), b.size());
}

bool BlockHeader::VerifySignature() const {
  Bytes b = EncodeUnsigned();
  return aergo::VerifySignature(kDomainBlock, producer, b.data(), b.size(), signature);
}

Result<BlockHeader> BlockHeader::Decode(const uint8_t* p, size_t n) {
  Reader r(p, n, "block header");
  BlockHeader h;
  uint8_t version = r.U8("version");
  if (r.ok() && version != kObjectVersion) r.Fail("unsupported version " + std::to_string(version));
  h.chain_id = r.Fixed<32>("chain id");
  h.height = r.U64("height");
  uint8_t np = r.U8("parent count");
  if (r.ok() && np > 2) r.Fail("too many parents: " + std::to_string(np));
  for (uint8_t i = 0; r.ok() && i < np; ++i) h.parents.push_back(r.Fixed<32>("parent"));
  h.time_ms = r.U64("time");
  h.producer = r.Fixed<32>("producer");
  h.tx_root = r.Fixed<32>("tx root");
  h.receipt_root = r.Fixed<32>("receipt root");
  h.state_root = r.Fixed<32>("state root");
  h.tx_count = r.U32("tx count");
  h.message = r.Text("message", kMaxMessageBytes);
  if (np == 2) {
    h.resolver = r.Text("resolver", kMaxResolverBytes);
    if (r.ok() && !h.resolver.empty() && !IsValidResolverName(h.resolver))
      r.Fail("invalid resolver name");
  }
  h.signature = r.Fixed<64>("signature");
  r.ExpectEnd();
  if (r.ok()) {
    bool genesis = h.parents.empty();
    if (genesis && (h.height != 0 || !IsZero(h.chain_id)))
      r.Fail("a block without parents must be genesis: height 0 and zero chain id");
    if (!genesis && (h.height == 0 || IsZero(h.chain_id)))
      r.Fail("a block with parents must have a height above 0 and a chain id");
    if (h.parents.size() == 2 && h.parents[0] == h.parents[1]) r.Fail("duplicate parents");
    if (h.tx_count > kMaxBlockTxs) r.Fail("too many txs: " + std::to_string(h.tx_count));
  }
  if (!r.ok()) return r.status();
  return h;
}

// ---- Block ----

Bytes Block::EncodeTxs() const {
  Writer w;
  w.U32(static_cast<uint32_t>(txs.size()));
  for (const auto& tx : txs) w.Blob(tx.Encode());
  return w.Take();
}

Bytes Block::EncodeReceipts() const {
  Writer w;
  w.U32(static_cast<uint32_t>(receipts.size()));
  for (const auto& rc : receipts) w.Raw(rc.Encode());
  return w.Take();
}

Result<Block> Block::Decode(const Bytes& header, const Bytes& txs, const Bytes& receipts) {
  Block b;
  AERGO_ASSIGN_OR_RETURN(b.header, BlockHeader::Decode(header));
  {
    Reader r(txs, "block txs");
    uint32_t n = r.U32("tx count");
    if (r.ok() && n != b.header.tx_count)
      r.Fail("holds " + std::to_string(n) + " txs, header says " +
             std::to_string(b.header.tx_count));
    // Never trust the count for allocation: each tx takes at least
    // kMinTxBytes of input.
    constexpr size_t kMinTxBytes = 4 + 170;
    b.txs.reserve(r.ok() ? std::min<size_t>(n, r.remaining() / kMinTxBytes) : 0);
    for (uint32_t i = 0; r.ok() && i < n; ++i) {
      uint32_t len = r.U32("tx length");
      if (!r.ok()) break;
      if (len > r.remaining()) {
        r.Fail("tx " + std::to_string(i) + " length " + std::to_string(len) + " runs past the end");
        break;
      }
      auto tx = Tx::Decode(r.position(), len);
      if (!tx.ok()) return tx.status().Context("block txs: tx " + std::to_string(i));
      b.txs.push_back(std::move(tx.value()));
      r.Skip(len, "tx");
    }
    r.ExpectEnd();
    if (!r.ok()) return r.status();
  }
  {
    Reader r(receipts, "block receipts");
    uint32_t n = r.U32("receipt count");
    if (r.ok() && n != b.txs.size())
      r.Fail("holds " + std::to_string(n) + " receipts for " + std::to_string(b.txs.size()) +
             " txs");
    for (uint32_t i = 0; r.ok() && i < n; ++i) {
      auto rc = Receipt::Decode(&r);
      if (!rc.ok()) return rc.status();
      b.receipts.push_back(std::move(rc.value()));
    }
    r.ExpectEnd();
    if (!r.ok()) return r.status();
  }
  return b;
}

std::vector<Hash32> Block::TxIds() const {
  std::vector<Hash32> ids;
  ids.reserve(txs.size());
  for (const auto& tx : txs) ids.push_back(tx.Id());
  return ids;
}

Hash32 Block::ComputeTxRoot() const { return MerkleRoot(TxIds()); }

Hash32 Block::ComputeReceiptRoot() const {
  std::vector<Hash32> hs;
  hs.reserve(receipts.size());
  for (const auto& rc : receipts) hs.push_back(rc.Hash());
  return MerkleRoot(hs);
}

Status Block::CheckStructure(std::vector<Hash32>* ids_out) const {
  std::string id = ShortId(Id());
  if (txs.size() != header.tx_count || receipts.size() != txs.size())
    return Corrupt("block " + id + ": tx or receipt count does not match its header");
  std::vector<Hash32> ids = TxIds();
  if (MerkleRoot(ids) != header.tx_root) return Corrupt("block " + id + ": tx root mismatch");
  if (ComputeReceiptRoot() != header.receipt_root)
    return Corrupt("block " + id + ": receipt root mismatch");
  bool genesis = header.parents.empty();
  for (size_t i = 0; i < txs.size(); ++i) {
    const Tx& tx = txs[i];
    if (receipts[i].txid != ids[i])
      return Corrupt("block " + id + ": receipt " + std::to_string(i) + " is for another tx");
    if (genesis != (tx.kind == TxKind::kGenesis))
      return Corrupt("block " + id + ": genesis txs appear only in the genesis block");
    if (!genesis && tx.chain_id != header.chain_id)
      return Corrupt("block " + id + ": tx " + ShortId(ids[i]) + " belongs to another chain");
    if (receipts[i].status != ReceiptStatus::kApplied && header.parents.size() != 2)
      return Corrupt("block " + id + ": tx " + ShortId(ids[i]) + " is " + ReceiptStatusName(receipts[i].status) +
                     " outside a merge block");
  }
  if (ids_out) *ids_out = std::move(ids);
  return Status::Ok();
}

}  // namespace aergo
