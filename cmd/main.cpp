// aergo: the local commands of the table in commands.cpp; the network
// commands run in aergo-net (net/main.cpp).
#include "cmd/cli.h"

int main(int argc, char** argv) { return aergo::cli::RunMain(argc, argv, aergo::cli::Commands()); }
