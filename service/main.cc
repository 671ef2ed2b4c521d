// vigil-verifier: the attestation verifier daemon (issue #5 §2).
//
//   vigil-verifier --config /etc/vigil/verifier.conf
//
// Start-up is all or nothing: the configuration is validated, every file it
// names is loaded and every policy compiled before anything listens; then
// the gRPC and HTTPS listeners start and systemd hears READY=1. SIGHUP
// reloads the policies (a policy that does not compile leaves the old ones
// in force and is logged with FILE:LINE:COL). SIGTERM/SIGINT close agent
// streams with UNAVAILABLE (agents reconnect elsewhere) and exit 0.
//
// Exit codes (sysexits.h; systemd/vigil-verifier.service lists 64 and 78 in
// RestartPreventExitStatus=):
//   0   clean shutdown
//   64  EX_USAGE     bad command line
//   69  EX_UNAVAILABLE  a listener could not be bound
//   78  EX_CONFIG    bad configuration or a file it names
#include <signal.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <systemd/sd-daemon.h>

#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/mutex_mode.h"
#include "service/config/server_config.h"
#include "service/grpc/control_plane.h"
#include "service/grpc/server.h"
#include "service/http/metrics_endpoint.h"
#include "service/http/relying_party_endpoint.h"
#include "service/verifier/verifier.h"

namespace {

constexpr char kUsage[] =
    "usage: vigil-verifier --config FILE\n"
    "  Serves vigil.v1.AttestationService (gRPC) and, with http_listen, the\n"
    "  relying-party endpoint (OpenID metadata, JWKS, health).\n"
    "  See docs/VERIFIER.md for the configuration keys.\n";

void Fail(absl::string_view what) {
  std::cerr << "vigil-verifier: " << what << "\n";
}

// Reports a start-up failure; the exit code: EX_UNAVAILABLE when a
// listener or the store could not be reached, EX_CONFIG otherwise.
int FailStart(const absl::Status& s, absl::string_view prefix = "") {
  Fail(absl::StrCat(prefix, s.message()));
  return s.code() == absl::StatusCode::kUnavailable ? EX_UNAVAILABLE
                                                    : EX_CONFIG;
}

}  // namespace

int main(int argc, char** argv) {
  vigil::DisableMutexDeadlockDetection();
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "vigil-verifier: unknown argument \"" << a << "\"\n"
                << kUsage;
      return EX_USAGE;
    }
  }
  if (config_path.empty()) {
    std::cerr << kUsage;
    return EX_USAGE;
  }
  // Signals are taken synchronously by the main thread (sigwait), so block
  // them before any thread starts; every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<vigil::service::ServerConfig> config =
      vigil::service::LoadServerConfig(config_path);
  if (!config.ok()) {
    Fail(config.status().message());
    return EX_CONFIG;
  }
  // Files the verifier creates (the store, the admin socket) are its own.
  umask(0077);
  std::unique_ptr<vigil::service::ControlPlane> control;
  if (!config->control.store.empty()) {
    absl::StatusOr<std::unique_ptr<vigil::service::ControlPlane>> cp =
        vigil::service::ControlPlane::Open(config->control,
                                           vigil::SystemClock::Get());
    if (!cp.ok()) {
      return FailStart(cp.status());
    }
    control = *std::move(cp);
    config->verifier.device_registry = control->registry();
  }
  absl::StatusOr<std::unique_ptr<vigil::service::Verifier>> verifier =
      vigil::service::Verifier::Create(config->verifier,
                                       &vigil::SystemClock::Get());
  if (!verifier.ok()) {
    Fail(absl::StrCat(config_path, ": ", verifier.status().message()));
    return EX_CONFIG;
  }
  // Whatever return follows, the control plane's threads (which use the
  // verifier's policies, key ring and metrics) stop before the verifier is
  // destroyed: `control` was declared first, so it would outlive it.
  absl::Cleanup stop_control = [&control] {
    if (control != nullptr) control->Shutdown();
  };
  if (control != nullptr) {
    if (absl::Status s =
            control->Start(verifier->get(), config->tls_cert, config->tls_key);
        !s.ok()) {
      return FailStart(s, absl::StrCat(config_path, ": control plane: "));
    }
  }
  std::unique_ptr<vigil::service::RelyingPartyEndpoint> http;
  if (!config->http_listen.empty()) {
    // The REST mirror of the admin API rides on the HTTPS endpoint.
    vigil::service::AdminApi admin_api;
    if (control != nullptr) {
      admin_api.manager = control->manager();
      admin_api.authenticator = control->authenticator();
    }
    absl::StatusOr<std::unique_ptr<vigil::service::RelyingPartyEndpoint>> ep =
        vigil::service::RelyingPartyEndpoint::Start(
            verifier->get(), config->http_listen, config->tls_cert,
            config->tls_key, config->insecure, admin_api,
            config->control.admin_client_ca, config->http_limits);
    if (!ep.ok()) {
      return FailStart(ep.status());
    }
    http = *std::move(ep);
  }
  std::unique_ptr<vigil::service::HttpListener> metrics;
  if (!config->metrics_listen.empty()) {
    vigil::service::HttpListenerOptions mo;
    mo.setting = "metrics_listen";
    mo.address = config->metrics_listen;
    mo.tls_cert_file = config->tls_cert;
    mo.tls_key_file = config->tls_key;
    mo.insecure = config->insecure;
    mo.client_ca_file = config->metrics_client_ca;
    mo.client_ca_setting = "metrics_client_ca";
    mo.require_client_certificate = !config->metrics_client_ca.empty();
    mo.limits = config->http_limits;
    mo.closed_connections = &(*verifier)->metrics().http_connections_closed();
    if (config->metrics_client_ca.empty() &&
        !vigil::service::IsLoopbackAddress(config->metrics_listen)) {
      std::cerr << "vigil-verifier: warning: metrics_listen "
                << config->metrics_listen
                << " serves anyone who reaches it (set metrics_client_ca, or "
                   "restrict the port to the monitoring network)\n";
    }
    absl::StatusOr<std::unique_ptr<vigil::service::HttpListener>> ep =
        vigil::service::StartMetricsEndpoint(&(*verifier)->metrics().registry(),
                                             std::move(mo));
    if (!ep.ok()) {
      return FailStart(ep.status());
    }
    metrics = *std::move(ep);
  }
  vigil::service::ListenerOptions listener;
  listener.address = config->listen;
  listener.tls_cert_file = config->tls_cert;
  listener.tls_key_file = config->tls_key;
  listener.tls_client_ca_file = config->tls_client_ca;
  listener.unix_socket_group = config->listen_socket_group;
  // listen_tls = front: the agents' TLS ends at the front on this host.
  listener.insecure = config->insecure || config->listen_behind_front;
  absl::StatusOr<vigil::service::RunningServer> server =
      vigil::service::StartServer(verifier->get(), listener, config->service);
  if (!server.ok()) {
    return FailStart(server.status());
  }
  if (http != nullptr) http->SetReady(true);
  // The lines tests and operators read: where we listen, with chosen ports.
  std::cout << "vigil-verifier: listening on " << server->address
            << (config->insecure ? " (plaintext, loopback)"
                : config->listen_behind_front
                    ? " (plaintext, loopback, behind a TLS front)"
                    : " (TLS)")
            << "\n";
  // listen_tls = front: who else reaches the plaintext listener.
  if (config->listen_behind_front) {
    if (!absl::StartsWith(config->listen, "unix:")) {
      std::cerr << "vigil-verifier: warning: listen " << config->listen
                << " (listen_tls = front) is a loopback port any local user "
                   "can reach without a certificate; a unix socket with "
                   "listen_socket_group keeps it to the front "
                   "(docs/VERIFIER.md, \"Large fleets\")\n";
    } else if (config->listen_socket_group.empty()) {
      std::cerr << "vigil-verifier: warning: listen " << config->listen
                << " (listen_tls = front) is mode 0600: only this user and "
                   "root can connect; set listen_socket_group to the "
                   "front's group\n";
    }
  }
  if (http != nullptr)
    std::cout << "vigil-verifier: relying parties: " << http->url() << "\n";
  if (metrics != nullptr) {
    std::cout << "vigil-verifier: metrics: " << metrics->url() << "/metrics\n";
  }
  if (control != nullptr) {
    std::cout << "vigil-verifier: control plane ("
              << vigil::service::admin::ModeName(config->control.mode)
              << " mode): " << control->admin_address() << "\n";
  }
  std::cout << std::flush;
  sd_notifyf(0, "READY=1\nSTATUS=serving on %s", server->address.c_str());

  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      sd_notify(0, "RELOADING=1");
      absl::Status s = (*verifier)->ReloadPolicies();
      if (s.ok()) {
        std::cerr << "vigil-verifier: policies reloaded (generation "
                  << (*verifier)->policies().generation() << ")\n";
      } else {
        Fail(absl::StrCat("reload failed, the policies in force stay:\n",
                          s.message()));
      }
      if (!config->verifier.signing_key_file.empty()) {
        absl::StatusOr<bool> rotated = (*verifier)->ReloadSigningKey();
        if (!rotated.ok()) {
          Fail(
              absl::StrCat("signing key not reloaded, the key in force stays: ",
                           rotated.status().message()));
        } else if (*rotated) {
          std::cerr << "vigil-verifier: signing key rotated to kid "
                    << (*verifier)->key_ring().current_kid()
                    << " (the previous key stays in the JWKS until its tokens "
                       "expire)\n";
        }
      }
      sd_notify(0, "READY=1");
      continue;
    }
    std::cerr << "vigil-verifier: " << strsignal(sig) << ": shutting down\n";
    sd_notify(0, "STOPPING=1");
    if (http != nullptr) http->SetReady(false);
    server->Shutdown(absl::Seconds(5));
    if (control != nullptr) control->Shutdown();
    return 0;
  }
}
