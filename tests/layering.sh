#!/usr/bin/env bash
# The layering check (docs/ARCHITECTURE.md, "Libraries and dependencies"):
# each directory includes only the layers below it, and the kernel (core/)
# touches no network library, terminal, environment variable or signal
# handler. Inside core/, the base and the contract engine include nothing
# of the kernel (core/CMakeLists.txt). Run by ctest (test "layering").
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
  '#include [<"](curl/|httplib|boost/(asio|beast)|nlohmann/|termios\.h)|getenv\(|secure_getenv\(|environ\b|isatty\(|tcsetattr\(|/dev/tty|sigaction\(|(^|[^a-z_])signal\(|sigprocmask\(|pthread_sigmask\(' core \
  | sed -E 's/^/use this: /')
# Inside core/ (core/CMakeLists.txt): aergo_base <- aergo_contract <- aergo_core.
# The base includes only base headers (chain_params.cpp also reads two limit
# constants of objects.h); the contract engine only base and engine headers.
base_h="status.h codec.h value.h json.h clock.h sqlite.h chain_params.h"
contract_h="$base_h contract.h contract_internal.h sql_lexer.h engine.h"
check_core_lib() {  # <library> <allowed headers> <files...>
  local lib=$1 ok=" $2 "; shift 2
  local f
  for f in "$@"; do
    [ -f "$f" ] || continue
    while IFS=: read -r line inc; do
      local h=${inc#*\"core/}; h=${h%%\"*}
      [ "$f" = core/chain_params.cpp ] && [ "$h" = objects.h ] && continue
      if [[ "$ok" != *" $h "* ]]; then
        echo "layering: $f:$line includes core/$h ($lib may include only:$ok)"
        fail=1
      fi
    done < <(grep -n -E '^#include "core/' "$f")
  done
}
check_core_lib aergo_base "$base_h" core/{status,json,clock}.h core/{codec,value,sqlite,chain_params}.{h,cpp}
check_core_lib aergo_contract "$contract_h" core/contract*.h core/contract*.cpp core/{sql_lexer,engine}.{h,cpp}
[ $fail -eq 0 ] && echo "layering: ok"
exit $fail
