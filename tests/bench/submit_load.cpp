// Bench helper: tx submission load on an `aergo daemon`. Each of CLIENTS
// threads keeps one libcurl connection alive and posts TXS signed
// `token.transfer(acct<k>, 1)` txs, PER_REQUEST per request (default 1;
// POST /<repo>/txs, signed requests), waiting for each answer before the
// next. The txs are built and signed before the clock starts.
// Usage: aergo_bench_submit_load <aergo-dir> <key name> <repo URL> <clients> <txs per client> [<per request>]
// Prints one line: clients txs seconds tx_per_s median_ms p90_ms p99_ms failed
// client_cpu_us (latencies are per request; failed counts requests with a
// failed tx; client_cpu_us is this process's CPU time, user and system,
// per request while the clock ran: what the load itself costs the machine).
#include <curl/curl.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/keystore.h"
#include "core/repo.h"
#include "core/request_auth.h"
#include "remote/ledger_wire.h"

using namespace aergo;

namespace {

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

int Die(const std::string& why) {
  std::fprintf(stderr, "submit_load: %s\n", why.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) return Die("usage: <aergo-dir> <key> <url> <clients> <txs per client> [<per request>]");
  if (!CryptoInit().ok()) return Die("libsodium failed to initialise");
  std::string aergo_dir = argv[1], key_name = argv[2], url = argv[3];
  int clients = std::atoi(argv[4]), per = std::atoi(argv[5]);
  int per_request = argc == 7 ? std::atoi(argv[6]) : 1;
  if (clients <= 0 || per <= 0 || per_request <= 0) return Die("clients and txs must be positive");
  const char* home = std::getenv("AERGO_HOME");
  // The bench's keys are unencrypted or take AERGO_PASSPHRASE (no prompt).
  const char* pass = std::getenv("AERGO_PASSPHRASE");
  PassphraseSource passphrase = [pass](const std::string&, bool) -> std::optional<std::string> {
    if (pass) return std::string(pass);
    return std::nullopt;
  };
  auto key = KeyStore(home ? home : ".").Load(key_name, passphrase);
  if (!key.ok()) return Die(key.status().message());
  SystemClock clock;
  std::vector<std::vector<std::string>> bodies(clients);
  std::vector<std::vector<size_t>> sizes(clients);
  {
    auto repo = Repository::Open(aergo_dir, OpenMode::kRead, clock);
    if (!repo.ok()) return Die(repo.status().message());
    for (int c = 0; c < clients; ++c)
      for (int i = 0; i < per; i += per_request) {
        std::vector<Tx> txs;
        for (int j = i; j < std::min(per, i + per_request); ++j) {
          std::vector<Value> args(2);
          args[0].type = Value::Type::kText;
          args[0].bytes = "acct" + std::to_string((c * per + j) % 1000 + 1);
          args[1].type = Value::Type::kInteger;
          args[1].integer = 1;
          txs.push_back((*repo)->MakeTx(TxKind::kCall, *key, "token", "transfer", std::move(args), ""));
        }
        bodies[c].push_back(EncodeTxSubmission(txs));
        sizes[c].push_back(txs.size());
      }
  }
  std::string path = url.substr(url.find('/', url.find("://") + 3)) + "/txs";
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::vector<std::vector<double>> latencies(clients);
  std::vector<int> failed(clients, 0);
  auto cpu_now = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
  };
  const double cpu_start = cpu_now();
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      CURL* h = curl_easy_init();
      std::string target = url + "/txs";
      for (size_t r = 0; r < bodies[c].size(); ++r) {
        const std::string& body = bodies[c][r];
        auto t0 = std::chrono::steady_clock::now();
        std::string auth = "Authorization: " + SignRequest(*key, "POST", path, body, clock.NowMs());
        curl_slist* headers = curl_slist_append(nullptr, auth.c_str());
        headers = curl_slist_append(headers, "Content-Type: application/json");
        headers = curl_slist_append(headers, "Expect:");
        std::string answer;
        curl_easy_setopt(h, CURLOPT_URL, target.c_str());
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Collect);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
        curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
        CURLcode rc = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(headers);
        auto decoded = DecodeSubmitAnswer(answer);
        bool ok = rc == CURLE_OK && status == 200 && decoded.ok() && decoded->receipts.size() == sizes[c][r];
        for (size_t k = 0; ok && k < decoded->receipts.size(); ++k) ok = decoded->receipts[k].outcome.ok;
        if (!ok) {
          if (failed[c]++ == 0)
            std::fprintf(stderr, "submit_load: client %d: HTTP %ld %s %s\n", c, status, curl_easy_strerror(rc),
                         answer.substr(0, 300).c_str());
        }
        latencies[c].push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
      curl_easy_cleanup(h);
    });
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu_us = cpu_now() - cpu_start;
  std::vector<double> all;
  int bad = 0;
  for (int c = 0; c < clients; ++c) {
    all.insert(all.end(), latencies[c].begin(), latencies[c].end());
    bad += failed[c];
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))]; };
  size_t requests = 0;
  for (const auto& b : bodies) requests += b.size();
  std::printf("%d %d %.3f %.0f %.2f %.2f %.2f %d %.0f\n", clients, clients * per, secs, clients * per / secs, pct(0.5),
              pct(0.9), pct(0.99), bad, cpu_us / static_cast<double>(requests));
  return bad == 0 ? 0 : 1;
}
