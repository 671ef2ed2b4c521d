#include "service/grpc/server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_flow_control.h"
#include "common/posix_ids.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "service/grpc/request_validation.h"

namespace vigil::service {
namespace {

// common/grpc_flow_control.h spells gRPC's argument names without gRPC's
// headers; a misspelt name would be ignored by gRPC without a word.
static_assert(std::string_view(kAttestationFlowControl[0].name) ==
              GRPC_ARG_HTTP2_BDP_PROBE);
static_assert(std::string_view(kAttestationFlowControl[1].name) ==
              GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES);

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     absl::string_view what) {
  std::ifstream in(path);
  if (!in)
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", path, ": cannot read"));
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace

absl::Status CheckUnixSocketFree(const std::string& address) {
  if (!absl::StartsWith(address, "unix:")) return absl::OkStatus();
  const std::string path = address.substr(5);
  sockaddr_un sa{};
  if (path.empty() || path.size() >= sizeof(sa.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat(address, ": want unix:/path of at most ",
                     sizeof(sa.sun_path) - 1, " bytes"));
  }
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, path.data(), path.size());
  // Non-blocking: a server whose backlog is full (hung) must not hang our
  // start; EAGAIN then means someone holds the socket.
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return absl::OkStatus();  // gRPC's bind will report the cause
  const int rc =
      connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof(sa));
  const int err = errno;
  close(fd);
  if (rc != 0 && (err == ECONNREFUSED || err == ENOENT)) {
    return absl::OkStatus();  // nobody accepts: free, or a stale file
  }
  if (rc == 0 || err == EAGAIN || err == EINPROGRESS) {
    return absl::UnavailableError(
        absl::StrCat(path,
                     ": another process is serving on this socket (a second "
                     "vigil-verifier?)"));
  }
  return absl::UnavailableError(
      absl::StrCat(path, ": cannot tell whether the socket is in use (",
                   strerror(err), ")"));
}

absl::Status RestrictUnixSocket(const std::string& address,
                                const std::string& group) {
  if (!absl::StartsWith(address, "unix:")) return absl::OkStatus();
  const std::string path = address.substr(5);
  auto refused = [&](absl::string_view what, int err) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": cannot ", what, " (", strerror(err), ")"));
  };
  // Until here the socket has the mode the umask gave it: the verifier
  // runs with 0077 (main.cc) and a socket needs write permission to be
  // connected to, so nobody else could connect in between.
  if (!group.empty()) {
    absl::StatusOr<gid_t> gid = GroupId(group);
    if (!gid.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": ", gid.status().message()));
    }
    if (chown(path.c_str(), static_cast<uid_t>(-1), *gid) != 0) {
      const int err = errno;
      return refused(
          absl::StrCat("give the socket to group ", group,
                       err == EPERM
                           ? "; the verifier's user must be a member of it "
                             "(SupplementaryGroups=), or the socket's "
                             "directory set-group-ID and of that group"
                           : ""),
          err);
    }
  }
  if (chmod(path.c_str(), group.empty() ? 0600 : 0660) != 0) {
    return refused("set the socket's mode", errno);
  }
  return absl::OkStatus();
}

void RunningServer::Shutdown(absl::Duration grace) {
  if (service != nullptr) service->CloseAllStreams();
  if (server != nullptr) {
    server->Shutdown(std::chrono::system_clock::now() +
                     absl::ToChronoMilliseconds(grace));
    server->Wait();
  }
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerTlsCredentials(
    const std::string& cert_file, const std::string& key_file,
    const std::string& client_ca_file, bool require_client_certificate) {
  absl::StatusOr<std::string> cert = ReadFile(cert_file, "tls_cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile(key_file, "tls_key");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadFile(client_ca_file, "client CA");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request =
        require_client_certificate
            ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
            : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

void LimitTransport(grpc::ServerBuilder& builder,
                    const TransportLimits& limits) {
  // gRPC's channel arguments are ints; every limit here is at least 1 (a
  // zero or negative duration would otherwise read as "no limit").
  auto as_int = [](int64_t v) {
    return static_cast<int>(
        std::clamp<int64_t>(v, 1, std::numeric_limits<int>::max()));
  };
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             as_int(static_cast<int64_t>(std::min<size_t>(
                                 limits.max_streams_per_connection,
                                 std::numeric_limits<int>::max()))));
  builder.AddChannelArgument(
      GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
      as_int(absl::ToInt64Milliseconds(limits.handshake_timeout)));
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONNECTION_IDLE_MS,
      as_int(absl::ToInt64Milliseconds(limits.idle_connection_timeout)));
  if (limits.memory_bytes != 0) {
    // The builder takes its own reference to the quota.
    grpc::ResourceQuota quota("vigil-transport");
    quota.Resize(limits.memory_bytes);
    builder.SetResourceQuota(quota);
  }
}

absl::StatusOr<RunningServer> StartServer(Verifier* verifier,
                                          const ListenerOptions& listener,
                                          const ServiceOptions& options) {
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (listener.insecure) {
    creds = grpc::InsecureServerCredentials();
  } else {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> tls =
        ServerTlsCredentials(listener.tls_cert_file, listener.tls_key_file,
                             listener.tls_client_ca_file,
                             /*require_client_certificate=*/true);
    if (!tls.ok()) return tls.status();
    creds = *std::move(tls);
  }
  if (absl::Status s = CheckUnixSocketFree(listener.address); !s.ok()) {
    return s;
  }
  RunningServer out;
  out.service = std::make_unique<AttestationServiceImpl>(verifier, options);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listener.address, creds, &port);
  // gRPC sets SO_REUSEPORT by default: a second verifier on the same port
  // would start and the kernel would split agents between the two (other
  // nonce and signing keys). A port in use must be a start-up error.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(out.service.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(kMaxMessageBytes));
  builder.SetMaxSendMessageSize(static_cast<int>(kMaxMessageBytes));
  // Agents ping every few minutes (agent keepalive); allow it without
  // calls in flight, but not more often than every 30 s.
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 30000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // The server pings idle connections so half-open TCP (a machine that
  // vanished) is detected and its stream freed.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 5 * 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  // A fixed window instead of gRPC's probe: fewer WINDOW_UPDATE-only writes
  // (common/grpc_flow_control.h says why and what it costs).
  for (const GrpcIntArgument& a : kAttestationFlowControl) {
    builder.AddChannelArgument(a.name, a.value);
  }
  // Over TLS, every connection holds a write buffer as large as the
  // largest record it may frame (gRPC's TSI frame protector: 16 KiB by
  // default) for as long as it is connected. What the verifier sends an
  // agent in a round is well under 4 KiB (a larger answer, a token with
  // big issued claims, goes out in several records): ~10 KiB less per
  // connected agent, no measurable change in throughput
  // (docs/PERFORMANCE.md, 2026-11-24 23:00). Unused without TLS (a front,
  // a unix socket).
  builder.AddChannelArgument(GRPC_ARG_TSI_MAX_FRAME_SIZE, 4096);
  LimitTransport(builder, options.transport);
  out.server = builder.BuildAndStart();
  if (out.server == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", listener.address));
  }
  if (absl::StartsWith(listener.address, "unix:")) {
    if (absl::Status s =
            RestrictUnixSocket(listener.address, listener.unix_socket_group);
        !s.ok()) {
      out.Shutdown(absl::ZeroDuration());
      return s;
    }
    out.address = listener.address;
  } else {
    const size_t colon = listener.address.rfind(':');
    out.address = absl::StrCat(listener.address.substr(0, colon), ":", port);
  }
  return out;
}

}  // namespace vigil::service
