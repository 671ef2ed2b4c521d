// vigil-agent: the device daemon. Thin by design (style.md rule 25): read the
// configuration, open the privileged resources, drop privileges, run the
// state machine. Exit codes (sysexits.h; agent/README.md):
//   0   stopped by SIGTERM/SIGINT; --once: attestation permitted
//   1   --once: attestation denied
//   64  EX_USAGE       bad command line
//   69  EX_UNAVAILABLE the TPM or the event log cannot be opened
//   75  EX_TEMPFAIL    --once: the verifier could not be reached or failed
//   77  EX_NOPERM      dropping privileges failed
//   78  EX_CONFIG      configuration file (or a file it names) is invalid
#include <pthread.h>
#include <signal.h>
#include <sysexits.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/client/verifier_client.h"
#include "agent/collect/evidence_collector.h"
#include "agent/daemon/agent_config.h"
#include "agent/daemon/log.h"
#include "agent/daemon/notifier.h"
#include "agent/daemon/privileged_resources.h"
#include "agent/daemon/state_machine.h"
#include "common/mutex_mode.h"

namespace vigil::agent {
namespace {

constexpr char kUsage[] =
    "usage: vigil-agent [--config FILE] [--once]\n"
    "  --config FILE  configuration (default /etc/vigil/agent.conf)\n"
    "  --once         enrol and attest once, print the result; exit 0 when\n"
    "                 permitted, 1 when denied\n";

int Fatal(int code, absl::string_view message) {
  LogError(message);
  return code;
}

std::string Hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

void PrintResult(const v1::AttestationResult& r, const AgentConfig& config) {
  std::cout << "permitted: " << (r.permitted() ? "true" : "false") << "\n"
            << "device_id: " << r.device_id() << "\n"
            << "attestation_id: " << r.attestation_id() << "\n";
  if (r.permitted()) {
    std::cout << "expires_at: " << r.expires_at() << "\n"
              << "token_file: " << config.token_file << "\n";
  }
  // A permitted result's reasons are warnings (AttestationResult.reasons),
  // e.g. Windows-only claims a Linux boot log cannot give: "note", so that
  // nobody reads a passing device's output as a failure.
  const char* label = r.permitted() ? "note: " : "reason: ";
  for (const v1::Reason& reason : r.reasons()) {
    std::cout << label << reason.stage() << "/" << reason.code() << ": "
              << reason.message() << "\n";
  }
}

int Main(int argc, char** argv) {
  DisableMutexDeadlockDetection();
  // Block the stop signals in every thread (gRPC starts threads); one
  // thread receives them with sigwait. SIGUSR1 only wakes that thread at
  // exit.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A TPM reached over a socket (tcti swtpm: or mssim:, as in the demo)
  // that dies mid-command must be an EPIPE the device layer turns into a
  // retryable error and the state machine into backoff — not a SIGPIPE
  // that kills the agent. tpm2-tss writes with write(), not MSG_NOSIGNAL.
  signal(SIGPIPE, SIG_IGN);

  std::string config_path = "/etc/vigil/agent.conf";
  bool once = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      config_path = arg.substr(9);
    } else if (arg == "--once") {
      once = true;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "vigil-agent: unknown argument \"" << arg << "\"\n"
                << kUsage;
      return EX_USAGE;
    }
  }

  absl::StatusOr<AgentConfig> config = LoadAgentConfig(config_path);
  if (!config.ok()) return Fatal(EX_CONFIG, config.status().message());
  absl::StatusOr<TlsFiles> tls = ReadTlsFiles(*config);
  if (!tls.ok()) {
    return Fatal(EX_CONFIG,
                 absl::StrCat(config_path, ": ", tls.status().message()));
  }
  absl::StatusOr<std::unique_ptr<EventLogSource>> log = OpenEventLog(*config);
  if (!log.ok()) return Fatal(EX_UNAVAILABLE, log.status().message());
  absl::StatusOr<tpm::EsysContext> tpm = OpenTpm(*config);
  if (!tpm.ok()) {
    return Fatal(EX_UNAVAILABLE, absl::StrCat("tpm ", config->tcti, ": ",
                                              tpm.status().message()));
  }
  absl::StatusOr<DropOutcome> dropped =
      DropPrivileges(config->user, config->group);
  if (!dropped.ok()) return Fatal(EX_NOPERM, dropped.status().message());

  VerifierClientOptions client_options;
  client_options.target = config->verifier;
  client_options.insecure = config->insecure;
  client_options.ca_bundle_pem = tls->ca_bundle_pem;
  client_options.client_cert_pem = tls->client_cert_pem;
  client_options.client_key_pem = tls->client_key_pem;
  client_options.keepalive_time = config->keepalive;
  // Connecting (TCP + TLS handshake) is one step of the dialogue too.
  client_options.connect_timeout =
      std::min(client_options.connect_timeout, config->step_timeout);
  absl::StatusOr<std::unique_ptr<VerifierClient>> client =
      VerifierClient::Create(client_options);
  if (!client.ok()) {
    return Fatal(EX_CONFIG,
                 absl::StrCat(config_path, ": ", client.status().message()));
  }

  CollectorOptions collector_options;
  collector_options.ek_kind = config->ek;
  collector_options.ak_handle = config->ak_handle;
  collector_options.ak_alg = config->ak_alg;
  collector_options.agent_version = "vigil-agent 0.1.0";
  collector_options.hostname = Hostname();
  const AgentConfig& cfg = *config;
  EvidenceCollector collector(
      *std::move(tpm), [&cfg] { return OpenTpm(cfg); }, log->get(),
      collector_options);

  StateMachineOptions options;
  options.interval = config->interval;
  options.step_timeout = config->step_timeout;
  options.backoff = {config->backoff_min, config->backoff_max, 2.0};
  options.token_file = config->token_file;
  options.once = once;
  SystemdNotifier systemd;
  NullNotifier null_notifier;
  if (!once) options.watchdog = SystemdNotifier::WatchdogPeriod();
  StateMachine machine(**client, collector,
                       once ? static_cast<Notifier&>(null_notifier) : systemd,
                       SystemClock::Get(), SystemUniformRandom(), options);

  std::thread signal_thread([&machine, signals] {
    int sig = 0;
    if (sigwait(&signals, &sig) == 0 && sig != SIGUSR1) {
      LogInfo(absl::StrCat("signal ", sig, ": stopping"));
      machine.RequestStop();
    }
  });
  absl::StatusOr<std::optional<v1::AttestationResult>> result = machine.Run();
  pthread_kill(signal_thread.native_handle(), SIGUSR1);
  signal_thread.join();

  if (!result.ok()) return Fatal(EX_TEMPFAIL, result.status().ToString());
  if (once && result->has_value()) {
    PrintResult(**result, cfg);
    return (*result)->permitted() ? 0 : 1;
  }
  LogInfo("stopped");
  return 0;
}

}  // namespace
}  // namespace vigil::agent

int main(int argc, char** argv) { return vigil::agent::Main(argc, argv); }
