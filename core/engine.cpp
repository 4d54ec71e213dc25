#include "core/engine.h"

#include <sqlite3.h>

#include <cstring>
#include <mutex>

namespace aergo {
namespace {

// SQLite 3.43 and later: 0 makes REAL<->text conversions use double-double
// arithmetic instead of the platform's long double (80 bits on x86-64, 128
// on aarch64, 64 elsewhere), so they give the same bytes on every CPU.
#ifndef SQLITE_TESTCTRL_USELONGDOUBLE
#define SQLITE_TESTCTRL_USELONGDOUBLE 34
#endif

constexpr int kEngineVersion = 3046001;
constexpr const char* kEngineSourceId =
    "2024-08-13 09:16:08 c9c2ab54ba1f5f46360f1b4f35d849cd3f080e6fc2b6c60e91b16c63f69a1e33";

Status Unsupported(const std::string& why) {
  return Denied("this aergo's contract engine, " + EngineName() + ", does not compute contract rules " +
                std::to_string(kContractRules) + ": " + why +
                " (build aergo with its bundled SQLite: docs/determinism.md)");
}

// Version, source id and the long double switch: cheap, checked at every
// repository open (CheckLedgerRules).
Status CheckIdentity() {
  if (sqlite3_libversion_number() != kEngineVersion)
    return Unsupported(std::string("the rules need SQLite 3.46.1, this is ") + sqlite3_libversion());
  // A distribution that patches the check-in (Debian's 3.46.1-7+deb13u2)
  // marks its source id by replacing the last four characters ("...alt1");
  // such a build is the same engine exactly when the probes pass.
  const size_t kCheckIn = std::strlen(kEngineSourceId) - 4;
  if (std::strncmp(sqlite3_sourceid(), kEngineSourceId, kCheckIn) != 0)
    return Unsupported(std::string("the rules need source id ") + kEngineSourceId + ", this is " +
                       sqlite3_sourceid());
  // sqlite3_initialize decides the setting from the hardware, so it must
  // have run before the setting is changed (it runs once per process).
  if (sqlite3_initialize() != SQLITE_OK) return Unsupported("SQLite does not initialize");
  sqlite3_test_control(SQLITE_TESTCTRL_USELONGDOUBLE, 0);
  if (sqlite3_test_control(SQLITE_TESTCTRL_USELONGDOUBLE, -1) != 0)
    return Unsupported("its REAL conversions cannot be switched off long double (built SQLITE_UNTESTABLE?)");
  return Status::Ok();
}

const Status& Identity() {
  static std::once_flag once;
  static Status verdict;
  std::call_once(once, [] { verdict = CheckIdentity(); });
  return verdict;
}

}  // namespace

std::string EngineName() {
  return std::string("SQLite ") + sqlite3_libversion() + " (" + std::string(sqlite3_sourceid()).substr(0, 32) +
         ")";
}

const Status& CheckEngine() {
  static std::once_flag once;
  static Status verdict;
  std::call_once(once, [] {
    verdict = Identity();
    if (verdict.ok()) verdict = RunEngineProbes(EngineProbes());
  });
  return verdict;
}

Status CheckLedgerRules(int64_t rules) {
  if (rules != kContractRules) {
    std::string what = rules == 0 ? std::string("contract rules 0 (the host's SQLite, before rules were versioned)")
                                   : "contract rules " + std::to_string(rules);
    return Denied("ledger follows " + what + "; this aergo implements contract rules " +
                  std::to_string(kContractRules) + " only, and would compute it differently");
  }
  return Identity();
}

Status RunEngineProbes(const std::vector<EngineProbe>& probes) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return IoError("contract engine check: cannot open an in-memory database");
  }
  Status verdict;
  for (const EngineProbe& p : probes) {
    sqlite3_stmt* stmt = nullptr;
    std::string got;
    if (sqlite3_prepare_v2(db, p.sql, -1, &stmt, nullptr) != SQLITE_OK) {
      got = std::string("error: ") + sqlite3_errmsg(db);
    } else if (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      got = text ? reinterpret_cast<const char*>(text) : "NULL";
    } else {
      got = std::string("error: ") + sqlite3_errmsg(db);
    }
    sqlite3_finalize(stmt);
    if (got != p.expected) {
      verdict = Unsupported(std::string("`") + p.sql + "` gives '" + got + "' here; contract rules " +
                            std::to_string(kContractRules) + " give '" + p.expected + "'");
      break;
    }
  }
  sqlite3_close(db);
  return verdict;
}

const std::vector<EngineProbe>& EngineProbes() {
  // Each probe's SQL covers behaviour that differs between SQLite versions
  // or builds (docs/determinism.md lists which); the expected text is what
  // the pinned engine gives.
  static const std::vector<EngineProbe> probes = {
    {"SELECT CAST(0.1 + 0.2 AS TEXT)",
     "0.3"},
    {"SELECT (1.0 / 3) || ''",
     "0.333333333333333"},
    {"SELECT printf('%.17g|%!.20f|%.3e|%g|%f|%d', 0.1, 0.1, 12345.6789, 1e-5, 2.5, 1.9)",
     "0.1|0.1000000000000000055|1.235e+04|1e-05|2.500000|1"},
    {"SELECT json_object('s', 0.1 + 0.2, 'e', 1e300 * 10, 'i', 1.0)",
     "{\"s\":0.3,\"e\":1.0e+301,\"i\":1.0}"},
    {"SELECT json_extract('{\"a\":1.5e300,\"b\":0.1}', '$.a') || '|' || json_extract('{\"b\":0.1}', '$.b')",
     "1.5e+300|0.1"},
    {"SELECT sum(x) || '|' || total(x) || '|' || avg(x) FROM (SELECT column1 AS x FROM (VALUES (0.1), (0.2), (0.3), (1e16), (-1e16)))",
     "0.6|0.6|0.12"},
    {"SELECT round(2.675, 2) || '|' || round(-0.5) || '|' || round(1e17 + 0.5, 1)",
     "2.67|-1.0|1.0e+17"},
    {"SELECT CAST(CAST('1e-320' AS REAL) AS TEXT) || '|' || CAST('9007199254740993' AS REAL) || '|' || CAST('0.30000000000000004440892098500626' AS REAL)",
     "9.99988867182683e-321|9.00719925474099e+15|0.3"},
    {"SELECT CAST(1e308 * 10 AS TEXT) || '|' || CAST(-1e308 * 10 AS TEXT) || '|' || quote(0.1) || '|' || quote(1e300 * 10)",
     "Inf|-Inf|0.1|1.0e+301"},
    {"SELECT group_concat(s, ',') FROM (SELECT sum(x) OVER (ORDER BY x ROWS 1 PRECEDING) AS s FROM (SELECT column1 AS x FROM (VALUES (0.1), (0.7), (1.3))))",
     "0.1,0.8,2.0"},
    {"SELECT upper('äbc') || lower('ÄBC') || length('ä') || substr('ääb', 2) || instr('aäb', 'b') || char(228) || unicode('ä') || ('A%' LIKE 'ab') || ('ä' LIKE 'Ä')",
     "äBCÄbc1äb3ä22800"},
    {"SELECT format('%q|%Q|%w', 'it''s', NULL, 'x\"y')",
     "it''s|NULL|x\"\"y"},
    {"SELECT sqrt(2) || '|' || ceil(-0.5) || '|' || floor(2.5) || '|' || trunc(-2.5) || '|' || mod(7.5, 2) || '|' || pi()",
     "1.4142135623731|0.0|2.0|-2.0|1.5|3.14159265358979"},
    {"SELECT CAST(9223372036854775807.0 AS INTEGER) || '|' || CAST(1e19 AS INTEGER) || '|' || (9223372036854775807 + 1) || '|' || CAST('0x10' AS INTEGER) || '|' || 0x10",
     "9223372036854775807|9223372036854775807|9.22337203685478e+18|0|16"},
    {"SELECT strftime('%Y-%m-%d %H:%M:%f %j %w', 1700000000.123, 'unixepoch') || '|' || julianday('2024-01-01') || '|' || date(0, 'unixepoch', '+1 month')",
     "2023-11-14 22:13:20.123 318 2|2460310.5|1970-02-01"},
    {"SELECT json('[1.0,2e0,-0.0,1e400]') || '|' || json_array(1.0, 0.5e-7)",
     "[1.0,2e0,-0.0,1e400]|[1.0,5.0e-08]"},
    {"SELECT concat_ws(',', 1, 2.5, 'x') || '|' || (0.1 + 0.2 = 0.3) || '|' || ifnull(1 / 0, 'null') || '|' || ifnull(5 % 0, 'null') || '|' || ((-9223372036854775807 - 1) / -1)",
     "1,2.5,x|0|null|null|9.22337203685478e+18"},
    {"SELECT total(x) || '|' || avg(x) FROM (SELECT column1 AS x FROM (VALUES (1), (2), (4)))",
     "7.0|2.33333333333333"},
    {"SELECT 1e15 || '|' || 1e16 || '|' || 123456789012345678.0 || '|' || 0.000001 || '|' || -0.0 || '|' || 2.5e-7",
     "1.0e+15|1.0e+16|1.23456789012346e+17|1.0e-06|0.0|2.5e-07"},
    {"SELECT printf('%.30f|%.0f|%20.10e|%5.1g', 1.0/3, 0.5, 6.02214076e23, 1234.5)",
     "0.333333333333333300000000000000|1|    6.0221407600e+23|1e+03"},
    {"SELECT hex(CAST(0.1 AS BLOB)) || '|' || typeof(0.1 || '') || '|' || soundex('aergo')",
     "302E31|text|A620"},
    {"SELECT CAST(2.675 AS TEXT) || '|' || CAST(1.0e23 AS TEXT) || '|' || CAST(5e-324 AS TEXT) || '|' || CAST(0.1 * 3 AS TEXT) || '|' || CAST(1.7976931348623157e308 AS TEXT) || '|' || (4.35 * 100) || '|' || CAST(9.95 AS TEXT)",
     "2.675|1.0e+23|4.94065645841247e-324|0.3|1.79769313486232e+308|435.0|9.95"},
    {"SELECT group_concat(x, ',') FROM (SELECT column1 AS x FROM (VALUES (3), (1), (2)) ORDER BY x)",
     "1,2,3"},
    {"SELECT string_agg(CAST(x AS TEXT), ';' ORDER BY x DESC) FROM (SELECT column1 AS x FROM (VALUES (0.5), (1.5)))",
     "1.5;0.5"},
    {"SELECT (CAST('a' AS BLOB) LIKE 'a') || '|' || ('a' LIKE 'A') || '|' || ('a' GLOB 'A')",
     "0|1|0"},
    {"SELECT printf('%!.26g|%!.25e|%!.22f', 1.0 / 3, 1e23, 2.0 / 3) || '|' || CAST('1.00000000000000011102230246251565404236316680908203125' AS REAL) || '|' || (CAST('2.2250738585072011e-308' AS REAL) * 1e308)",
     "0.3333333333333333148|9.99999999999999916e+22|0.6666666666666666296|1.0|2.2250738585072"},
  };
  return probes;
}

}  // namespace aergo
