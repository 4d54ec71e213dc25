// A repository on a local path, opened directly: the same operations the
// daemon serves, without HTTP or access checks (the filesystem's
// permissions apply): every branch is advertised, private ones with their
// flag.
#include <filesystem>
#include <set>

#include "core/import.h"
#include "remote/transport.h"

namespace aergo {

namespace {

class FileTransport : public Transport {
 public:
  FileTransport(std::string url, std::string aergo_dir, const TransportOptions& options)
      : url_(std::move(url)), aergo_dir_(std::move(aergo_dir)), options_(options) {}

  const std::string& url() const override { return url_; }

  Result<RemoteRefs> ListRefs() override {
    AERGO_ASSIGN_OR_RETURN(auto repo, Repository::Open(aergo_dir_, OpenMode::kRead, *options_.clock, options_.open));
    RemoteRefs refs;
    refs.chain_id = repo->chain_id();
    AERGO_ASSIGN_OR_RETURN(HeadRef head, repo->git().Head());
    refs.head = head.branch.value_or("");
    refs.is_public = repo->config().Get("core.public").value_or("") == "true";
    AERGO_ASSIGN_OR_RETURN(refs.branches, repo->Branches());
    AERGO_ASSIGN_OR_RETURN(refs.tags, repo->Tags());
    // No caller identity here: everything is advertised, private branches
    // with their flag (daemon/access.h applies only over HTTP).
    AERGO_ASSIGN_OR_RETURN(std::set<std::string> flagged, repo->index().PrivateBranches());
    for (const auto& [name, id] : refs.branches)
      if (flagged.count(name)) refs.private_branches.insert(name);
    return refs;
  }

  Status Fetch(const FetchRequest& request, const PackSink& sink) override {
    AERGO_ASSIGN_OR_RETURN(auto repo, Repository::Open(aergo_dir_, OpenMode::kRead, *options_.clock, options_.open));
    std::vector<Oid> wants, haves;
    for (const auto& id : request.wants) {
      AERGO_ASSIGN_OR_RETURN(BlockRow row, repo->BlockInfo(id));
      wants.push_back(row.oid);
    }
    for (const auto& id : request.haves) {
      AERGO_ASSIGN_OR_RETURN(auto row, repo->index().GetBlock(id));
      if (row) haves.push_back(row->oid);
    }
    return WritePack(repo->git(), wants, haves, sink).status();
  }

  Result<PushOutcome> Push(const PushRequest& request, const std::string& pack) override {
    AERGO_ASSIGN_OR_RETURN(auto repo, Repository::Open(aergo_dir_, OpenMode::kWrite, *options_.clock, options_.open));
    std::unique_ptr<PackReceiver> rx;
    if (!pack.empty()) {
      AERGO_ASSIGN_OR_RETURN(rx, ReceiverFor(*repo, 0));
      AERGO_RETURN_IF_ERROR(rx->Append(pack.data(), pack.size()));
    }
    return ReceivePush(*repo, rx.get(), request, options_.key);
  }

  Result<SubmitAnswer> SubmitTxs(const std::vector<Tx>& txs) override {
    AERGO_ASSIGN_OR_RETURN(auto repo, Repository::Open(aergo_dir_, OpenMode::kWrite, *options_.clock, options_.open));
    SubmitAnswer answer;
    AERGO_ASSIGN_OR_RETURN(answer.branch,
                           repo->CheckedOutBranch("the repository at " + url_ + " takes txs only on a branch"));
    AERGO_ASSIGN_OR_RETURN(answer.receipts, repo->Submit(txs));
    return answer;
  }

  Result<FoundTx> GetTx(const std::string& txid) override {
    AERGO_ASSIGN_OR_RETURN(auto repo, Repository::Open(aergo_dir_, OpenMode::kRead, *options_.clock, options_.open));
    return repo->FindTx(txid);
  }

  Result<Block> GetBlock(const std::string& rev) override {
    AERGO_ASSIGN_OR_RETURN(auto repo, Repository::Open(aergo_dir_, OpenMode::kRead, *options_.clock, options_.open));
    AERGO_ASSIGN_OR_RETURN(Hash32 id, repo->Resolve(rev));
    return repo->ReadBlock(id);
  }

  Result<QueryResult> Query(const QueryRequest& query) override {
    AERGO_ASSIGN_OR_RETURN(auto repo, Repository::Open(aergo_dir_, OpenMode::kRead, *options_.clock, options_.open));
    std::optional<Hash32> at;
    if (query.at) {
      AERGO_ASSIGN_OR_RETURN(at, repo->Resolve(*query.at));
    }
    return repo->Query(query.sql, at);
  }

 private:
  std::string url_, aergo_dir_;
  TransportOptions options_;
};

}  // namespace

Result<std::unique_ptr<Transport>> OpenFileTransport(const std::string& url, const TransportOptions& options) {
  namespace fs = std::filesystem;
  std::string path = url.rfind("file://", 0) == 0 ? url.substr(7) : url;
  if (path.empty()) return Invalid("empty repository path in '" + url + "'");
  fs::path p(path);
  std::string aergo_dir;
  if (fs::exists(p / ".aergo" / "ledger.db")) aergo_dir = fs::absolute(p / ".aergo").string();
  else if (fs::exists(p / "ledger.db")) aergo_dir = fs::absolute(p).string();
  else return NotFound("'" + url + "' is not an aergo repository");
  return std::unique_ptr<Transport>(new FileTransport(url, aergo_dir, options));
}

bool IsHttpUrl(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

Result<std::unique_ptr<Transport>> OpenTransport(const std::string& url, const TransportOptions& options) {
  if (IsHttpUrl(url)) return OpenHttpTransport(url, options);
  if (url.find("://") != std::string::npos && url.rfind("file://", 0) != 0)
    return Invalid("unsupported remote URL '" + url + "' (use http://, https://, file:// or a path)");
  return OpenFileTransport(url, options);
}

}  // namespace aergo
