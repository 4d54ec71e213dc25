// Where the porcelain's passphrases come from: AERGO_PASSPHRASE, else a
// prompt on the controlling terminal with echo off. core/ receives the
// result as a PassphraseSource (core/keystore.h) and never reads the
// environment or the terminal itself.
#pragma once

#include <optional>
#include <string>

#include "core/keystore.h"

namespace aergo::cli {

// AERGO_PASSPHRASE if set (even empty), else nullopt.
std::optional<std::string> PassphraseFromEnvironment();

// The standard passphrase source: `from_env` if set (even empty: the value
// of AERGO_PASSPHRASE, read once by RunMain), else a prompt on /dev/tty
// with echo off (`confirm`: asked twice, up to three tries), else nullopt
// (no terminal). While echo is off, SIGINT, SIGTERM, SIGHUP and SIGQUIT
// restore the terminal before they take effect; the previous handlers are
// back once the line is read.
PassphraseSource DefaultPassphraseSource(std::optional<std::string> from_env);

}  // namespace aergo::cli
