// aergo_det_gen: the determinism fuzzer's generator (tests/det/run.sh).
//
//   aergo_det_gen <seed> <calls> <outdir> [--features f1,f2,...] [--contract <name>]
//   aergo_det_gen --probe <feature>
//
// Writes <outdir>/tables.txt (each table and its columns, one table a
// line) and <outdir>/contract.sql, a random AERGOSQL contract that stays inside
// the sandbox (man/aergo-deploy.1), and <outdir>/calls.txt, a scenario: about
// <calls> call lines in `aergo call --batch` format, interleaved with
// directive lines that the driver interprets (the batch reader skips lines
// starting with #):
//   #commit                   seal the merge pool (if anything is pending)
//   #branch <name> [<resolver>]  create a branch at the current head
//   #checkout <name>          switch branch
//   #merge <name>             merge <name> into the current branch
//   #key <name>               sign the following calls with this key
// Text arguments may contain @ADDR1 / @ADDR2, which the driver replaces with
// the addresses of the keys k1 / k2.
//
// Everything is a function of (seed, calls, features) alone: the program
// uses its own PRNG (splitmix64) and no library distribution, so every
// compiler and standard library produce the same files.
//
// Optional features (each needs an engine that allows it; run.sh probes
// every build and enables only what all of them accept):
//   datetime  date(), time(), datetime(), julianday(), strftime(),
//             unixepoch() with explicit arguments (:block_time, 'unixepoch')
//   newfns    functions of SQLite >= 3.41: concat, concat_ws, unhex,
//             octet_length, string_agg
//   math      sqrt, ceil, floor, trunc, mod, pi, sign (SQLITE_ENABLE_MATH_FUNCTIONS)
//   badutf8   values that may be TEXT holding invalid UTF-8: blob literals,
//             BLOB parameters and casts, unhex(), char() of surrogates,
//             printf('%.3s') and '%c' (which cut bytes); without it the
//             contract makes no blob and no invalid UTF-8 at all
//
// --probe <feature> prints a minimal contract using only that feature
// ("base" uses none) for run.sh's feature probe.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Rng {
  uint64_t s;
  uint64_t Next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int Below(int n) { return n <= 1 ? 0 : static_cast<int>(Next() % static_cast<uint64_t>(n)); }
  int Range(int lo, int hi) { return lo + Below(hi - lo + 1); }
  bool Pct(int p) { return Below(100) < p; }
  template <class T>
  const T& Pick(const std::vector<T>& v) { return v[Below(static_cast<int>(v.size()))]; }
};

enum class Ty { kInt, kReal, kText, kBlob, kAny };

const char* TyName(Ty t) {
  switch (t) {
    case Ty::kInt: return "INTEGER";
    case Ty::kReal: return "REAL";
    case Ty::kText: return "TEXT";
    case Ty::kBlob: return "BLOB";
    case Ty::kAny: return "ANY";
  }
  return "";
}

struct Column {
  std::string name;
  Ty type;
  bool not_null = false;
  std::string deflt;  // literal for NOT NULL columns
};

enum class KeyKind { kInt, kText, kComposite };

struct Table {
  std::string name;
  KeyKind key;
  bool strict = false;
  std::vector<Column> cols;  // non-key columns
  std::vector<std::string> KeyCols() const {
    if (key == KeyKind::kComposite) return {"k", "k2"};
    return {"k"};
  }
};

struct Param {
  std::string name;
  Ty type;
};

struct Function {
  std::string name;
  std::vector<Param> params;
  std::vector<std::string> statements;
};

std::string SqlQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// A batch word: quoted so that the batch reader returns exactly s ('...'
// groups anything but ', and a ' itself is written as "'").
std::string BatchWord(const std::string& s) {
  if (s.empty()) return "''";
  std::string out;
  std::string run;
  auto flush = [&] {
    if (!run.empty()) out += "'" + run + "'";
    run.clear();
  };
  for (char c : s) {
    if (c == '\'') {
      flush();
      out += "\"'\"";
    } else {
      run += c;
    }
  }
  flush();
  return out;
}

const std::vector<std::string> kIntLits = {
    "0", "1", "-1", "2", "3", "7", "10", "16", "255", "256", "1000", "2147483647", "-2147483648",
    "4294967296", "9007199254740992", "9007199254740993", "9223372036854775807",
    "-9223372036854775807", "(-9223372036854775807 - 1)", "-9223372036854775808",
    "9223372036854775808", "100000000000000000000", "65", "228", "128512", "1114111", "-5"};
const std::vector<std::string> kRealLits = {
    "0.0", "-0.0", "0.1", "0.2", "0.3", "0.5", "1.5", "2.5", "-2.5", "2.675", "1e308", "-1e308",
    "1.7976931348623157e308", "5e-324", "4.9406564584124654e-324", "2.2250738585072014e-308",
    "1e-7", "1e16", "1e15", "1e21", "1e22", "123456.789", "3.14159", "1e300", "1e-300",
    "9.999999999999999e22", "0.30000000000000004", "100.0", "1e-5", "1e999", "-1e999", "0.125",
    "1.0000000000000002", "0.1e1", "33.333333333333336", "-1.5e-10", "4503599627370496.5"};
const std::vector<std::string> kTextLits = {
    "''", "'a'", "'abc'", "'A'", "'Zz'", "'é'", "'ÄÖÜ'", "'日本語'", "'😀'", "'%'", "'_'",
    "'%a_'", "'*'", "'?'", "'[a-z]*'", "'NULL'", "'null'", "'0'", "'-0'", "'1e5'", "'0x10'",
    "' 12 '", "'12abc'", "'1.5e'", "'inf'", "'nan'", "'9223372036854775808'", "'{\"a\":1}'",
    "'[1,2.5,\"x\"]'", "''''", "'\\'", "'a b c'", "'İı'", "'k1'", "'k2'", "'-1.0e+2'", "'  '",
    "'ß'", "'x|y'"};
const std::vector<std::string> kBlobLits = {"x''", "x'00'", "x'ff'", "x'c3a9'", "x'00010203'",
                                            "x'7f'", "x'80'", "x'313233'"};

const std::vector<std::string> kFormats = {
    "%g", "%f", "%e", "%.17g", "%!.20f", "%d", "%s", "%q", "%Q", "%5.2f", "%-8s|", "%+.3e",
    "%,d", "%.0f", "%.30f", "%!g", "%x", "%i", "%.3s", "%10.4f", "%c", "%!.15g", "%.1e", "%o",
    "%s|%g", "%d:%f", "%.17g/%.17g", "%e %e", "%w"};

struct Gen {
  Rng rng;
  std::set<std::string> features;
  std::string contract = "det";
  std::vector<Table> tables;
  std::vector<Function> functions;
  Function claim;
  int alias_seq = 0;

  bool Has(const char* f) const { return features.count(f) != 0; }

  // Context of an expression: which names it may use.
  struct Ctx {
    std::vector<std::string> cols;   // column references available here
    std::vector<std::string> numcols;  // those declared INTEGER or REAL
    std::vector<std::string> textcols; // those declared TEXT
    const std::vector<Param>* params = nullptr;
    bool noblob = false;             // the value must not be a blob (JSON arguments)
    bool builtins = true;
  };

  std::string Lit() {
    int k = rng.Below(100);
    if (k < 30) return rng.Pct(50) ? std::to_string(rng.Range(-20, 20)) : rng.Pick(kIntLits);
    if (k < 60) return rng.Pick(kRealLits);
    if (k < 85) return rng.Pick(kTextLits);
    if (k < 93 || !Has("badutf8")) return "NULL";
    return rng.Pick(kBlobLits);
  }
  std::string LitNoBlob() {
    std::string s;
    do s = Lit(); while (s[0] == 'x');
    return s;
  }

  std::string Guard(const std::string& e) { return "iif(typeof(" + e + ") = 'blob', hex(" + e + "), " + e + ")"; }

  std::string Leaf(Ctx& c) {
    for (;;) {
      int k = rng.Below(100);
      if (k < 25) return c.noblob ? LitNoBlob() : Lit();
      if (k < 55 && c.params && !c.params->empty()) {
        const Param& p = rng.Pick(*c.params);
        if (c.noblob && p.type == Ty::kBlob) return "hex(:" + p.name + ")";
        return ":" + p.name;
      }
      if (k < 85 && !c.cols.empty()) {
        std::string col = rng.Pick(c.cols);
        return c.noblob ? Guard(col) : col;
      }
      if (k < 95 && c.builtins) {
        static const std::vector<std::string> b = {":height", ":block_time", ":sender", ":txid",
                                                   "changes()", "last_insert_rowid()", "contract_owner()"};
        return rng.Pick(b);
      }
      if (k >= 95) return c.noblob ? LitNoBlob() : Lit();
    }
  }

  std::string Cond(Ctx& c, int d) {
    int k = rng.Below(100);
    if (d <= 0 || k < 10) {
      static const std::vector<std::string> ops = {"<", "<=", ">", ">=", "=", "!=", "IS", "IS NOT"};
      return "(" + Leaf(c) + " " + rng.Pick(ops) + " " + Leaf(c) + ")";
    }
    if (k < 30) {
      static const std::vector<std::string> ops = {"<", "<=", ">", ">=", "=", "<>", "IS", "IS NOT"};
      return "(" + Expr(c, d - 1) + " " + rng.Pick(ops) + " " + Expr(c, d - 1) + ")";
    }
    if (k < 38) return "(" + Expr(c, d - 1) + " IS NULL)";
    if (k < 46) return "(" + Cond(c, d - 1) + (rng.Pct(50) ? " AND " : " OR ") + Cond(c, d - 1) + ")";
    if (k < 50) return "(NOT " + Cond(c, d - 1) + ")";
    if (k < 56) return "(" + Expr(c, d - 1) + " LIKE " + Expr(c, d - 1) + ")";
    if (k < 60) return "(" + Expr(c, d - 1) + " GLOB " + Expr(c, d - 1) + ")";
    if (k < 66)
      return "(" + Expr(c, d - 1) + " BETWEEN " + Expr(c, d - 1) + " AND " + Expr(c, d - 1) + ")";
    if (k < 72) return "(" + Expr(c, d - 1) + " IN (" + Expr(c, d - 1) + ", " + Lit() + ", " + Lit() + "))";
    if (k < 80) {
      static const std::vector<std::string> t = {"'integer'", "'real'", "'text'", "'blob'", "'null'"};
      return "(typeof(" + Expr(c, d - 1) + ") = " + rng.Pick(t) + ")";
    }
    if (k < 86 && !tables.empty()) {
      const Table& t = rng.Pick(tables);
      std::string a = "q" + std::to_string(alias_seq++);
      Ctx sc = SubCtx(c, t, a);
      return "EXISTS (SELECT 1 FROM " + t.name + " AS " + a + " WHERE " + Cond(sc, d - 1) + ")";
    }
    return "(" + Expr(c, d - 1) + ")";
  }

  // Adds a table's columns (named with prefix, e.g. "q3." or "excluded.").
  static void AddCols(Ctx& c, const Table& t, const std::string& prefix, bool keys = true) {
    if (keys) {
      for (const std::string& k : t.KeyCols()) {
        c.cols.push_back(prefix + k);
        bool num = (t.key == KeyKind::kInt) || k == "k2";
        (num ? c.numcols : c.textcols).push_back(prefix + k);
      }
    }
    for (const Column& col : t.cols) {
      c.cols.push_back(prefix + col.name);
      if (col.type == Ty::kInt || col.type == Ty::kReal) c.numcols.push_back(prefix + col.name);
      if (col.type == Ty::kText) c.textcols.push_back(prefix + col.name);
    }
  }

  Ctx SubCtx(const Ctx& c, const Table& t, const std::string& alias) {
    Ctx sc;
    sc.params = c.params;
    sc.builtins = c.builtins;
    sc.noblob = c.noblob;
    AddCols(sc, t, alias + ".");
    return sc;
  }

  // ----- typed expressions: numbers, and text made from numbers ------------

  std::string NumLeaf(Ctx& c) {
    std::vector<std::string> ps;
    if (c.params)
      for (const Param& p : *c.params)
        if (p.type == Ty::kInt || p.type == Ty::kReal) ps.push_back(":" + p.name);
    for (;;) {
      int k = rng.Below(100);
      if (k < 30) return rng.Pct(40) ? rng.Pick(kIntLits) : rng.Pick(kRealLits);
      if (k < 60 && !ps.empty()) return rng.Pick(ps);
      if (k < 85 && !c.numcols.empty()) return rng.Pick(c.numcols);
      if (k < 92 && c.builtins) {
        static const std::vector<std::string> b = {":height", ":block_time", ":height", ":block_time",
                                                   "changes()", "last_insert_rowid()"};
        return rng.Pick(b);
      }
      if (k >= 92) return std::to_string(rng.Range(-9, 9)) + (rng.Pct(50) ? ".5" : "");
    }
  }

  std::string TextLeaf(Ctx& c) {
    std::vector<std::string> ps;
    if (c.params)
      for (const Param& p : *c.params)
        if (p.type == Ty::kText) ps.push_back(":" + p.name);
    for (;;) {
      int k = rng.Below(100);
      if (k < 25) return rng.Pick(kTextLits);
      if (k < 55 && !ps.empty()) return rng.Pick(ps);
      if (k < 80 && !c.textcols.empty()) return rng.Pick(c.textcols);
      if (k >= 80 && c.builtins) return rng.Pct(50) ? ":sender" : ":txid";
      if (k >= 80) return rng.Pick(kTextLits);
    }
  }

  std::string NumAgg(Ctx& c, int d) {
    if (tables.empty()) return NumLeaf(c);
    const Table& t = rng.Pick(tables);
    std::string a = "q" + std::to_string(alias_seq++);
    Ctx sc = SubCtx(c, t, a);
    std::string x = !sc.numcols.empty() && rng.Pct(70) ? rng.Pick(sc.numcols) : NumExpr(sc, d - 1);
    std::string where = rng.Pct(30) ? " WHERE " + Cond(sc, 1) : "";
    if (rng.Pct(30)) {
      std::string ord = rng.Pick(sc.cols);
      static const std::vector<std::string> w = {"sum(#) OVER (ORDER BY @)", "avg(#) OVER (ORDER BY @ ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING)",
                                                 "total(#) OVER (ORDER BY @ DESC)", "lag(#, 1, 0.5) OVER (ORDER BY @)",
                                                 "# - avg(#) OVER ()", "cume_dist() OVER (ORDER BY #)", "percent_rank() OVER (ORDER BY #)"};
      std::string win;
      for (char ch : rng.Pick(w)) win += ch == '#' ? x : ch == '@' ? ord : std::string(1, ch);
      static const std::vector<std::string> outer = {"sum(w)", "total(w)", "avg(w)", "max(w)", "min(w)"};
      return "(SELECT " + rng.Pick(outer) + " FROM (SELECT " + win + " AS w FROM " + t.name + " AS " + a + where + "))";
    }
    static const std::vector<std::string> aggs = {"sum", "total", "avg", "min", "max", "count", "sum", "total", "avg"};
    return "(SELECT " + rng.Pick(aggs) + "(" + x + ") FROM " + t.name + " AS " + a + where + ")";
  }

  std::string NumExpr(Ctx& c, int d) {
    if (d <= 0 || rng.Pct(20)) return NumLeaf(c);
    auto N = [&] { return NumExpr(c, d - 1); };
    int k = rng.Below(100);
    if (k < 30) {
      static const std::vector<std::string> ops = {"+", "-", "*", "/", "%", "+", "*", "/", "-"};
      return "(" + N() + " " + rng.Pick(ops) + " " + N() + ")";
    }
    if (k < 34) return "(- " + N() + ")";
    if (k < 42) {
      static const std::vector<std::string> ns = {"0", "1", "2", "3", "5", "10", "15", "17", "-2", "30"};
      return rng.Pct(30) ? "round(" + N() + ")" : "round(" + N() + ", " + rng.Pick(ns) + ")";
    }
    if (k < 45) return "abs(" + N() + ")";
    if (k < 52 && Has("math")) {
      static const std::vector<std::string> f1 = {"sqrt", "ceil", "floor", "trunc", "sign"};
      if (rng.Pct(20)) return "mod(" + N() + ", " + N() + ")";
      if (rng.Pct(8)) return "(pi() * " + N() + ")";
      return rng.Pick(f1) + "(" + N() + ")";
    }
    if (k < 62) {
      // Through text and back: REAL -> text -> REAL.
      static const std::vector<std::string> ts = {"REAL", "INTEGER", "NUMERIC", "REAL"};
      return "CAST(" + TextExpr(c, d - 1) + " AS " + rng.Pick(ts) + ")";
    }
    if (k < 66) return "json_extract(json_array(" + N() + ", " + N() + "), '$[" + std::to_string(rng.Below(2)) + "]')";
    if (k < 70) return std::string(rng.Pct(50) ? "min(" : "max(") + N() + ", " + N() + ")";
    if (k < 73) return "iif(" + Cond(c, d - 1) + ", " + N() + ", " + N() + ")";
    if (k < 76) return "coalesce(" + N() + ", " + N() + ")";
    if (k < 90) return NumAgg(c, d);
    if (k < 94) return "length(" + TextExpr(c, d - 1) + ")";
    if (k < 96) return "instr(" + TextExpr(c, d - 1) + ", " + TextExpr(c, d - 1) + ")";
    if (k < 98 && Has("datetime")) return rng.Pct(50) ? "julianday(" + N() + ", 'unixepoch')" : "unixepoch(" + TextExpr(c, d - 1) + ")";
    return "(" + N() + " + 0.0)";
  }

  std::string TextExpr(Ctx& c, int d) {
    if (d <= 0 || rng.Pct(15)) return rng.Pct(60) ? "CAST(" + NumLeaf(c) + " AS TEXT)" : TextLeaf(c);
    auto N = [&] { return NumExpr(c, d - 1); };
    auto T = [&] { return TextExpr(c, d - 1); };
    int k = rng.Below(100);
    if (k < 14) return "CAST(" + N() + " AS TEXT)";
    if (k < 22) return "(" + N() + " || " + (rng.Pct(50) ? N() : T()) + ")";
    if (k < 38) {
      std::string s = "printf(" + Fmt() + ", " + N();
      if (rng.Pct(30)) s += ", " + N();
      return s + ")";
    }
    if (k < 42) return "format(" + Fmt() + ", " + N() + ")";
    if (k < 48) return "quote(" + N() + ")";
    if (k < 54) return "json_array(" + N() + ", " + N() + (rng.Pct(40) ? ", " + T() : "") + ")";
    if (k < 58) return "json_object('x', " + N() + ", 'y', " + T() + ")";
    if (k < 62) return "substr(" + T() + ", " + std::to_string(rng.Range(-4, 5)) + ", " + std::to_string(rng.Range(0, 20)) + ")";
    if (k < 65) return "replace(" + T() + ", " + rng.Pick(kTextLits) + ", " + T() + ")";
    if (k < 68) return std::string(rng.Pct(50) ? "upper(" : "lower(") + T() + ")";
    if (k < 70) return "trim(" + T() + ")";
    if (k < 73) return "hex(" + N() + ")";
    if (k < 80 && !tables.empty()) {
      const Table& t = rng.Pick(tables);
      std::string a = "q" + std::to_string(alias_seq++);
      Ctx sc = SubCtx(c, t, a);
      std::string x = rng.Pct(60) ? NumExpr(sc, d - 1) : TextExpr(sc, d - 1);
      if (rng.Pct(50))
        return "(SELECT json_group_array(" + x + ") FROM (SELECT * FROM " + t.name + " AS " + a + " ORDER BY " +
               rng.Pick(sc.cols) + ") AS " + a + ")";
      return "(SELECT group_concat(" + x + ", '|') FROM " + t.name + " AS " + a + ")";
    }
    if (k < 84 && Has("datetime")) {
      static const std::vector<std::string> f = {"'%Y-%m-%d %H:%M:%f'", "'%s %J'", "'%j|%W|%w|%u'", "'%G-%V'"};
      return "strftime(" + rng.Pick(f) + ", " + N() + ", 'unixepoch')";
    }
    if (k < 87 && Has("newfns")) return "concat_ws(',', " + N() + ", " + T() + ", " + N() + ")";
    if (k < 92) return "(" + T() + " || " + T() + ")";
    if (k < 96) return "CASE WHEN " + Cond(c, d - 1) + " THEN " + T() + " ELSE " + T() + " END";
    if (k < 98) return "(" + T() + " || char(0) || " + T() + ")";  // text holding NUL
    if (k < 99 && rng.Pct(40)) {
      // Near max_value_bytes (1 MiB, genesis): just under, at, just over.
      static const std::vector<std::string> n = {"524287", "524288", "524289", "300000"};
      return "replace(hex(zeroblob(" + rng.Pick(n) + ")), '0', 'a')";
    }
    return "typeof(" + N() + ")";
  }

  std::string Fmt() {
    std::string f = rng.Pick(kFormats);
    // %.3s cuts bytes and %c takes one: both may leave invalid UTF-8.
    if (!Has("badutf8") && f == "%.3s") f = "%!.3s";
    if (!Has("badutf8") && f == "%c") f = "%!c";
    if (rng.Pct(20)) f = "<" + f + ">";
    return SqlQuote(f);
  }

  std::string Subquery(Ctx& c, int d) {
    if (tables.empty() || rng.Pct(5)) return "(SELECT count(*) FROM aergo.contracts)";
    const Table& t = rng.Pick(tables);
    std::string a = "q" + std::to_string(alias_seq++);
    Ctx sc = SubCtx(c, t, a);
    std::string where = rng.Pct(40) ? " WHERE " + Cond(sc, d - 1) : "";
    int k = rng.Below(100);
    if (k < 60) {
      static const std::vector<std::string> aggs = {"sum", "total", "avg", "count", "min", "max",
                                                    "group_concat", "json_group_array", "count*",
                                                    "string_agg"};
      std::string agg = rng.Pick(aggs);
      if (agg == "string_agg" && !Has("newfns")) agg = "group_concat";
      std::string x = rng.Pct(60) ? rng.Pick(sc.cols) : Expr(sc, d - 1);
      std::string call;
      if (agg == "count*") call = "count(*)";
      else if (agg == "group_concat") call = "group_concat(" + x + (rng.Pct(50) ? ", " + Lit() : "") + ")";
      else if (agg == "string_agg") call = "string_agg(" + x + ", " + rng.Pick(kTextLits) + ")";
      else if (agg == "json_group_array") call = "json_group_array(" + Guard(x) + ")";
      else call = agg + "(" + x + ")";
      return "(SELECT " + call + " FROM " + t.name + " AS " + a + where + ")";
    }
    if (k < 85) {
      // A window function, folded into one value.
      std::string ord = rng.Pick(sc.cols) + (rng.Pct(30) ? " DESC" : "");
      std::string x = rng.Pick(sc.cols);
      static const std::vector<std::string> frames = {
          "", " ROWS BETWEEN 1 PRECEDING AND CURRENT ROW", " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 FOLLOWING",
          " RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"};
      std::string over = " OVER (ORDER BY " + ord + ")";
      std::string win;
      switch (rng.Below(10)) {
        case 0: win = "sum(" + x + ") OVER (ORDER BY " + ord + rng.Pick(frames) + ")"; break;
        case 1: win = "row_number()" + over; break;
        case 2: win = "lag(" + x + ", 1, " + LitNoBlob() + ")" + over; break;
        case 3: win = "avg(" + x + ") OVER (ORDER BY " + ord + rng.Pick(frames) + ")"; break;
        case 4: win = "total(" + x + ") OVER ()"; break;
        case 5: win = "rank()" + over; break;
        case 6: win = "cume_dist()" + over; break;
        case 7: win = "ntile(3)" + over; break;
        case 8: win = "lead(" + x + ")" + over; break;
        default: win = "first_value(" + x + ")" + over; break;
      }
      std::string inner = "SELECT " + win + " AS w FROM " + t.name + " AS " + a + where;
      static const std::vector<std::string> outer = {"group_concat(w, ',')", "sum(w)", "max(w)", "total(w)",
                                                     "group_concat(quote(w), ';')"};
      return "(SELECT " + rng.Pick(outer) + " FROM (" + inner + "))";
    }
    // One row's value.
    std::string x = rng.Pct(50) ? rng.Pick(sc.cols) : Expr(sc, d - 1);
    return "(SELECT " + x + " FROM " + t.name + " AS " + a + where + " ORDER BY " + rng.Pick(sc.cols) +
           (rng.Pct(50) ? " DESC" : "") + " LIMIT 1" + (rng.Pct(30) ? " OFFSET 1" : "") + ")";
  }

  std::string Expr(Ctx& c, int d) {
    if (d > 0 && rng.Pct(55)) return rng.Pct(55) ? NumExpr(c, d) : TextExpr(c, d);
    if (d <= 0 || rng.Pct(22)) return Leaf(c);
    Ctx nb = c;
    nb.noblob = true;
    auto E = [&] { return Expr(c, d - 1); };
    auto N = [&] { return Expr(nb, d - 1); };
    int k = rng.Below(125);
    if (k < 18) {
      static const std::vector<std::string> ops = {"+", "-", "*", "/", "%", "||", "+", "*", "/"};
      return "(" + E() + " " + rng.Pick(ops) + " " + E() + ")";
    }
    if (k < 21) return "(- " + E() + ")";
    if (k < 28) {
      static const std::vector<std::string> ts = {"INTEGER", "REAL", "TEXT", "BLOB", "NUMERIC"};
      std::string t = rng.Pick(ts);
      if ((c.noblob || !Has("badutf8")) && t == "BLOB") t = "TEXT";
      return "CAST(" + E() + " AS " + t + ")";
    }
    if (k < 34) {
      std::string s = "printf(" + Fmt();
      int n = rng.Range(1, 2);
      for (int i = 0; i < n; ++i) s += ", " + E();
      return s + ")";
    }
    if (k < 36) return "format(" + Fmt() + ", " + E() + ")";
    if (k < 40) {
      static const std::vector<std::string> ns = {"0", "1", "2", "3", "5", "10", "15", "17", "20", "-2", "30", "400"};
      return rng.Pct(30) ? "round(" + E() + ")" : "round(" + E() + ", " + rng.Pick(ns) + ")";
    }
    if (k < 42) return "abs(" + E() + ")";
    if (k < 47 && Has("math")) {
      static const std::vector<std::string> f1 = {"sqrt", "ceil", "floor", "trunc", "sign", "ceiling"};
      if (rng.Pct(15)) return "mod(" + E() + ", " + E() + ")";
      if (rng.Pct(8)) return "(pi() * " + E() + ")";
      return rng.Pick(f1) + "(" + E() + ")";
    }
    if (k < 50) return std::string(rng.Pct(50) ? "min(" : "max(") + E() + ", " + E() + (rng.Pct(30) ? ", " + E() : "") + ")";
    if (k < 53) return "coalesce(" + E() + ", " + E() + (rng.Pct(30) ? ", " + (c.noblob ? LitNoBlob() : Lit()) : "") + ")";
    if (k < 55) return "nullif(" + E() + ", " + E() + ")";
    if (k < 58) return "iif(" + Cond(c, d - 1) + ", " + E() + ", " + E() + ")";
    if (k < 60) return "length(" + E() + ")";
    if (k < 63) {
      if (rng.Pct(40)) return "substr(" + E() + ", " + E() + ")";
      return "substr(" + E() + ", " + std::to_string(rng.Range(-5, 6)) + ", " + std::to_string(rng.Range(-3, 12)) + ")";
    }
    if (k < 65) return "instr(" + E() + ", " + E() + ")";
    if (k < 67) return "replace(" + E() + ", " + E() + ", " + (rng.Pct(70) ? LitNoBlob() : E()) + ")";
    if (k < 69) return std::string(rng.Pct(50) ? "upper(" : "lower(") + E() + ")";
    if (k < 71) {
      static const std::vector<std::string> f = {"trim", "ltrim", "rtrim"};
      return rng.Pick(f) + "(" + E() + (rng.Pct(40) ? ", " + E() : "") + ")";
    }
    if (k < 73) return "hex(" + E() + ")";
    if (k < 75) return "quote(" + E() + ")";
    if (k < 76) return "unicode(" + E() + ")";
    if (k < 77) {
      // char() encodes surrogates (U+D800..U+DFFF) into invalid UTF-8.
      auto cp = [&] { return Has("badutf8") ? E() : "(CAST(" + E() + " AS INTEGER) % 55296)"; };
      return "char(" + cp() + (rng.Pct(50) ? ", " + cp() : "") + ")";
    }
    if (k < 78) return "typeof(" + E() + ")";
    if (k < 80) return "(" + Cond(c, d - 1) + ")";
    if (k < 83) return "json_object(" + SqlQuote("a") + ", " + N() + ", " + SqlQuote("b") + ", " + N() + ")";
    if (k < 85) return "json_array(" + N() + ", " + N() + (rng.Pct(40) ? ", " + N() : "") + ")";
    if (k < 88) {
      if (rng.Pct(50)) return "json_extract(json_array(" + N() + ", " + N() + "), '$[" + std::to_string(rng.Below(3)) + "]')";
      return "json_extract(json_object('a', " + N() + ", 'b', json_array(" + N() + ")), " +
             (rng.Pct(50) ? "'$.a'" : "'$.b[0]'") + ")";
    }
    if (k < 89) return "json_quote(" + N() + ")";
    if (k < 90) return "json_type(json_array(" + N() + "), '$[0]')";
    if (k < 96) {
      std::string s = "CASE";
      if (rng.Pct(50)) {
        s += " " + E();
        int n = rng.Range(1, 2);
        for (int i = 0; i < n; ++i) s += " WHEN " + Lit() + " THEN " + E();
      } else {
        int n = rng.Range(1, 2);
        for (int i = 0; i < n; ++i) s += " WHEN " + Cond(c, d - 1) + " THEN " + E();
      }
      if (rng.Pct(70)) s += " ELSE " + E();
      return s + " END";
    }
    if (k < 106) return Subquery(c, d);
    if (k < 110 && Has("datetime")) {
      static const std::vector<std::string> fmts = {"'%Y-%m-%d'", "'%Y-%m-%d %H:%M:%f'", "'%s'", "'%j %W %w'",
                                                    "'%J'", "'%H:%M:%S'"};
      static const std::vector<std::string> mods = {"", ", '+1 month'", ", 'start of month'", ", '-1 day'",
                                                    ", '+1.5 seconds'", ", 'weekday 0'", ", 'start of year'"};
      std::string t = rng.Pct(60) ? ":block_time" : "(:block_time + " + E() + ")";
      if (rng.Pct(35)) {
        // Arbitrary time values and modifiers, including ones that would
        // read the clock or the time zone ('now', 'localtime', ...) when
        // they arrive as arguments: the engine must refuse those calls.
        // (Literal 'now', 'localtime', 'utc' are refused at deploy: they come
        // only as values, from text arguments.)
        static const std::vector<std::string> m2 = {
            "'subsec'", "'unixepoch'", "'auto'", "'julianday'", "'+1 day'", "'start of day'", "'weekday 3'",
            "'-0.5 hours'", "'+01:30'", "'ceiling'", "'floor'"};
        std::vector<std::string> tp;
        if (c.params)
          for (const Param& p : *c.params)
          if (p.type == Ty::kText) tp.push_back(":" + p.name);
        std::string m = rng.Pct(40) ? rng.Pick(m2) : !tp.empty() && rng.Pct(60) ? rng.Pick(tp) : E();
        switch (rng.Below(6)) {
          case 0: return "julianday(" + E() + ")";
          case 1: return "datetime(" + E() + ", " + m + ")";
          case 2: return "strftime(" + Fmt() + ", " + E() + ", " + m + ")";
          case 3: return "timediff(" + E() + ", " + E() + ")";
          case 4: return "unixepoch(" + E() + ", " + m + ", 'subsec')";
          default: return "date(" + t + ", 'unixepoch', " + m + ")";
        }
      }
      switch (rng.Below(6)) {
        case 0: return "strftime(" + rng.Pick(fmts) + ", " + t + ", 'unixepoch'" + rng.Pick(mods) + ")";
        case 1: return "date(" + t + ", 'unixepoch'" + rng.Pick(mods) + ")";
        case 2: return "datetime(" + t + ", 'unixepoch'" + rng.Pick(mods) + ")";
        case 3: return "julianday(" + t + ", 'unixepoch')";
        case 4: return "time(" + t + ", 'unixepoch'" + rng.Pick(mods) + ")";
        default: return "unixepoch(datetime(" + t + ", 'unixepoch')" + rng.Pick(mods) + ")";
      }
    }
    if (k < 114 && Has("newfns")) {
      switch (rng.Below(4)) {
        case 0: return "concat(" + E() + ", " + E() + ")";
        case 1: return "concat_ws(" + Lit() + ", " + E() + ", " + E() + ")";
        case 2: return c.noblob || !Has("badutf8") ? "hex(unhex(" + E() + "))" : "unhex(" + E() + ")";
        default: return "octet_length(" + E() + ")";
      }
    }
    if (k < 118) return "(" + E() + " || " + E() + ")";
    return "(" + E() + " " + (rng.Pct(50) ? "*" : "+") + " " + E() + ")";
  }

  // The value written into a column: NOT NULL columns get a default when
  // NULL; STRICT tables get a CAST to the column's type.
  std::string Store(const Table& t, const Column& col, const std::string& e) {
    std::string v = e;
    if (t.strict && col.type != Ty::kAny) v = "CAST(" + v + " AS " + TyName(col.type) + ")";
    if (col.not_null) v = "coalesce(" + v + ", " + col.deflt + ")";
    return v;
  }

  std::string KeyExpr(const Table& t, Ctx& c, int which) {
    bool text = (t.key == KeyKind::kText && which == 0) || (t.key == KeyKind::kComposite && which == 0);
    std::string base;
    if (rng.Pct(60) && c.params && !c.params->empty()) base = ":" + rng.Pick(*c.params).name;
    else if (rng.Pct(50)) base = ":height";
    else base = Expr(c, 1);
    std::string mod = std::to_string(rng.Pick(std::vector<int>{4, 8, 16, 16, 32}));
    if (text) {
      if (rng.Pct(10)) return ":sender";
      if (rng.Pct(10)) return "coalesce(substr(CAST(" + base + " AS TEXT), 1, 2), 'k')";
      return "('k' || coalesce(abs(CAST(" + base + " AS INTEGER) % " + mod + "), 0))";
    }
    if (rng.Pct(3)) return "9223372036854775806";
    if (rng.Pct(5) && t.key == KeyKind::kInt) return "NULL";  // next rowid
    return "coalesce(abs(CAST(" + base + " AS INTEGER) % " + mod + "), 0)";
  }

  Ctx FnCtx(const Function& f) {
    Ctx c;
    c.params = &f.params;
    return c;
  }

  std::string ExprD(Ctx& c) { return Expr(c, rng.Range(1, 3)); }

  std::string Insert(const Function& f, const Table& t) {
    Ctx c = FnCtx(f);
    std::vector<std::string> names = t.KeyCols();
    std::vector<std::string> vals;
    bool omit_key = t.key == KeyKind::kInt && rng.Pct(15);
    if (omit_key) names.clear();
    else
      for (size_t i = 0; i < names.size(); ++i) vals.push_back(KeyExpr(t, c, static_cast<int>(i)));
    std::vector<const Column*> cols;
    for (const Column& col : t.cols)
      if (col.not_null || rng.Pct(80)) cols.push_back(&col);
    for (const Column* col : cols) {
      names.push_back(col->name);
      vals.push_back(Store(t, *col, ExprD(c)));
    }
    if (names.empty()) {
      names.push_back("k");
      vals.push_back("NULL");
    }
    std::string s;
    int form = rng.Below(100);
    std::string verb = "INSERT";
    if (form < 12) verb = "INSERT OR REPLACE";
    else if (form < 20) verb = "INSERT OR IGNORE";
    else if (form < 24) verb = "REPLACE";
    std::string head = verb + " INTO " + t.name + " (";
    for (size_t i = 0; i < names.size(); ++i) head += (i ? ", " : "") + names[i];
    head += ")";
    bool from_cte = rng.Pct(12) && !omit_key;
    if (from_cte) {
      // Several rows from a recursive CTE: n is a column of the CTE.
      int lim = rng.Range(2, 6);
      Ctx rc = c;
      rc.cols = {"n"};
      rc.numcols = {"n"};
      std::vector<std::string> v2;
      for (size_t i = 0; i < t.KeyCols().size(); ++i) v2.push_back(KeyExpr(t, rc, static_cast<int>(i)));
      for (const Column* col : cols) v2.push_back(Store(t, *col, ExprD(rc)));
      s = "WITH RECURSIVE r(n) AS (SELECT " + LitNoBlob() + " UNION ALL SELECT n + 1 FROM r LIMIT " +
          std::to_string(lim) + ") " + head + " SELECT ";
      for (size_t i = 0; i < v2.size(); ++i) s += (i ? ", " : "") + v2[i];
      s += " FROM r WHERE true";
    } else {
      s = head + " VALUES (";
      for (size_t i = 0; i < vals.size(); ++i) s += (i ? ", " : "") + vals[i];
      s += ")";
    }
    if (verb == "INSERT" && !omit_key && rng.Pct(85)) {
      std::string target;
      for (const std::string& k : t.KeyCols()) target += (target.empty() ? "" : ", ") + k;
      if (rng.Pct(15) || t.cols.empty()) {
        s += " ON CONFLICT (" + target + ") DO NOTHING";
      } else {
        Ctx uc = FnCtx(f);
        AddCols(uc, t, "", false);
        AddCols(uc, t, "excluded.", false);
        for (const Column& col : t.cols) {
          (void)col;
        }
        s += " ON CONFLICT (" + target + ") DO UPDATE SET ";
        int n = rng.Range(1, static_cast<int>(t.cols.size()));
        std::set<std::string> done;
        for (int i = 0; i < n; ++i) {
          const Column& col = rng.Pick(t.cols);
          if (!done.insert(col.name).second) continue;
          s += (done.size() > 1 ? ", " : "") + col.name + " = " + Store(t, col, ExprD(uc));
        }
        if (rng.Pct(15)) s += " WHERE " + Cond(uc, 1);
      }
    }
    return s + ";";
  }

  std::string KeyWhere(const Table& t, Ctx& c) {
    std::string w = "k = " + KeyExpr(t, c, 0);
    if (t.key == KeyKind::kComposite && rng.Pct(50)) w += " AND k2 = " + KeyExpr(t, c, 1);
    return w;
  }

  std::string Update(const Function& f, const Table& t) {
    if (t.cols.empty()) return Insert(f, t);
    Ctx c = FnCtx(f);
    AddCols(c, t, "");
    std::string s = std::string(rng.Pct(8) ? "UPDATE OR IGNORE " : "UPDATE ") + t.name + " SET ";
    int n = rng.Range(1, std::min<int>(3, static_cast<int>(t.cols.size())));
    std::set<std::string> done;
    for (int i = 0; i < n; ++i) {
      const Column& col = rng.Pick(t.cols);
      if (!done.insert(col.name).second) continue;
      std::string e = ExprD(c);
      if (rng.Pct(15) && (col.type == Ty::kText || col.type == Ty::kAny))
        e = "substr(coalesce(" + col.name + ", '') || " + e + ", 1, 200)";
      s += (done.size() > 1 ? ", " : "") + col.name + " = " + Store(t, col, e);
    }
    int w = rng.Below(100);
    Ctx kc = FnCtx(f);
    if (w < 55) s += " WHERE " + KeyWhere(t, kc);
    else if (w < 85) s += " WHERE " + Cond(c, 2);
    return s + ";";
  }

  std::string Delete(const Function& f, const Table& t) {
    Ctx c = FnCtx(f);
    if (rng.Pct(70)) return "DELETE FROM " + t.name + " WHERE " + KeyWhere(t, c) + ";";
    AddCols(c, t, "");
    return "DELETE FROM " + t.name + " WHERE " + Cond(c, 2) + " AND " + Cond(c, 1) + ";";
  }

  std::string Require(const Function& f) {
    Ctx c = FnCtx(f);
    std::string msg = rng.Pct(50) ? SqlQuote("r" + std::to_string(rng.Below(1000))) : ExprD(c);
    int k = rng.Below(100);
    if (k < 55) {
      // Always true, but evaluates the expression (and fails the call only
      // if evaluating it fails).
      return "SELECT require(typeof(" + ExprD(c) + ") IN ('integer', 'real', 'text', 'blob', 'null'), " + msg + ");";
    }
    if (k < 70 && !tables.empty()) {
      const Table& t = rng.Pick(tables);
      Ctx rc = c;
      AddCols(rc, t, "");
      return "SELECT require(length(quote(" + ExprD(rc) + ")) >= 1, " + msg + ") FROM " + t.name +
             (rng.Pct(50) ? " WHERE " + Cond(rc, 1) : "") + ";";
    }
    // Conditions that usually hold.
    std::vector<std::string> likely;
    for (const Param& p : f.params) {
      likely.push_back("length(:" + p.name + ") < 120");
      likely.push_back(":" + p.name + " IS NOT NULL");
      if (p.type == Ty::kInt || p.type == Ty::kReal) likely.push_back("abs(:" + p.name + ") < 1e18");
    }
    likely.push_back(":height % 7 != 3");
    likely.push_back(":block_time > 0");
    likely.push_back("changes() >= 0");
    if (!tables.empty()) likely.push_back("(SELECT count(*) FROM " + rng.Pick(tables).name + ") < 400");
    likely.push_back("length(" + ExprD(c) + ") IS NOT 7");
    return "SELECT require(" + rng.Pick(likely) + ", " + msg + ");";
  }

  void MakeSchema(std::ostream& out) {
    int nt = rng.Range(1, 3);
    for (int ti = 0; ti < nt; ++ti) {
      Table t;
      t.name = "t" + std::to_string(ti);
      int kk = rng.Below(100);
      t.key = kk < 45 ? KeyKind::kInt : kk < 85 ? KeyKind::kText : KeyKind::kComposite;
      t.strict = rng.Pct(15);
      int nc = rng.Range(1, 5);
      for (int i = 0; i < nc; ++i) {
        Column col;
        col.name = "c" + std::to_string(i + 1);
        static const std::vector<Ty> tys = {Ty::kInt, Ty::kReal, Ty::kText, Ty::kBlob, Ty::kReal, Ty::kText};
        col.type = rng.Pick(tys);
        if (col.type == Ty::kBlob && t.strict && !Has("badutf8")) col.type = Ty::kAny;
        if (!t.strict && rng.Pct(10)) col.type = Ty::kAny;  // written as no type or NUMERIC
        if (t.strict && rng.Pct(20)) col.type = Ty::kAny;
        col.not_null = rng.Pct(20);
        switch (col.type) {
          case Ty::kInt: col.deflt = "0"; break;
          case Ty::kReal: col.deflt = "0.5"; break;
          case Ty::kText: col.deflt = "''"; break;
          case Ty::kBlob: col.deflt = Has("badutf8") ? "x'00'" : "''"; break;
          case Ty::kAny: col.deflt = "0"; break;
        }
        t.cols.push_back(col);
      }
      out << "CREATE TABLE " << t.name << " (\n";
      if (t.key == KeyKind::kInt) out << "  k INTEGER PRIMARY KEY";
      else if (t.key == KeyKind::kText) out << "  k TEXT PRIMARY KEY";
      else out << "  k TEXT NOT NULL,\n  k2 INTEGER NOT NULL";
      for (const Column& col : t.cols) {
        std::string ty = TyName(col.type);
        if (col.type == Ty::kAny && !t.strict) ty = rng.Pct(50) ? "" : "NUMERIC";
        out << ",\n  " << col.name << (ty.empty() ? "" : " " + ty);
        if (col.not_null) out << " NOT NULL DEFAULT " << col.deflt;
        if (rng.Pct(35)) {
          static const std::vector<std::string> checks = {
              "length(#) <= 4000", "typeof(#) != 'nothing'", "# = # OR # IS NULL", "abs(#) >= 0",
              "# IS NULL OR typeof(#) != 'real' OR # < 1e300", "# IS NOT 'forbidden'",
              "length(CAST(# AS TEXT)) < 3000", "# IS NULL OR # > -1e300 OR typeof(#) = 'text'"};
          std::string ck = rng.Pick(checks);
          std::string r;
          for (char ch : ck) r += ch == '#' ? col.name : std::string(1, ch);
          out << " CHECK (" << r << ")";
        }
      }
      if (t.key == KeyKind::kComposite) out << ",\n  PRIMARY KEY (k, k2)";
      out << "\n)" << (t.strict ? " STRICT" : "") << ";\n";
      int ni = rng.Below(3);
      for (int i = 0; i < ni && !t.cols.empty(); ++i) {
        const Column& col = rng.Pick(t.cols);
        std::string iname = "i" + std::to_string(ti) + "_" + std::to_string(i);
        int form = rng.Below(5);
        if (form == 0) out << "CREATE INDEX " << iname << " ON " << t.name << " (" << col.name << ");\n";
        else if (form == 1) out << "CREATE INDEX " << iname << " ON " << t.name << " (" << col.name << " DESC, k);\n";
        else if (form == 2) out << "CREATE UNIQUE INDEX " << iname << " ON " << t.name << " (" << col.name << ", k" << (t.key == KeyKind::kComposite ? ", k2" : "") << ");\n";
        else if (form == 3) out << "CREATE INDEX " << iname << " ON " << t.name << " (lower(" << col.name << "));\n";
        else out << "CREATE INDEX " << iname << " ON " << t.name << " (" << col.name << ") WHERE " << col.name << " IS NOT NULL;\n";
      }
      out << "\n";
      tables.push_back(t);
    }
    out << "CREATE TABLE rlog (\n  id INTEGER PRIMARY KEY,\n  txid TEXT,\n  fn TEXT,\n  args TEXT,\n  err TEXT,\n  a0,\n  n INTEGER\n);\n\n";
  }

  void MakeFunctions(std::ostream& out) {
    int nf = rng.Range(3, 8);
    for (int fi = 0; fi < nf; ++fi) {
      Function f;
      f.name = "f" + std::to_string(fi);
      int np = rng.Range(0, 4);
      for (int i = 0; i < np; ++i) {
        static const std::vector<Ty> tys = {Ty::kInt, Ty::kInt, Ty::kReal, Ty::kReal, Ty::kText, Ty::kText, Ty::kBlob};
        Ty ty = rng.Pick(tys);
        if (ty == Ty::kBlob && !Has("badutf8")) ty = Ty::kText;
        f.params.push_back({"p" + std::to_string(i + 1), ty});
      }
      int ns = rng.Range(1, 5);
      bool wrote = false;
      for (int i = 0; i < ns; ++i) {
        const Table& t = rng.Pick(tables);
        int k = rng.Below(100);
        if (i == ns - 1 && !wrote) k = rng.Below(55);
        if (k < 30) { f.statements.push_back(Insert(f, t)); wrote = true; }
        else if (k < 50) { f.statements.push_back(Update(f, t)); wrote = true; }
        else if (k < 55) { f.statements.push_back(Delete(f, t)); wrote = true; }
        else f.statements.push_back(Require(f));
      }
      out << "CREATE FUNCTION " << f.name << "(";
      for (size_t i = 0; i < f.params.size(); ++i)
        out << (i ? ", " : "") << f.params[i].name << " " << (f.params[i].type == Ty::kInt && rng.Pct(30) ? "INT" : TyName(f.params[i].type));
      out << ") AS\n";
      // One statement per line: run.sh's minimizer drops lines.
      for (const std::string& s : f.statements) out << "  " << s << "\n";
      out << "END;\n\n";
      functions.push_back(f);
    }
    // claim(n): a plain INSERT of key n (no ON CONFLICT), so that the same
    // key claimed on two branches makes merges exclude (or, on b2, resolve)
    // txs; called for about one call in six.
    {
      Function f;
      f.name = "claim";
      f.params = {{"n", Ty::kInt}, {"x", Ty::kReal}, {"s", Ty::kText}};
      const Table& t = rng.Pick(tables);
      Ctx c = FnCtx(f);
      std::string keys, vals;
      for (size_t i = 0; i < t.KeyCols().size(); ++i) {
        keys += (i ? ", " : "") + t.KeyCols()[i];
        bool text = i == 0 && t.key != KeyKind::kInt;
        vals += std::string(i ? ", " : "") + (text ? "('k' || (abs(:n) % 48))" : "(abs(:n) % 48)");
      }
      for (const Column& col : t.cols) {
        keys += ", " + col.name;
        vals += ", " + Store(t, col, ExprD(c));
      }
      f.statements.push_back("INSERT INTO " + t.name + " (" + keys + ") VALUES (" + vals + ");");
      if (rng.Pct(50)) f.statements.push_back(Require(f));
      if (rng.Pct(40)) f.statements.push_back(Update(f, rng.Pick(tables)));
      out << "CREATE FUNCTION claim(n INTEGER, x REAL, s TEXT) AS\n";
      for (const std::string& st : f.statements) out << "  " << st << "\n";
      out << "END;\n\n";
      claim = f;
    }
    // The resolver of the consistent merge (branch b2).
    Function r;
    r.name = "resolve";
    r.params = {{"tx", Ty::kText}, {"contract", Ty::kText}, {"function", Ty::kText}, {"args", Ty::kText}, {"error", Ty::kText}};
    Ctx c = FnCtx(r);
    c.noblob = true;
    out << "CREATE FUNCTION resolve(tx TEXT, contract TEXT, function TEXT, args TEXT, error TEXT) AS\n"
        << "  INSERT INTO rlog (txid, fn, args, err, a0, n) VALUES (:tx, :function, :args, :error, "
        << "json_extract(:args, '$[0]'), json_array_length(:args));\n";
    if (rng.Pct(60)) out << "  UPDATE rlog SET a0 = " << Expr(c, 2) << " WHERE id = last_insert_rowid();\n";
    out << "END;\n";
  }

  // ----- call arguments --------------------------------------------------

  std::string IntArg() {
    int k = rng.Below(100);
    if (k < 45) return std::to_string(rng.Range(-20, 40));
    if (k < 75) {
      static const std::vector<std::string> e = {
          "0", "-1", "9223372036854775807", "-9223372036854775808", "9223372036854775806", "2147483647",
          "-2147483648", "4294967296", "9007199254740993", "-9007199254740993", "1000000000000000000",
          "65", "128512", "1114111", "-0", "255", "3"};
      return rng.Pick(e);
    }
    int64_t v = static_cast<int64_t>(rng.Next() >> rng.Below(63));
    if (rng.Pct(50)) v = -v;
    return std::to_string(v);
  }

  std::string RealArg() {
    int k = rng.Below(100);
    if (k < 45) {
      static const std::vector<std::string> e = {
          "0.0", "-0.0", "0.1", "0.2", "0.3", "0.5", "1.5", "2.5", "-2.5", "2.675", "1e308", "-1e308",
          "1.7976931348623157e308", "5e-324", "-5e-324", "2.2250738585072014e-308", "1e-7", "1e16", "1e21",
          "1e22", "123456.789", "1e300", "1e-300", "0.30000000000000004", "9007199254740993",
          "9223372036854775807", "9.223372036854776e18", "-9.223372036854776e18", "1e-400", "1", "-3",
          "4503599627370496.5", "0.125", "100", "1.0000000000000002"};
      return rng.Pick(e);
    }
    if (k < 70) return std::to_string(rng.Range(-1000, 1000)) + "." + std::to_string(rng.Below(1000));
    // A random finite double, printed exactly.
    double d;
    for (;;) {
      uint64_t bits = rng.Next();
      std::memcpy(&d, &bits, sizeof d);
      if (d == d && d - d == 0) break;
    }
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    return buf;
  }

  std::string TextArg() {
    int k = rng.Below(100);
    if (k < 25) return "k" + std::to_string(rng.Below(8));
    if (k < 60) {
      static const std::vector<std::string> e = {
          "", "a", "abc", "A", "Zz", "é", "ÄÖÜ", "日本語", "😀", "%", "_", "%a_", "*", "?", "[a-z]*",
          "NULL", "0", "-0", "1e5", "0x10", " 12 ", "12abc", "1.5e", "inf", "-inf", "nan", "1e999",
          "9223372036854775808", "{\"a\":1}", "[1,2.5,\"x\"]", "'", "\"", "a'b\"c", "\\", "a b c", "İı",
          "-1.0e+2", "now", "NOW", "subsec", "utc", "localtime", "2024-01-01", "12:00", "2451545.0", "2024-02-29 12:00:00", "$.a", "\t", "@ADDR1", "@ADDR2",
          "0.1", "5e-324", "-0.0", "ß", "x|y", "Ω≈ç√"};
      return rng.Pick(e);
    }
    if (k < 70) return "@ADDR" + std::to_string(rng.Range(1, 2));
    std::string s;
    int n = rng.Range(0, rng.Pct(10) ? 100 : 12);
    static const std::vector<std::string> pieces = {"a", "b", "Z", "0", "9", ".", "e", "-", "%", "_", " ",
                                                    "é", "ü", "'", "\"", "日", "😀", ",", "|", "x", "1"};
    for (int i = 0; i < n; ++i) s += rng.Pick(pieces);
    return s;
  }

  std::string BlobArg() {
    static const char* hex = "0123456789abcdef";
    int k = rng.Below(100);
    if (k < 30) {
      static const std::vector<std::string> e = {"0x", "0x00", "0xff", "0xc3a9", "0x313233", "0x80", "0x0000", "0x6e6f77", "0x6e6f7700ff",
                                                 "0x6c6f63616c74696d65"};
      return rng.Pick(e);
    }
    int n = rng.Range(1, rng.Pct(10) ? 64 : 8);
    std::string s = "0x";
    for (int i = 0; i < n; ++i) {
      int b = rng.Below(256);
      s += hex[b >> 4];
      s += hex[b & 15];
    }
    return s;
  }

  std::string Arg(Ty t) {
    switch (t) {
      case Ty::kInt: return IntArg();
      case Ty::kReal: return RealArg();
      case Ty::kText: return BatchWord(TextArg());
      default: return BlobArg();
    }
  }

  std::string CallLine() {
    const Function& f = rng.Pct(16) ? claim : rng.Pick(functions);
    std::string s = contract + " " + f.name;
    if (&f == &claim && rng.Pct(85)) {
      // Few keys, so that branches claim the same ones.
      return s + " " + std::to_string(rng.Below(10)) + " " + RealArg() + " " + BatchWord(TextArg());
    }
    for (const Param& p : f.params) s += " " + Arg(p.type);
    return s;
  }

  // The scenario: master, two branches (b2 has the resolver), three merges.
  void MakeCalls(std::ostream& out, int n) {
    int placed = 0;
    auto segment = [&](int count) {
      int since = 0;
      int every = rng.Range(20, 50);
      for (int i = 0; i < count; ++i) {
        if (rng.Pct(10)) out << "#key " << (rng.Pct(50) ? "k1" : "k2") << "\n";
        out << CallLine() << "\n";
        ++placed;
        if (++since >= every && i + 1 < count) {
          out << "#commit\n";
          since = 0;
          every = rng.Range(20, 50);
        }
      }
      out << "#commit\n";
    };
    int a = n * 35 / 100, b = n * 20 / 100, c = n * 15 / 100, d = n * 15 / 100;
    int e = n - a - b - c - d;
    segment(a);
    out << "#branch b1\n#branch b2 " << contract << ".resolve\n#checkout b1\n";
    segment(b);
    out << "#checkout b2\n";
    segment(d);
    out << "#checkout master\n";
    segment(c);
    out << "#merge b1\n#checkout b2\n#merge b1\n#checkout master\n";
    segment(e / 2);
    out << "#merge b2\n";
    segment(e - e / 2);
  }
};

const char* Probe(const std::string& feature) {
  if (feature == "base")
    return "CREATE TABLE t (k INTEGER PRIMARY KEY, v);\n"
           "CREATE FUNCTION f(x REAL) AS\n  INSERT INTO t (v) VALUES (printf('%.17g', :x / 3) || json_array(:x));\nEND;\n";
  if (feature == "datetime")
    return "CREATE TABLE t (k INTEGER PRIMARY KEY, v);\n"
           "CREATE FUNCTION f() AS\n  INSERT INTO t (v) VALUES (strftime('%Y-%m-%d', :block_time, 'unixepoch') || "
           "date(:block_time, 'unixepoch') || datetime(:block_time, 'unixepoch') || time(:block_time, 'unixepoch') || "
           "julianday(:block_time, 'unixepoch') || unixepoch(datetime(:block_time, 'unixepoch')) || "
           "timediff(:block_time, '2000-01-01'));\nEND;\n";
  if (feature == "newfns")
    return "CREATE TABLE t (k INTEGER PRIMARY KEY, v);\n"
           "CREATE FUNCTION f() AS\n  INSERT INTO t (v) VALUES (concat('a', 1) || concat_ws('/', 'a', 2) || "
           "unhex('41') || octet_length('x') || (SELECT string_agg(v, ',') FROM t));\nEND;\n";
  if (feature == "badutf8")  // run.sh also calls f(0xff), commits and runs fsck
    return "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT);\n"
           "CREATE FUNCTION f(b BLOB) AS\n  INSERT INTO t (v) VALUES (CAST(:b AS TEXT));\nEND;\n";
  if (feature == "math")
    return "CREATE TABLE t (k INTEGER PRIMARY KEY, v);\n"
           "CREATE FUNCTION f(x REAL) AS\n  INSERT INTO t (v) VALUES (sqrt(:x) + ceil(:x) + floor(:x) + trunc(:x) + "
           "mod(:x, 3) + pi() + sign(:x) + ceiling(:x));\nEND;\n";
  return nullptr;
}

int Usage() {
  std::cerr << "usage: aergo_det_gen <seed> <calls> <outdir> [--features f1,f2] [--contract <name>]\n"
               "       aergo_det_gen --probe base|datetime|newfns|math|badutf8\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 2 && args[0] == "--probe") {
    const char* p = Probe(args[1]);
    if (!p) return Usage();
    std::cout << p;
    return 0;
  }
  if (args.size() < 3) return Usage();
  Gen g;
  char* end = nullptr;
  uint64_t seed = std::strtoull(args[0].c_str(), &end, 10);
  if (*end) return Usage();
  int calls = std::atoi(args[1].c_str());
  if (calls < 1) return Usage();
  std::string dir = args[2];
  for (size_t i = 3; i < args.size(); ++i) {
    if (args[i] == "--features" && i + 1 < args.size()) {
      std::stringstream ss(args[++i]);
      std::string f;
      while (std::getline(ss, f, ',')) {
        if (f.empty()) continue;
        if (!Probe(f)) return Usage();
        g.features.insert(f);
      }
    } else if (args[i] == "--contract" && i + 1 < args.size()) {
      g.contract = args[++i];
    } else {
      return Usage();
    }
  }
  g.rng.s = seed * 0x100000001b3ULL + 0x5eed;
  std::ofstream sql(dir + "/contract.sql");
  std::ofstream cl(dir + "/calls.txt");
  if (!sql || !cl) {
    std::cerr << "aergo_det_gen: cannot write into " << dir << "\n";
    return 1;
  }
  sql << "-- aergo_det_gen seed " << seed << " calls " << calls << "\n\n";
  g.MakeSchema(sql);
  g.MakeFunctions(sql);
  // The tables and their columns, for run.sh's state comparison.
  std::ofstream tl(dir + "/tables.txt");
  for (const Table& t : g.tables) {
    tl << t.name;
    for (const std::string& k : t.KeyCols()) tl << " " << k;
    for (const Column& col : t.cols) tl << " " << col.name;
    tl << "\n";
  }
  tl << "rlog id txid fn args err a0 n\n";
  cl << "# aergo_det_gen seed " << seed << " calls " << calls << "\n";
  g.MakeCalls(cl, calls);
  return sql && cl ? 0 : 1;
}
