// An `aergo daemon` over HTTP(S), through one libcurl easy handle (so one
// kept-alive connection for the whole command).
#include <curl/curl.h>

#include <cctype>
#include <mutex>

#include "core/request_auth.h"
#include "remote/transport.h"

namespace aergo {

namespace {

void CurlGlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

constexpr size_t kMaxAnswerBytes = 64u << 20;  // JSON answers (refs, push reports)

struct Response {
  long status = 0;
  std::string body;           // when not streamed (or an error body)
  const PackSink* sink = nullptr;
  bool sink_failed = false;
  bool sink_stopped = false;  // the sink stopped on purpose (not a failure)
  std::string sink_error;     // why the sink failed, if it says
};

// Splits a server-sent event stream (the WHATWG format, the subset the
// daemon sends: "event:", "data:", comments, blank lines) into events.
class SseParser {
 public:
  explicit SseParser(const std::function<bool(const StreamEvent&)>& sink) : sink_(sink) {}
  // False to stop: the sink said so (*stopped), or a line is too long
  // (*error).
  bool Feed(const char* data, size_t n, bool* stopped, std::string* error) {
    for (size_t i = 0; i < n; ++i) {
      char c = data[i];
      if (c != '\n') {
        if (line_.size() >= kMaxEventLineBytes) {
          *error = "a line of the event stream is longer than " + std::to_string(kMaxEventLineBytes) + " bytes";
          return false;
        }
        line_.push_back(c);
        continue;
      }
      if (!line_.empty() && line_.back() == '\r') line_.pop_back();
      if (!Line(stopped)) return false;
      line_.clear();
    }
    return true;
  }

 private:
  bool Line(bool* stopped) {
    if (line_.empty()) {
      if (!has_data_) {
        event_.clear();
        return true;
      }
      StreamEvent e{event_.empty() ? "message" : event_, data_};
      event_.clear();
      data_.clear();
      has_data_ = false;
      if (!sink_(e)) {
        *stopped = true;
        return false;
      }
      return true;
    }
    if (line_[0] == ':') return true;  // a comment (": ping")
    size_t colon = line_.find(':');
    std::string field = line_.substr(0, colon), value;
    if (colon != std::string::npos) {
      value = line_.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    }
    if (field == "event") {
      event_ = value;
    } else if (field == "data") {
      if (has_data_) data_ += '\n';
      data_ += value;
      has_data_ = true;
    }
    return true;
  }
  const std::function<bool(const StreamEvent&)>& sink_;
  std::string line_, event_, data_;
  bool has_data_ = false;
};

class HttpTransport : public Transport {
 public:
  HttpTransport(std::string url, std::string base_path, const TransportOptions& options)
      : url_(std::move(url)), base_path_(std::move(base_path)), options_(options) {
    CurlGlobalInit();
    curl_ = curl_easy_init();
  }
  ~HttpTransport() override {
    if (curl_) curl_easy_cleanup(curl_);
  }

  const std::string& url() const override { return url_; }

  Result<RemoteRefs> ListRefs() override {
    Response r;
    AERGO_RETURN_IF_ERROR(Request("GET", "/refs", "", "", &r));
    auto refs = DecodeRefs(r.body);
    if (!refs.ok()) return Invalid(url_ + " did not answer as an aergo daemon: " + refs.status().message());
    return refs;
  }

  Status Fetch(const FetchRequest& request, const PackSink& sink) override {
    Response r;
    r.sink = &sink;
    return Request("POST", "/fetch", EncodeFetchRequest(request), "application/json", &r);
  }

  Result<PushOutcome> Push(const PushRequest& request, const std::string& pack) override {
    std::string body = EncodePushHead(request) + pack;
    Response r;
    AERGO_RETURN_IF_ERROR(Request("POST", "/push", body, "application/x-aergo-push", &r));
    auto outcome = DecodePushOutcome(r.body);
    if (!outcome.ok()) return Invalid(url_ + " gave a malformed push answer: " + outcome.status().message());
    return outcome;
  }

  Result<SubmitAnswer> SubmitTxs(const std::vector<Tx>& txs) override {
    Response r;
    AERGO_RETURN_IF_ERROR(Request("POST", "/txs", EncodeTxSubmission(txs), "application/json", &r));
    return Answer(DecodeSubmitAnswer(r.body), "submission answer");
  }

  Result<FoundTx> GetTx(const std::string& txid) override {
    Response r;
    AERGO_RETURN_IF_ERROR(Request("GET", "/txs/" + PathSegment(txid), "", nullptr, &r));
    return Answer(DecodeTxAnswer(r.body), "tx");
  }

  Result<Block> GetBlock(const std::string& rev) override {
    Response r;
    AERGO_RETURN_IF_ERROR(Request("GET", "/blocks/" + PathSegment(rev), "", nullptr, &r));
    return Answer(DecodeBlockAnswer(r.body), "block");
  }

  Result<QueryResult> Query(const QueryRequest& query) override {
    Response r;
    AERGO_RETURN_IF_ERROR(Request("POST", "/query", EncodeQueryRequest(query), "application/json", &r));
    return Answer(DecodeQueryAnswer(r.body), "query answer");
  }

  Status Watch(const WatchOptions& options) override {
    Response r;
    SseParser parser(options.on_event);
    bool opened = false;
    PackSink sink = [&](const void* data, size_t size) {
      if (!opened) {
        opened = true;
        if (options.on_open) options.on_open();
      }
      return parser.Feed(static_cast<const char*>(data), size, &r.sink_stopped, &r.sink_error);
    };
    r.sink = &sink;
    should_stop_ = options.should_stop;
    bool stop_asked = false;
    stop_asked_ = &stop_asked;
    Status st = Request("GET", "/events", "", nullptr, &r);
    should_stop_ = nullptr;
    stop_asked_ = nullptr;
    if (r.sink_stopped || stop_asked) return Status::Ok();
    if (!r.sink_error.empty()) return Invalid("cannot read the events of " + url_ + ": " + r.sink_error);
    if (!st.ok()) {
      if (r.status >= 200 && r.status < 300)
        return Failed("the event stream of " + url_ + " ended: the connection broke (" + st.message() + ")");
      return st;
    }
    return Failed("the event stream of " + url_ + " ended: the daemon closed it");
  }

 private:
  // A decoded answer, or Invalid saying the remote answered badly.
  template <typename T>
  Result<T> Answer(Result<T> decoded, const char* what) {
    if (!decoded.ok()) return Invalid(url_ + " gave a malformed " + what + ": " + decoded.status().message());
    return decoded;
  }

  // Percent-encodes every byte but the unreserved ones (RFC 3986).
  static std::string PathSegment(const std::string& s) {
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
    return out;
  }

  static size_t OnData(char* data, size_t size, size_t n, void* payload) {
    auto* r = static_cast<Response*>(payload);
    size_t len = size * n;
    if (r->body.size() + len > kMaxAnswerBytes) return 0;  // aborts: no answer is this large
    r->body.append(data, len);
    return len;
  }

  static size_t OnStreamData(char* data, size_t size, size_t n, void* payload) {
    auto* ctx = static_cast<std::pair<CURL*, Response*>*>(payload);
    Response* r = ctx->second;
    size_t len = size * n;
    long code = 0;
    curl_easy_getinfo(ctx->first, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200 && code < 300) {
      if (!(*r->sink)(data, len)) {
        r->sink_failed = true;
        return 0;  // aborts the transfer
      }
    } else if (r->body.size() < 65536) {
      r->body.append(data, len);
    }
    return len;
  }

  static int OnProgress(void* payload, curl_off_t, curl_off_t, curl_off_t ultotal, curl_off_t ulnow) {
    auto* t = static_cast<HttpTransport*>(payload);
    if (t->should_stop_ && t->should_stop_()) {
      if (t->stop_asked_) *t->stop_asked_ = true;
      return 1;  // aborts the transfer
    }
    if (t->options_.upload_progress && ultotal > 0)
      t->options_.upload_progress(static_cast<uint64_t>(ulnow), static_cast<uint64_t>(ultotal));
    return 0;
  }

  Status Request(const char* method, const std::string& suffix, const std::string& body,
                 const char* content_type, Response* r) {
    if (!curl_) return IoError("cannot initialise libcurl");
    CURL* c = curl_;
    curl_easy_reset(c);
    std::string full = url_ + suffix;
    std::string path = base_path_ + suffix;
    curl_easy_setopt(c, CURLOPT_URL, full.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    // A daemon that stops sending for a minute is taken for dead.
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "aergo/0.1");
    struct curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
    if (content_type) headers = curl_slist_append(headers, (std::string("Content-Type: ") + content_type).c_str());
    if (options_.key) {
      uint64_t now = options_.clock ? options_.clock->NowMs() : 0;
      std::string auth = "Authorization: " + SignRequest(*options_.key, method, path, body, now);
      headers = curl_slist_append(headers, auth.c_str());
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    if (std::string(method) == "POST") {
      curl_easy_setopt(c, CURLOPT_POST, 1L);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    } else {
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    std::pair<CURL*, Response*> stream_ctx{c, r};
    if (r->sink) {
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnStreamData);
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &stream_ctx);
    } else {
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnData);
      curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    }
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, this);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, options_.upload_progress || should_stop_ ? 0L : 1L);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (r->sink_failed) {
      if (r->sink_stopped) return Status::Ok();
      if (!r->sink_error.empty()) return Invalid(r->sink_error);
      return Invalid("the pack from " + url_ + " was refused while arriving");
    }
    if (rc != CURLE_OK) {
      if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_OPERATION_TIMEDOUT)
        return IoError("cannot reach " + url_ + ": " + curl_easy_strerror(rc));
      return IoError("transfer from " + url_ + " failed: " + curl_easy_strerror(rc));
    }
    if (r->status >= 200 && r->status < 300) return Status::Ok();
    RemoteError e = DecodeError(r->body);
    std::string msg = url_ + " refused " + method + " " + suffix.substr(1) + " (HTTP " + std::to_string(r->status) +
                      "): " + e.message;
    if (!e.role.empty()) msg += " [needs role '" + e.role + "']";
    switch (r->status) {
      case 401:
      case 403: return Denied(msg);
      case 404: return NotFound(msg);
      case 409: return Exists(msg);
      case 422: return Corrupt(msg);
      case 400:
      case 413: return Invalid(msg);
      case 503: return Busy(msg);
      default: return Failed(msg);
    }
  }

  std::string url_, base_path_;
  TransportOptions options_;
  CURL* curl_ = nullptr;
  std::function<bool()> should_stop_;  // while watching
  bool* stop_asked_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<Transport>> OpenHttpTransport(const std::string& url, const TransportOptions& options) {
  std::string u = url;
  while (!u.empty() && u.back() == '/') u.pop_back();
  size_t scheme = u.find("://");
  size_t slash = scheme == std::string::npos ? std::string::npos : u.find('/', scheme + 3);
  if (slash == std::string::npos || slash + 1 >= u.size())
    return Invalid("remote URL '" + url + "' names no repository (expected http://host:port/<name>)");
  if (u.find_first_of("?# ") != std::string::npos) return Invalid("invalid remote URL '" + url + "'");
  return std::unique_ptr<Transport>(new HttpTransport(u, u.substr(slash), options));
}

}  // namespace aergo
