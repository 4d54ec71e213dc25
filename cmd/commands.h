// Handlers, one per file cmd/<name>.cpp.
#pragma once

#include "cmd/cli.h"

namespace aergo::cli {

int CmdInit(Context&, const std::vector<std::string>&);
int CmdStatus(Context&, const std::vector<std::string>&);
int CmdCommit(Context&, const std::vector<std::string>&);
int CmdLog(Context&, const std::vector<std::string>&);
int CmdShow(Context&, const std::vector<std::string>&);
int CmdBranch(Context&, const std::vector<std::string>&);
int CmdTag(Context&, const std::vector<std::string>&);
int CmdCheckout(Context&, const std::vector<std::string>&);
int CmdFsck(Context&, const std::vector<std::string>&);
int CmdConfig(Context&, const std::vector<std::string>&);
int CmdKey(Context&, const std::vector<std::string>&);
int CmdDeploy(Context&, const std::vector<std::string>&);
int CmdCall(Context&, const std::vector<std::string>&);
int CmdReset(Context&, const std::vector<std::string>&);
int CmdQuery(Context&, const std::vector<std::string>&);
int CmdHelp(Context&, const std::vector<std::string>&);
int CmdDiff(Context&, const std::vector<std::string>&);
int CmdMerge(Context&, const std::vector<std::string>&);
int CmdMergeBase(Context&, const std::vector<std::string>&);
int CmdCherryPick(Context&, const std::vector<std::string>&);
int CmdRemote(Context&, const std::vector<std::string>&);
int CmdAccess(Context&, const std::vector<std::string>&);
// In aergo-net (util_net_commands.cpp).
int CmdClone(Context&, const std::vector<std::string>&);
int CmdFetch(Context&, const std::vector<std::string>&);
int CmdPull(Context&, const std::vector<std::string>&);
int CmdPush(Context&, const std::vector<std::string>&);
int CmdDaemon(Context&, const std::vector<std::string>&);
int CmdWatch(Context&, const std::vector<std::string>&);

}  // namespace aergo::cli
