// The command table: every porcelain command, its usage line and summary.
#include "cmd/commands.h"

namespace aergo::cli {

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"init", CmdInit, "aergo init [<dir>] [--consensus=solo] [--public] [--key <name>] [--json]",
       "create a ledger repository with a genesis block"},
      {"status", CmdStatus, "aergo status [--json]", "show the branch, head and pending txs"},
      {"commit", CmdCommit, "aergo commit [-m <msg>] [--key <name>] [--json]",
       "seal the merge pool into a block"},
      {"log", CmdLog, "aergo log [<rev>] [-n <N>] [--oneline] [--graph] [--json]",
       "show block history"},
      {"show", CmdShow, "aergo show <rev or txid> [--changes] [--remote <remote>] [--json]",
       "show a block (and the rows it changed) or a transaction", nullptr, "aergo-net"},
      {"diff", CmdDiff,
       "aergo diff [<rev1> [<rev2>]] [--table <contract>.<table>] [--stat] [--json]",
       "show row-level changes between two states"},
      {"branch", CmdBranch, "aergo branch [--json] | branch <name> [--block=<rev>] [--resolver=<contract>.<function>] [--private] | "
       "branch --show <name> [--json] | branch -d|-D <name>",
       "list, create or delete branches"},
      {"tag", CmdTag, "aergo tag [--json] | tag <name> [--block=<rev>] | tag -d <name>",
       "list, create or delete tags"},
      {"checkout", CmdCheckout, "aergo checkout <branch|tag|block>", "switch HEAD and state"},
      {"merge", CmdMerge,
       "aergo merge <rev> [-m <msg>] [--preview] [--key <name>] [--json] | merge --verify <block> [--json]",
       "merge a branch into the current one, or verify a merge block"},
      {"merge-base", CmdMergeBase, "aergo merge-base <rev1> <rev2> [--json]",
       "print the best common ancestor of two blocks"},
      {"cherry-pick", CmdCherryPick, "aergo cherry-pick <txid or block>... [--json]",
       "replay chosen txs onto the current branch's merge pool"},
      {"fsck", CmdFsck, "aergo fsck [--fast] [--threads=<N>] [--json]", "verify the whole repository"},
      {"config", CmdConfig, "aergo config <key> [<value>] | config --unset <key> | config --list",
       "read or write repository config"},
      {"key", CmdKey, "aergo key new <name> | key list | key show <name> [--json]",
       "manage signing keys"},
      {"deploy", CmdDeploy, "aergo deploy <name> <file.sql> [--key <name>] [--json]",
       "deploy an AERGOSQL contract"},
      {"call", CmdCall,
       "aergo call <contract> <function> [<arg>...] | call --batch <file|-> [--remote <remote>] [--key <name>] "
       "[--json]",
       "call a contract function", nullptr, "aergo-net"},
      {"reset", CmdReset, "aergo reset", "discard the merge pool's pending txs"},
      {"query", CmdQuery, "aergo query [--at <rev>] [--remote <remote>] \"<SELECT ...>\" [--json | --csv]",
       "read the state, now or as of any block, with SQL", nullptr, "aergo-net"},
      {"access", CmdAccess,
       "aergo access grant <address> read|write|admin [--key <name>] [--json] | "
       "access revoke <address> [--key <name>] [--json] | access list [--json]",
       "grant or revoke roles (system txs), or list who has which"},
      {"remote", CmdRemote, "aergo remote [-v] [--json] | remote add <name> <url> | remote remove <name>",
       "manage the remotes this repository fetches from and pushes to"},
      {"clone", nullptr, "aergo clone <url> [<dir>] [--branch <b>] [--key <name>] [--no-progress] [--json]",
       "copy a ledger repository from a daemon or a local path", "aergo-net"},
      {"fetch", nullptr, "aergo fetch [<remote>] [--key <name>] [--no-progress] [--json]",
       "download a remote's blocks, branches and tags", "aergo-net"},
      {"pull", nullptr, "aergo pull [<remote>:<branch>] [-m <msg>] [--key <name>] [--no-progress] [--json]",
       "fetch, then merge the remote branch into the current one", "aergo-net"},
      {"push", nullptr, "aergo push [<remote>:<branch>] [--key <name>] [--no-progress] [--json]",
       "send a branch's blocks; the remote applies them to its branch", "aergo-net"},
      {"daemon", nullptr,
       "aergo daemon --listen <host:port> [--name <name>]... [--key <name>] [--block-interval <ms>] "
       "[--tls-cert <f> --tls-key <f>] "
       "[--detach --pid-file <f>] [--log-file <f>] <repo-path>...",
       "serve repositories over HTTP", "aergo-net"},
      {"watch", nullptr, "aergo watch [<remote>] [--json] [--count <n>] [--branch <b>] [--key <name>]",
       "print a daemon's new blocks, receipts and branch moves as they happen", "aergo-net"},
      {"help", CmdHelp, "aergo help [<command>]", "show a command's manual"},
  };
  return kCommands;
}

const Command* FindCommand(const std::string& name) {
  for (const auto& c : Commands())
    if (name == c.name) return &c;
  return nullptr;
}

}  // namespace aergo::cli
