# The contract engine's SQLite (docs/determinism.md).
#
# AERGO_SQLITE=bundled (the default): SQLite 3.46.1 compiled into aergo from
# the amalgamation scripts/engine.sh makes out of Debian 13's source package
# (pinned by SHA-256). What a contract computes then depends on the ledger
# and this source only, never on the SQLite the host happens to have.
#
# AERGO_SQLITE=system: the host's libsqlite3.a (SQLite3_INCLUDE_DIR and
# SQLITE3_STATIC may point at another copy, e.g. Debian 13's unpacked
# libsqlite3-dev for the cross-validation build, scripts/crossbuild.sh).
# Such a build executes contracts only if its SQLite passes the engine's
# known-answer checks (core/engine.cpp); otherwise every command that would
# execute or verify refuses, naming the difference.
#
# Defines the target aergo_sqlite (an INTERFACE or STATIC library with the
# header on its include path) that aergo_core links.
set(AERGO_SQLITE "bundled" CACHE STRING "SQLite for the contract engine: bundled or system")
set_property(CACHE AERGO_SQLITE PROPERTY STRINGS bundled system)

if(AERGO_SQLITE STREQUAL "bundled")
  set(AERGO_SQLITE_DIR "${CMAKE_SOURCE_DIR}/.deps/sqlite-3.46.1" CACHE PATH
      "Directory holding the pinned SQLite amalgamation (scripts/engine.sh)")
  if(NOT EXISTS "${AERGO_SQLITE_DIR}/sqlite3.c")
    message(FATAL_ERROR "aergo: ${AERGO_SQLITE_DIR}/sqlite3.c is missing: run scripts/engine.sh "
                        "(scripts/build.sh does), or configure with -DAERGO_SQLITE=system")
  endif()
  enable_language(C)
  add_library(aergo_sqlite STATIC "${AERGO_SQLITE_DIR}/sqlite3.c")
  target_include_directories(aergo_sqlite SYSTEM PUBLIC "${AERGO_SQLITE_DIR}")
  # Options that change what SQL means are those of Debian's own build, so
  # the bundled engine and Debian 13's libsqlite3 agree (the cross-validation
  # build checks it). -ffp-contract=off: no fused multiply-add, so REAL
  # arithmetic rounds the same on every CPU and compiler.
  target_compile_definitions(aergo_sqlite PUBLIC
    SQLITE_ENABLE_SESSION SQLITE_ENABLE_PREUPDATE_HOOK)
  target_compile_definitions(aergo_sqlite PRIVATE
    SQLITE_THREADSAFE=1 SQLITE_ENABLE_MATH_FUNCTIONS SQLITE_ENABLE_COLUMN_METADATA
    SQLITE_ENABLE_UPDATE_DELETE_LIMIT SQLITE_LIKE_DOESNT_MATCH_BLOBS SQLITE_SOUNDEX
    SQLITE_DEFAULT_RECURSIVE_TRIGGERS SQLITE_SECURE_DELETE SQLITE_TEMP_STORE=1
    SQLITE_MAX_EXPR_DEPTH=1000 SQLITE_MAX_VARIABLE_NUMBER=250000 SQLITE_MAX_LENGTH=1000000000
    SQLITE_MAX_SQL_LENGTH=1000000000 SQLITE_MAX_COLUMN=2000 SQLITE_MAX_COMPOUND_SELECT=500
    SQLITE_MAX_FUNCTION_ARG=127 SQLITE_MAX_LIKE_PATTERN_LENGTH=50000
    SQLITE_MAX_TRIGGER_DEPTH=1000 SQLITE_MAX_VDBE_OP=250000000
    HAVE_ISNAN=1 HAVE_USLEEP=1 HAVE_FDATASYNC=1)
  target_compile_options(aergo_sqlite PRIVATE -O2 -ffp-contract=off -fno-fast-math -w)
  target_link_libraries(aergo_sqlite PUBLIC Threads::Threads ${CMAKE_DL_LIBS} m)
else()
  find_package(SQLite3 REQUIRED)
  find_library(SQLITE3_STATIC NAMES libsqlite3.a REQUIRED)
  add_library(aergo_sqlite INTERFACE)
  target_include_directories(aergo_sqlite SYSTEM INTERFACE ${SQLite3_INCLUDE_DIRS})
  target_link_libraries(aergo_sqlite INTERFACE ${SQLITE3_STATIC} Threads::Threads ${CMAKE_DL_LIBS} m)
endif()
