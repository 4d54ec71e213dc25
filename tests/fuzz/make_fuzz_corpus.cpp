// Writes the fuzz harnesses' seed corpora: valid encodings of every input
// shape, built with the project's own encoders from a small token ledger
// (genesis, a deploy + mint block, an open + transfer block).
//
//   make_fuzz_corpus <tests/fuzz directory>
//
// Writes <dir>/corpus/<harness>/seed-<name> and <dir>/data/pack_genesis.bin
// (the genesis block the pack harness builds its repository from; the
// pack seeds are packs of the same chain). Run by scripts/fuzz.sh
// --regen-corpus; the output is committed, so an ordinary fuzz run does not
// need it. Everything is deterministic except random salts and nonces.
#include <sodium.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/keystore.h"
#include "core/repo.h"
#include "core/request_auth.h"
#include "core/transfer.h"
#include "remote/ledger_wire.h"
#include "remote/wire.h"
#include "tests/fuzz/fuzz_util.h"

namespace fs = std::filesystem;
using namespace aergo;

namespace {

std::string g_out;

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "make_fuzz_corpus: %s\n", why.c_str());
  std::exit(1);
}

template <typename T>
T Must(Result<T> r, const char* what) {
  if (!r.ok()) Die(std::string(what) + ": " + r.status().message());
  return std::move(r.value());
}

void Seed(const std::string& harness, const std::string& name, const std::string& bytes) {
  fs::create_directories(g_out + "/corpus/" + harness);
  std::ofstream out(g_out + "/corpus/" + harness + "/seed-" + name, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) Die("cannot write seed " + harness + "/" + name);
}
void Seed(const std::string& harness, const std::string& name, const Bytes& bytes) {
  Seed(harness, name, std::string(bytes.begin(), bytes.end()));
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

SecretKey SeedKey(uint8_t fill) {
  std::array<uint8_t, 32> seed{};
  seed.fill(fill);
  return SecretKey::FromSeed(seed.data());
}

Bytes FramedBlock(const Block& b) {
  Bytes out;
  fuzz::AppendPart(&out, b.header.Encode());
  fuzz::AppendPart(&out, b.EncodeTxs());
  fuzz::AppendPart(&out, b.EncodeReceipts());
  out.insert(out.end(), b.changes.begin(), b.changes.end());
  return out;
}

std::string PackOf(GitRepo& git, const std::vector<Oid>& wants, const std::vector<Oid>& haves) {
  std::string bytes;
  Must(WritePack(git, wants, haves,
                 [&](const void* data, size_t size) {
                   bytes.append(static_cast<const char*>(data), size);
                   return true;
                 }),
       "WritePack");
  return bytes;
}

std::string Hex(const uint8_t* p, size_t n) { return ToHex(p, n); }

// A key file encrypted with the cheapest Argon2 parameters the reader
// accepts (opslimit 1, memlimit 8192), passphrase "pw", as the keyfile
// harness can afford to derive on every input (docs/formats/keyfile.md).
std::string CheapEncryptedKeyFile(const SecretKey& key) {
  std::array<uint8_t, 16> salt{};
  salt.fill(0x11);
  std::array<uint8_t, 24> nonce{};
  nonce.fill(0x22);
  std::array<uint8_t, 32> master{}, box{}, check{};
  const std::string pass = "pw";
  if (crypto_pwhash(master.data(), master.size(), pass.data(), pass.size(), salt.data(), 1, 8192,
                    crypto_pwhash_ALG_ARGON2ID13) != 0)
    Die("crypto_pwhash");
  crypto_kdf_derive_from_key(box.data(), box.size(), 1, "aergokey", master.data());
  crypto_kdf_derive_from_key(check.data(), check.size(), 2, "aergokey", master.data());
  std::array<uint8_t, 48> sealed{};
  crypto_secretbox_easy(sealed.data(), key.seed(), 32, nonce.data(), box.data());
  return "aergo-key 1\npublic " + ToHex(key.public_key()) + "\nkdf argon2id13 1 8192 " + ToHex(salt) +
         "\nnonce " + ToHex(nonce) + "\ncheck " + ToHex(check) + "\nsecret " + ToHex(sealed) + "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) Die("usage: make_fuzz_corpus <tests/fuzz directory>");
  g_out = argv[1];
  const std::string source_dir = fs::path(g_out).parent_path().parent_path().string();
  if (!CryptoInit().ok()) Die("CryptoInit");
  GitGlobalInit();
  fuzz::ProcessTempDir tmp("corpus");

  // ---- a small token ledger ----
  FixedClock clock(fuzz::kNowMs);
  SecretKey admin = SeedKey(1), alice = SeedKey(2), bob = SeedKey(3);
  const std::string token_sql = ReadText(source_dir + "/examples/token.sql");
  const std::string conflicts_sql = ReadText(source_dir + "/examples/conflicts.sql");
  if (token_sql.empty()) Die("cannot read examples/token.sql under " + source_dir);
  auto repo = Must(Repository::Init(tmp.path() + "/src", admin, InitParams{}, clock), "Init");
  const std::string alice_addr = AddressFromKey(alice.public_key()), bob_addr = AddressFromKey(bob.public_key());
  Tx deploy = repo->MakeTx(TxKind::kDeploy, admin, "token", "", {}, token_sql);
  Tx mint = repo->MakeTx(TxKind::kCall, admin, "token", "mint", {Value::Text(alice_addr), Value::Integer(100)}, "");
  for (const auto& s : Must(repo->Submit({deploy, mint}), "Submit"))
    if (!s.outcome.ok) Die("submit: " + s.outcome.error);
  clock.Advance(1000);
  Block block1 = Must(repo->Commit(admin, "deploy and mint"), "Commit 1");
  Tx open = repo->MakeTx(TxKind::kCall, bob, "token", "open", {}, "");
  Tx transfer =
      repo->MakeTx(TxKind::kCall, alice, "token", "transfer", {Value::Text(bob_addr), Value::Integer(30)}, "");
  auto submitted = Must(repo->Submit({open, transfer}), "Submit");
  clock.Advance(1000);
  Block block2 = Must(repo->Commit(admin, "transfer"), "Commit 2");
  Block genesis = Must(repo->ReadBlock(repo->chain_id()), "ReadBlock genesis");
  block1 = Must(repo->ReadBlock(block1.Id()), "ReadBlock 1");
  block2 = Must(repo->ReadBlock(block2.Id()), "ReadBlock 2");
  auto oid = [&](const Hash32& id) { return Must(repo->BlockInfo(id), "BlockInfo").oid; };

  // The pack harness's repository starts from this genesis block.
  {
    fs::create_directories(g_out + "/data");
    Bytes g = FramedBlock(genesis);
    std::ofstream out(g_out + "/data/pack_genesis.bin", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(g.data()), static_cast<std::streamsize>(g.size()));
    if (!out) Die("cannot write data/pack_genesis.bin");
  }

  // ---- tx, receipt, header, block, changes, value ----
  Tx access = repo->MakeTx(TxKind::kAccess, admin, "aergo", "grant", {Value::Text(alice_addr), Value::Text("writer")}, "");
  Tx typed = repo->MakeTx(TxKind::kCall, alice, "c", "f",
                          {Value::Null(), Value::Integer(-7), Value::Real(1.5), Value::Text("h\xc3\xa9"),
                           Value::Blob(std::string("\x00\xff", 2))},
                          "");
  Seed("tx", "genesis", genesis.txs[0].Encode());
  Seed("tx", "deploy", deploy.Encode());
  Seed("tx", "mint", mint.Encode());
  Seed("tx", "access", access.Encode());
  Seed("tx", "typed-args", typed.Encode());

  Receipt excluded{transfer.Id(), ReceiptStatus::kExcluded, "recipient has no account", ""};
  Receipt resolved{transfer.Id(), ReceiptStatus::kResolved, "amount must be positive", "merges.record"};
  Seed("receipt", "applied", block1.receipts[0].Encode());
  Seed("receipt", "excluded", excluded.Encode());
  Seed("receipt", "resolved", resolved.Encode());

  BlockHeader merge_header = block2.header;
  merge_header.height = 3;
  merge_header.parents = {block2.Id(), block1.Id()};
  merge_header.resolver = "merges.record";
  merge_header.message = "merge feature";
  merge_header.Sign(admin);
  Seed("header", "genesis", genesis.header.Encode());
  Seed("header", "block1", block1.header.Encode());
  Seed("header", "merge", merge_header.Encode());

  Seed("block", "genesis", FramedBlock(genesis));
  Seed("block", "block1", FramedBlock(block1));
  Seed("block", "block2", FramedBlock(block2));

  Seed("changes", "genesis", genesis.changes);
  Seed("changes", "block1", block1.changes);
  Seed("changes", "block2", block2.changes);
  Seed("changes", "empty", ChangeSet{}.Encode());

  const std::vector<std::pair<std::string, Value>> values = {
      {"null", Value::Null()},           {"integer", Value::Integer(-42)},
      {"real", Value::Real(-0.25)},      {"text", Value::Text("caf\xc3\xa9")},
      {"blob", Value::Blob("\x01\x02")}, {"inf", Value::Real(1.0 / 0.0)}};
  for (const auto& [name, v] : values) {
    Writer w;
    EncodeValue(&w, v);
    Seed("value", name, w.bytes());
  }

  // ---- packs of the chain (the receiver has the genesis block) ----
  Seed("pack", "block1", PackOf(repo->git(), {oid(block1.Id())}, {oid(genesis.Id())}));
  Seed("pack", "block1-2", PackOf(repo->git(), {oid(block2.Id())}, {oid(genesis.Id())}));
  Seed("pack", "block2-only", PackOf(repo->git(), {oid(block2.Id())}, {oid(block1.Id())}));
  Seed("pack", "empty", PackOf(repo->git(), {oid(genesis.Id())}, {oid(genesis.Id())}));

  // ---- the HTTP API's JSON bodies (first byte: the decoder) ----
  auto wire = [&](uint8_t which, const std::string& name, const std::string& body) {
    Seed("wire_json", name, std::string(1, static_cast<char>(which)) + body);
  };
  RemoteRefs refs;
  refs.chain_id = repo->chain_id();
  refs.head = "master";
  refs.is_public = true;
  refs.branches = {{"master", block2.Id()}, {"secret", block1.Id()}};
  refs.tags = {{"v1", block1.Id()}};
  refs.private_branches = {"secret"};
  wire(0, "refs", EncodeRefs(refs));
  wire(1, "fetch", EncodeFetchRequest(FetchRequest{{block2.Id()}, {genesis.Id(), block1.Id()}}));
  wire(2, "push", EncodePushHead(PushRequest{"master", block2.Id(), {{"v2", block2.Id()}}, true}) + "PACK");
  PushOutcome outcome;
  outcome.branch = "master";
  outcome.old_head = block1.Id();
  outcome.head = block2.Id();
  outcome.blocks = 1;
  outcome.txs = 2;
  outcome.tags_created = {"v2"};
  MergeReport report;
  report.block = block2.Id();
  report.base = genesis.Id();
  report.resolver = "merges.record";
  report.applied = {open.Id()};
  report.excluded = {{transfer.Id(), "recipient has no account", ""}};
  report.resolved = {{mint.Id(), "only the owner may mint", "merges.record"}};
  outcome.merge = report;
  wire(3, "push-answer", EncodePushOutcome(outcome));
  wire(4, "error", EncodeError(Denied("no role"), "reader"));
  wire(5, "txs", EncodeTxSubmission({open, transfer}));
  SubmitAnswer answer;
  answer.branch = "master";
  answer.receipts = submitted;
  answer.receipts.push_back(Submitted{mint.Id(), CallOutcome{false, "only the owner may mint", 0}});
  wire(6, "submit-answer", EncodeSubmitAnswer(answer));
  wire(7, "block", EncodeBlockAnswer(block2));
  FoundTx found = Must(repo->FindTx(ToHex(transfer.Id())), "FindTx");
  wire(8, "tx", EncodeTxAnswer(found));
  wire(9, "query", EncodeQueryRequest(QueryRequest{"SELECT * FROM token.accounts", "master~1"}));
  QueryResult qr = Must(repo->Query("SELECT owner, balance, 1.5, x'00ff', NULL FROM token.accounts", std::nullopt),
                        "Query");
  qr.rows.push_back({Value::Real(1.0 / 0.0), Value::Text("\xff"), Value::Real(-0.0), Value::Integer(-1),
                     Value::Blob("")});
  wire(10, "query-answer", EncodeQueryAnswer(qr));

  // ---- signed requests: header \n method \n path \n body ----
  const std::string body = EncodeTxSubmission({open});
  Seed("request_auth", "post",
       SignRequest(alice, "POST", "/ledger/txs", body, fuzz::kNowMs) + "\nPOST\n/ledger/txs\n" + body);
  Seed("request_auth", "get",
       SignRequest(bob, "GET", "/ledger/refs?x=1", "", fuzz::kNowMs - 1000) + "\nGET\n/ledger/refs?x=1\n");

  // ---- key files ----
  {
    KeyStore ks(tmp.path() + "/home");
    Must(ks.Create("clear", ""), "KeyStore::Create");
    Seed("keyfile", "clear", ReadText(ks.KeyPath("clear")));
    Must(ks.Create("sealed", "secret"), "KeyStore::Create");
    Seed("keyfile", "argon2-interactive", ReadText(ks.KeyPath("sealed")));
    Seed("keyfile", "argon2-cheap", CheapEncryptedKeyFile(alice));
  }

  // ---- config ----
  Seed("config", "repo",
       "[core]\nconsensus = solo\npublic = false\n[user]\nkey = alice\n[state]\ncache-size = 8\n"
       "[remote.origin]\nurl = http://localhost:8080/ledger\n[branch.master]\nremote = origin\nmerge = master\n");
  Seed("config", "comments", "# comment\n[user]\nkey = bob # trailing\n\n[clone]\nincomplete = /tmp/x\n");

  // ---- contracts and SQL ----
  Seed("contract", "token", token_sql);
  if (!conflicts_sql.empty()) Seed("contract", "conflicts", conflicts_sql);
  Seed("contract", "small",
       "/* block */ CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT);\nCREATE INDEX t_v ON t (v);\n"
       "CREATE FUNCTION put(k INTEGER, v TEXT) AS\n  INSERT INTO t VALUES (:k, :v); -- line\nEND;\n");
  Seed("sql_lexer", "select",
       "SELECT owner, \"balance\", [x], `y` FROM token.accounts WHERE owner = :sender AND b = x'00ff' "
       "AND n >= .5e3 AND h = 0x1F; -- done\n");
  Seed("sql_lexer", "update",
       "UPDATE accounts SET balance = balance - :amount /* c\n */ WHERE owner = 'it''s' || ?1 || @a || $b;");
  Seed("sql_lexer", "create", "CREATE TABLE accounts (owner TEXT PRIMARY KEY, balance INTEGER NOT NULL);");

  std::printf("make_fuzz_corpus: wrote %s/corpus and %s/data\n", g_out.c_str(), g_out.c_str());
  return 0;
}
