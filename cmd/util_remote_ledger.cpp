// The RemoteLedger of aergo-net (cmd/cli.h): `call`, `show` and `query`
// with --remote, over a Transport (remote/transport.h).
#include "cmd/util_sync.h"

namespace aergo::cli {

namespace {

class TransportLedger : public RemoteLedger {
 public:
  TransportLedger(std::unique_ptr<SecretKey> key, std::unique_ptr<Transport> transport)
      : key_(std::move(key)), transport_(std::move(transport)) {}

  const std::string& url() const override { return transport_->url(); }

  Result<std::vector<Submitted>> Submit(const std::vector<Tx>& txs, std::string* branch) override {
    AERGO_ASSIGN_OR_RETURN(SubmitAnswer answer, transport_->SubmitTxs(txs));
    if (answer.receipts.size() != txs.size())
      return Invalid(url() + " answered " + std::to_string(answer.receipts.size()) + " receipts for " +
                     std::to_string(txs.size()) + " txs");
    for (size_t i = 0; i < txs.size(); ++i)
      if (answer.receipts[i].txid != txs[i].Id())
        return Invalid(url() + " answered a receipt for another tx (" + ToHex(answer.receipts[i].txid) + ")");
    *branch = answer.branch;
    return std::move(answer.receipts);
  }
  Result<FoundTx> GetTx(const std::string& txid) override { return transport_->GetTx(txid); }
  Result<Block> GetBlock(const std::string& rev) override { return transport_->GetBlock(rev); }
  Result<QueryResult> Query(const std::string& sql, const std::optional<std::string>& at) override {
    return transport_->Query(QueryRequest{sql, at});
  }

 private:
  std::unique_ptr<SecretKey> key_;  // owned when loaded here; the transport borrows it
  std::unique_ptr<Transport> transport_;
};

// A URL or a path rather than a remote's name.
bool LooksLikeUrl(const std::string& s) {
  return s.find("://") != std::string::npos || s.find('/') != std::string::npos || s == "." || s == "..";
}

}  // namespace

Result<std::unique_ptr<RemoteLedger>> OpenTransportLedger(Context& ctx, Repository* repo, const std::string& remote,
                                                          const std::optional<std::string>& key_flag,
                                                          const SecretKey* key) {
  std::string url = remote;
  if (!LooksLikeUrl(remote)) {
    if (!repo)
      return NotFound("no repository here to look up remote '" + remote + "' in (give its URL instead)");
    AERGO_ASSIGN_OR_RETURN(url, RemoteUrl(*repo, remote));
  } else if (!IsHttpUrl(url) && url.rfind("file://", 0) != 0 && url[0] != '/') {
    url = ctx.cwd + "/" + url;  // a relative path
  }
  std::unique_ptr<SecretKey> owned;
  if (!key) {
    AERGO_ASSIGN_OR_RETURN(auto loaded, OptionalKey(ctx, key_flag, repo));
    if (loaded) owned = std::make_unique<SecretKey>(std::move(*loaded));
    key = owned.get();
  }
  TransportOptions topts;
  topts.key = key;
  topts.clock = &ctx.clock;
  topts.open = ctx.open_options;
  AERGO_ASSIGN_OR_RETURN(auto transport, OpenTransport(url, topts));
  return std::unique_ptr<RemoteLedger>(new TransportLedger(std::move(owned), std::move(transport)));
}

}  // namespace aergo::cli
