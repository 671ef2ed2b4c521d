#include "service/http/connection_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <iostream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock.h"

namespace vigil::service {
namespace {

// The peer of `fd` as (client, address:port): the client is the IPv4
// address, or for IPv6 its /64 (one host is given a whole /64, so a
// per-address limit would not hold it back); both empty when unknown.
std::pair<std::string, std::string> PeerOf(int fd) {
  sockaddr_storage sa{};
  socklen_t len = sizeof(sa);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    return {"", ""};
  }
  char text[INET6_ADDRSTRLEN] = {0};
  in_addr v4{};
  int port = 0;
  if (sa.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&sa);
    v4 = in->sin_addr;
    port = ntohs(in->sin_port);
  } else if (sa.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&sa);
    port = ntohs(in6->sin6_port);
    if (!IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
      std::string peer = absl::StrCat("[", text, "]:", port);
      in6_addr prefix = in6->sin6_addr;
      memset(&prefix.s6_addr[8], 0, 8);
      inet_ntop(AF_INET6, &prefix, text, sizeof(text));
      return {absl::StrCat(text, "/64"), std::move(peer)};
    }
    memcpy(&v4, &in6->sin6_addr.s6_addr[12], sizeof(v4));
  } else {
    return {"", ""};
  }
  inet_ntop(AF_INET, &v4, text, sizeof(text));
  return {text, absl::StrCat(text, ":", port)};
}

// The connection this thread serves, if a guard registered it: cpp-httplib
// serves a connection, handshake to close, on one thread.
struct Current {
  const ConnectionGuard* guard = nullptr;
  uint64_t id = 0;
};
thread_local Current current;

}  // namespace

struct ConnectionGuard::Hooks {
  // Which guard a connection belongs to, stored on its SSL.
  struct Marker {
    ConnectionGuard* guard;
    uint64_t id;
  };

  // ex_data indices, process-wide (OpenSSL hands them out once): a Marker*
  // on each registered SSL, freed with it; the guard on its SSL_CTX.
  struct Indices {
    int ssl = -1;
    int ctx = -1;
  };

  static const Indices& Get() {
    static const Indices indices = [] {
      Indices i;
      i.ssl = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &OnFree);
      i.ctx = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
      return i;
    }();
    return indices;
  }

  // At the start of the handshake, before the client's first byte is read;
  // a TLS 1.2 renegotiation starts again on a registered connection.
  static void OnInfo(const SSL* ssl, int where, int /*ret*/) {
    if ((where & SSL_CB_HANDSHAKE_START) == 0) return;
    auto* guard = static_cast<ConnectionGuard*>(
        SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), Get().ctx));
    if (guard == nullptr || SSL_get_ex_data(ssl, Get().ssl) != nullptr) {
      return;
    }
    // OpenSSL's callback type has a const SSL; the connection is ours to
    // tag.
    guard->Register(const_cast<SSL*>(ssl));
  }

  // Called for every SSL freed in the process (gRPC's too); ours carry a
  // Marker. cpp-httplib frees a connection's SSL before it closes the
  // socket.
  static void OnFree(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/,
                     int /*index*/, long /*argl*/, void* /*argp*/) {
    auto* marker = static_cast<Marker*>(ptr);
    if (marker == nullptr) return;
    if (current.guard == marker->guard && current.id == marker->id) {
      current = Current();
    }
    marker->guard->Unregister(marker->id);
    delete marker;
  }
};

ConnectionGuard::ConnectionGuard(const ConnectionLimits& limits,
                                 std::string setting)
    : limits_(limits),
      setting_(std::move(setting)),
      log_budget_(&SystemClock::Get(), /*per_second=*/1, absl::Minutes(1)) {}

absl::StatusOr<std::unique_ptr<ConnectionGuard>> ConnectionGuard::Attach(
    SSL_CTX* ctx, const ConnectionLimits& limits, std::string setting,
    metrics::Counter* timed_out, metrics::Counter* refused) {
  const Hooks::Indices& indices = Hooks::Get();
  if (indices.ssl < 0 || indices.ctx < 0) {
    return absl::InternalError(
        absl::StrCat(setting, ": OpenSSL gave no ex_data index"));
  }
  std::unique_ptr<ConnectionGuard> guard(
      new ConnectionGuard(limits, std::move(setting)));
  guard->ctx_ = ctx;
  if (timed_out != nullptr) guard->timed_out_ = timed_out;
  if (refused != nullptr) guard->refused_ = refused;
  SSL_CTX_set_ex_data(ctx, indices.ctx, guard.get());
  SSL_CTX_set_info_callback(ctx, &Hooks::OnInfo);
  guard->watchdog_ = std::thread([g = guard.get()] { g->Watch(); });
  return guard;
}

ConnectionGuard::~ConnectionGuard() {
  SSL_CTX_set_info_callback(ctx_, nullptr);
  SSL_CTX_set_ex_data(ctx_, Hooks::Get().ctx, nullptr);
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  watchdog_.join();
}

void ConnectionGuard::Register(SSL* ssl) {
  const int fd = SSL_get_fd(ssl);
  if (fd < 0) return;
  auto [client, peer] = PeerOf(fd);
  std::string refused_line;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    // An unknown peer (getpeername failed) is no client to count.
    auto counted =
        client.empty() ? per_client_.end() : per_client_.find(client);
    const size_t open = counted == per_client_.end() ? 0 : counted->second;
    const bool over = limits_.max_connections_per_client != 0 &&
                      open >= limits_.max_connections_per_client;
    bool tagged = false;
    uint64_t id = 0;
    if (!over && !closing_) {
      id = next_id_++;
      auto* marker = new Hooks::Marker{this, id};
      tagged = SSL_set_ex_data(ssl, Hooks::Get().ssl, marker) == 1;
      if (tagged) {
        entries_.emplace(
            id, Entry{fd, client, peer,
                      std::chrono::steady_clock::now() +
                          absl::ToChronoNanoseconds(limits_.request_timeout)});
        if (!client.empty()) ++per_client_[client];
        current = Current{this, id};
      } else {
        delete marker;  // untracked, it could not be cut off: refused
      }
    }
    if (!tagged) {
      // Its handshake's next read fails and cpp-httplib closes it.
      shutdown(fd, SHUT_RDWR);
      if (over) {
        refused_->Increment();
        refused_line =
            absl::StrCat("refused ", peer, ": ", open, " connections from ",
                         client, " already (http_connections_per_client)");
      }
    }
  }
  if (!refused_line.empty() && log_budget_.Admit()) {
    std::cerr << absl::StrCat("vigil-verifier: ", setting_, ": ", refused_line,
                              "\n");
  }
}

void ConnectionGuard::RequestServed() {
  if (current.guard != this) return;
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(current.id);
  if (it != entries_.end()) {
    it->second.deadline = std::chrono::steady_clock::now() +
                          absl::ToChronoNanoseconds(limits_.request_timeout);
  }
}

void ConnectionGuard::CloseAll() {
  absl::MutexLock lock(&mu_);
  closing_ = true;
  for (auto& [id, e] : entries_) {
    // Under the lock, as in Watch: `fd` is still this connection's.
    shutdown(e.fd, SHUT_RDWR);
    e.cut = true;
  }
}

void ConnectionGuard::Unregister(uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  auto client = per_client_.find(it->second.client);
  if (client != per_client_.end() && --client->second == 0) {
    per_client_.erase(client);
  }
  entries_.erase(it);
}

void ConnectionGuard::Watch() {
  while (true) {
    std::vector<std::string> cut;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_),
                           absl::Milliseconds(100));
      if (stopping_) return;
      const Deadline now = std::chrono::steady_clock::now();
      for (auto& [id, e] : entries_) {
        if (e.cut || e.deadline > now) continue;
        // Under the lock: the entry goes (OnFree) before cpp-httplib closes
        // the descriptor, so `fd` is still this connection's.
        shutdown(e.fd, SHUT_RDWR);
        e.cut = true;
        timed_out_->Increment();
        cut.push_back(e.peer);
      }
    }
    for (const std::string& peer : cut) {
      if (!log_budget_.Admit()) continue;
      std::cerr << absl::StrCat(
          "vigil-verifier: ", setting_, ": closed ", peer,
          ": no response within ",
          absl::FormatDuration(limits_.request_timeout),
          " (a slow or stalled client; http_request_timeout)\n");
    }
    if (std::optional<int64_t> n = log_budget_.TakeReport()) {
      std::cerr << absl::StrCat("vigil-verifier: ", setting_, ": ", *n,
                                " more connections closed or refused since "
                                "the last such line, not logged one by one\n");
    }
  }
}

int64_t ConnectionGuard::cut_off() const {
  return static_cast<int64_t>(timed_out_->Value());
}

int64_t ConnectionGuard::refused() const {
  return static_cast<int64_t>(refused_->Value());
}

}  // namespace vigil::service
