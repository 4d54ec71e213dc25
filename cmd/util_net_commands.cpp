// The network commands' table for aergo-net: the entries of the command
// table (commands.cpp) that name aergo-net, with their handlers, and those
// that run there with --remote (call, show, query: their own handlers).
#include "cmd/commands.h"

namespace aergo::cli {

const std::vector<Command>& NetCommands() {
  static const std::vector<Command> kNet = [] {
    const std::pair<const char*, Handler> handlers[] = {
        {"clone", CmdClone}, {"fetch", CmdFetch}, {"pull", CmdPull}, {"push", CmdPush}, {"daemon", CmdDaemon},
        {"watch", CmdWatch}};
    std::vector<Command> out;
    for (Command c : Commands()) {
      if (c.program == nullptr && c.remote_program == nullptr) continue;
      for (const auto& [name, h] : handlers)
        if (std::string(name) == c.name) c.handler = h;
      out.push_back(c);
    }
    return out;
  }();
  return kNet;
}

}  // namespace aergo::cli
