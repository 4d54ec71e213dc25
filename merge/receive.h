// The receiving end of a push (docs/design.md §8; man/aergo-push.1): used by the
// daemon and by pushes to a repository on a local path.
//
// A push applies the pusher's transactions to a branch of this repository.
// ReceivePush verifies every block that arrived (core/import.h), then:
//   - the branch does not exist: it is created at the pushed block
//     (private if the request says so);
//   - the pushed block is already in the branch's history: up to date;
//   - the branch head is an ancestor of the pushed block: fast-forward;
//   - otherwise the branch's merge policy runs here (merge/merge.h), signed
//     by `key`, as if the branch's owner had typed `aergo merge`.
// Tags in the request are created where missing. Everything that can refuse
// the push is checked before anything is written — bad blocks, a tag that
// exists at another block, pending txs in the branch's merge pool, a merge
// with no key — so a refused push changes nothing here.
//
// Ownership: borrows the repository (opened for writing) and the pack.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/repo.h"
#include "core/transfer.h"
#include "merge/merge.h"

namespace aergo {

struct PushRequest {
  std::string branch;
  Hash32 block{};
  std::vector<std::pair<std::string, Hash32>> tags;
  // The pushed branch is private on the pusher's side: a branch this push
  // creates is created private. Ignored when the branch exists (a push
  // never changes an existing branch's flag).
  bool is_private = false;
};

struct PushOutcome {
  std::string branch;
  std::optional<Hash32> old_head;  // unset: the branch was created
  Hash32 head{};                   // the branch head afterwards
  bool up_to_date = false;
  bool fast_forward = false;
  std::optional<MergeReport> merge;  // set when the branch merged
  std::vector<std::string> tags_created;
  uint64_t blocks = 0, txs = 0;  // verified and indexed
};

// pack: the received pack (PackReceiver::Append done), or null if the
// pusher sent none because the repository already has every block.
Result<PushOutcome> ReceivePush(Repository& repo, PackReceiver* pack, const PushRequest& request,
                                const SecretKey* key);

}  // namespace aergo
