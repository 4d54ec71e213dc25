// aergo-net: the network commands (clone, fetch, pull, push, daemon, watch, and
// call, show and query with --remote), which `aergo` runs by exec. Kept out of `aergo` because loading libcurl,
// Boost.Asio's TLS and OpenSSL costs about 5 ms at every start, more than most
// local commands take (docs/ARCHITECTURE.md).
#include "cmd/cli.h"
#include "cmd/util_sync.h"

int main(int argc, char** argv) {
  return aergo::cli::RunMain(argc, argv, aergo::cli::NetCommands(), aergo::cli::OpenTransportLedger);
}
