#!/usr/bin/env bash
# The layering check (docs/ARCHITECTURE.md, "Libraries and dependencies"):
# each directory includes only the layers below it, and the kernel (core/)
# touches no network library, terminal, environment variable or signal
# handler. Run by ctest (tests/CMakeLists.txt, test "layering").
#   core <- merge <- remote <- daemon <- cmd
# Fails naming every include or call that goes against it.
set -uo pipefail
cd "$(dirname "$0")/.."
fail=0
allowed() {
  case $1 in
    core) echo "core" ;;
    merge) echo "core merge" ;;
    remote) echo "core merge remote" ;;
    daemon) echo "core merge remote daemon" ;;
    cmd) echo "core merge remote daemon cmd" ;;
  esac
}
for dir in core merge remote daemon cmd; do
  ok=" $(allowed $dir) "
  while IFS=: read -r file line inc; do
    layer=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$inc")
    if [[ "$ok" != *" $layer "* ]]; then
      echo "layering: $file:$line includes $layer/ ($dir may include only:$ok)"
      fail=1
    fi
  done < <(grep -rn --include='*.h' --include='*.cpp' -E '^#include "[a-z_]+/' "$dir")
done
# The kernel: no network libraries, no terminal, no environment, no signal
# handlers or masks (cmd/ reads and installs those and passes in what core
# needs). kill(pid, 0), a liveness probe (core/transfer.cpp), is allowed.
while IFS= read -r hit; do
  echo "layering: core/ must not $hit"
  fail=1
done < <(grep -rn --include='*.h' --include='*.cpp' -E \
  '#include [<"](curl/|httplib|nlohmann/|termios\.h)|getenv\(|secure_getenv\(|environ\b|isatty\(|tcsetattr\(|/dev/tty|sigaction\(|(^|[^a-z_])signal\(|sigprocmask\(|pthread_sigmask\(' core \
  | sed -E 's/^/use this: /')
[ $fail -eq 0 ] && echo "layering: ok"
exit $fail
