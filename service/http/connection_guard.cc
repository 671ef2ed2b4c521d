#include "service/http/connection_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <iostream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock.h"

namespace vigil::service {
namespace {

// The peer of `fd` as (address, address:port); empty when unknown.
std::pair<std::string, std::string> PeerOf(int fd) {
  sockaddr_storage sa{};
  socklen_t len = sizeof(sa);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    return {"", ""};
  }
  char text[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (sa.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&sa);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
    port = ntohs(v4->sin_port);
    return {text, absl::StrCat(text, ":", port)};
  }
  if (sa.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&sa);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
    port = ntohs(v6->sin6_port);
    return {text, absl::StrCat("[", text, "]:", port)};
  }
  return {"", ""};
}

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
    SSL_CTX* ctx, const ConnectionLimits& limits, std::string setting) {
  const Hooks::Indices& indices = Hooks::Get();
  if (indices.ssl < 0 || indices.ctx < 0) {
    return absl::InternalError(
        absl::StrCat(setting, ": OpenSSL gave no ex_data index"));
  }
  std::unique_ptr<ConnectionGuard> guard(
      new ConnectionGuard(limits, std::move(setting)));
  guard->ctx_ = ctx;
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
    size_t& open = per_client_[client];
    if (limits_.max_connections_per_client != 0 &&
        open >= limits_.max_connections_per_client) {
      ++refused_;
      // Its handshake's next read fails and cpp-httplib closes it.
      shutdown(fd, SHUT_RDWR);
      refused_line =
          absl::StrCat("refused ", peer, ": ", open, " connections from ",
                       client, " already (http_connections_per_client)");
    } else {
      ++open;
      const uint64_t id = next_id_++;
      entries_.emplace(
          id, Entry{fd, client, peer, absl::Now() + limits_.request_timeout});
      SSL_set_ex_data(ssl, Hooks::Get().ssl, new Hooks::Marker{this, id});
    }
  }
  if (!refused_line.empty() && log_budget_.Admit()) {
    std::cerr << absl::StrCat("vigil-verifier: ", setting_, ": ", refused_line,
                              "\n");
  }
}

void ConnectionGuard::RequestServed(const SSL* ssl) {
  if (ssl == nullptr) return;
  const auto* marker =
      static_cast<const Hooks::Marker*>(SSL_get_ex_data(ssl, Hooks::Get().ssl));
  if (marker == nullptr) return;
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(marker->id);
  if (it != entries_.end()) {
    it->second.deadline = absl::Now() + limits_.request_timeout;
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
      const absl::Time now = absl::Now();
      for (auto& [id, e] : entries_) {
        if (e.cut || e.deadline > now) continue;
        // Under the lock: the entry goes (OnFree) before cpp-httplib closes
        // the descriptor, so `fd` is still this connection's.
        shutdown(e.fd, SHUT_RDWR);
        e.cut = true;
        ++cut_off_;
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
  absl::MutexLock lock(&mu_);
  return cut_off_;
}

int64_t ConnectionGuard::refused() const {
  absl::MutexLock lock(&mu_);
  return refused_;
}

}  // namespace vigil::service
