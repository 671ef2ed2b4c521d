// vigil-loadgen: issue #5 §6. Simulates many agents with software-held AKs
// (no swtpm in the hot path) over real gRPC Connect streams and measures
// attestations/s, latency, verifier memory per connected stream and, in the
// same run, the crypto floor (one quote verification + one token signature).
//
// The verifier is the daemon's own code (Verifier::Create + StartServer,
// default policy, ES256 tokens) on a unix socket, or with --transport tls
// on 127.0.0.1 with mutual TLS and one connection per agent (as a fleet
// reaches a daemon configured as systemd/ shows). By default it runs in a
// forked child so its RSS is measured apart from the load generator's;
// --same-process runs it in this process (RSS then includes the client side
// of every stream); --target ADDR drives an external verifier (which must
// already know the devices: see Usage()).
//
// The simulated devices are registered directly in the verifier's registry
// (enrolment by credential activation needs a TPM): the benchmark measures
// attestation, not enrolment. Each device has its own P-256 AK and a
// software RSA "EK" public area (a random modulus: the verifier only hashes
// it into the device id and never encrypts to it during attestation), and is
// registered as if its EK had chained to the trust bundle (aik_validated),
// which the default policy requires.
//
// Every attestation is the full dialogue: the agent sends AttestationWanted,
// the verifier answers with a fresh nonce (AttestationRequest), the agent
// quotes the PCR values of a real recorded boot over it with its AK and sends
// them with the boot's event log, the verifier checks everything (nonce,
// quote, TPM clock, log replay, claims, policy) and returns a signed token.
// Latency is measured from AttestationWanted sent to AttestationResult
// received (so it includes the nonce round trip and the agent's signature).
//
// Last, the same agents drive a transport echo (transport_echo.h: canned
// answers of the verifier's sizes, nothing checked) in a third process for
// a saturation phase of the same length: what gRPC alone costs per round on
// this machine, so the report can split the verifier's CPU per attestation
// into the transport's share and the verifier's own work.
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/allocator.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "common/grpc_flow_control.h"
#include "common/mutex_mode.h"
#include "common/testing/loopback_port.h"
#include "eventlog/claims.h"
#include "eventlog/event_types.h"
#include "eventlog/maa_json.h"
#include "eventlog/parser.h"
#include "eventlog/replay.h"
#include "eventlog/testing/log_builder.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"
#include "service/grpc/arena_message.h"
#include "service/grpc/control_plane.h"
#include "service/grpc/server.h"
#include "service/grpc/service_options.h"
#include "service/token/raw_jwt.h"
#include "service/verifier/ek_trust.h"
#include "service/verifier/verifier.h"
#include "tools/loadgen/haproxy_front.h"
#include "tools/loadgen/stall_probe.h"
#include "tools/loadgen/transport_echo.h"
#include "tpm/verify/quote_verifier.h"
#include "tpm/verify/testing/software_ak.h"
#include "vigil/v1/attestation_service.grpc.pb.h"

namespace vigil::loadgen {
namespace {

// The load generator's own messages. In --same-process mode fd 2 carries
// the verifier's per-attestation log (sent to --verifier-log), so these go
// to a saved copy of the original stderr.
int g_err_fd = 2;
bool g_progress = false;    // --progress: completions per second on stderr
bool g_resend_log = false;  // --resend-log
bool g_ima = false;         // --ima
// The length of the last token the verifier issued: the transport echo
// answers with one as long.
std::atomic<size_t> g_token_bytes{0};
// --front haproxy: the HAProxy process in front of the verifier (its CPU is
// read beside the verifier's in every window), or -1.
int g_front_pid = -1;
// Evidence messages sent with the whole log, and with only its digest (the
// verifier named the log as held).
std::atomic<uint64_t> g_logs_sent{0};
std::atomic<uint64_t> g_logs_named{0};
// Requests with reason "log-needed": the verifier needed the log of a
// round whose evidence named it, and asked again (that round's evidence is
// counted twice above: named, then sent).
std::atomic<uint64_t> g_logs_asked{0};

// The counts at one moment. Of the rounds since `start` (evidence messages
// less the asked-again ones), SentPercentSince: the percentage that sent
// the whole log; AskedPercentSince: that were asked again for it.
struct LogRounds {
  uint64_t sent = g_logs_sent.load();
  uint64_t named = g_logs_named.load();
  uint64_t asked = g_logs_asked.load();
  double SentPercentSince(const LogRounds& start) const {
    return Percent(sent - start.sent, start);
  }
  double AskedPercentSince(const LogRounds& start) const {
    return Percent(asked - start.asked, start);
  }

 private:
  double Percent(uint64_t count, const LogRounds& start) const {
    const uint64_t rounds =
        sent - start.sent + named - start.named - (asked - start.asked);
    return rounds == 0 ? 0.0
                       : 100.0 * static_cast<double>(count) /
                             static_cast<double>(rounds);
  }
};

void Say(absl::string_view line) {
  const std::string s = absl::StrCat("vigil-loadgen: ", line, "\n");
  (void)!write(g_err_fd, s.data(), s.size());
}

// ---------------------------------------------------------------------------
// Options

struct Options {
  int streams = 1000;
  double duration_s = 10;
  // The latency phase offers this many attestations/s; 0: this fraction of
  // the throughput the saturation phase measured.
  double paced_rate = 0;
  double paced_fraction = 0.5;
  // 0: one per 1,250 streams (at least 1, at most 16) over the unix
  // socket; one per stream with --transport tls (each agent its own
  // connection, as a fleet connects). At most one per stream.
  int channels = 0;
  // --transport tls: the verifier listens on 127.0.0.1 with TLS and
  // requires client certificates (mutual TLS, the daemon's agent listener);
  // default: a unix socket without TLS.
  bool tls = false;
  // --front haproxy: agents' TLS ends at an HAProxy this binary starts,
  // which multiplexes their streams to the verifier over HTTP/2 on
  // loopback without TLS (FrontProcess).
  bool front = false;
  // --front-hop unix: HAProxy reaches the verifier on a unix socket
  // (listen_socket_group's shape) instead of a loopback port.
  bool front_unix_hop = false;
  std::string target;
  bool same_process = false;
  int server_pid = 0;  // with --target: whose RSS to read
  std::string log_path;
  std::string json_path;
  std::string trace_path;  // --trace: the paced phase, one line each
  std::string verifier_log = "/dev/null";
  double floor_seconds = 2;
  // Saturation phase: how long before the window opens; 0: 3 s, or 1 s per
  // 1,000 streams if more (every stream starts a round at once, and the
  // verifier takes several seconds to absorb 10,000 evidence messages).
  double warmup_s = 0;
  double connect_timeout_s = 120;
  // Every round carries the whole event log, even when the verifier names
  // it as known (agents before known_event_log_sha256 did): the baseline.
  bool resend_log = false;
  // --ima: PCR 10 moves every round, as IMA extends it between quotes (the
  // boot log has no event for it), and every quote covers it.
  bool ima = false;
  // After the verifier's phases, the same agents drive the transport echo
  // (tools/loadgen/transport_echo.h) in a saturation phase of the same
  // length: gRPC's own cost per round, measured in the same run.
  bool transport_baseline = true;
  // The verifier's worker pool (ServiceOptions::worker_threads, the
  // daemon's `workers`); 0: the daemon's default (DefaultWorkerThreads:
  // two per core, eight per core with --store).
  int worker_threads = 0;
  // --store: the verifier keeps devices, TPM clocks and attestation records
  // in a store, as vigil-verifier does with `store = ...` (ControlPlane):
  // "sqlite" (a SQLite file in a fresh directory) or "postgres:CONNINFO" (a
  // database the caller provides; the run's devices are added to it);
  // empty: in memory.
  std::string store;
  // --policy: the Tpm policy the verifier runs (a file, as the daemon's
  // `policy` key); empty: the built-in default.
  std::string policy_path;
  // --distinct-logs: each device's log is the base log plus one event of
  // its own (a fleet: no two machines' logs are byte-identical); default:
  // every device sends the same log, which the verifier holds once.
  bool distinct_logs = false;
  // --event-log-cache-mb: the verifier's event_log_cache_mb; -1: the
  // daemon's default.
  int64_t event_log_cache_mb = -1;
};

// The store as reports name it: never the connection string (it may hold
// a password).
std::string StoreKind(const std::string& store) {
  if (store.empty()) return "in memory";
  return absl::StartsWith(store, "postgres:") ? "postgres" : store;
}

void Usage() {
  std::cerr <<
      R"(usage: vigil-loadgen [--streams N] [--duration SECONDS] [--json FILE]
                     [--paced-rate ATT_PER_S | --paced-fraction F]
                     [--channels N] [--log EVENTLOG] [--verifier-log FILE]
                     [--floor-seconds S] [--warmup S] [--same-process]
                     [--target ADDR [--server-pid PID]] [--resend-log]
                     [--no-transport-baseline] [--worker-threads N]
                     [--store sqlite | --store postgres:CONNINFO]
                     [--trace FILE] [--transport unix|tls] [--policy FILE]
                     [--distinct-logs] [--event-log-cache-mb MIB] [--ima]
                     [--front haproxy [--front-hop tcp|unix]]

Starts the verifier (Verifier + StartServer, default policy, ES256 tokens) in
a forked child on a unix socket, registers N simulated devices in its
registry, opens N Connect streams multiplexed over a few HTTP/2 connections
and measures: verifier RSS per idle enrolled stream; attestations/s with every
stream re-attesting back to back (saturation); p50/p99 latency at a paced
rate; the single-threaded crypto floor times the core count.

--same-process  run the verifier in this process (RSS then includes the
                client side of each stream).
--target ADDR   drive an external verifier. It cannot pre-register the
                simulated devices (only the in-process registry can be
                reached), so this only works against a verifier that already
                knows them; vigil-verifier's in-memory registry does not, so
                use the default mode to benchmark it. --server-pid reads that
                process's RSS.
--resend-log    send the event log in every round even when the verifier
                says it holds it (as agents did before
                known_event_log_sha256): the baseline for the log cache.
--no-transport-baseline
                skip the last phase: the same agents against a gRPC service
                that answers with canned messages of the verifier's sizes and
                verifies nothing (what the transport alone costs per round;
                only with the verifier in a child process).
--worker-threads N
                the verifier's worker pool (the daemon's `workers`;
                default 0: as the daemon, two per core, eight per
                core with --store).
--store sqlite  run the verifier as vigil-verifier runs with a store: its
                control plane on a SQLite database in a fresh directory
                under /tmp (devices, TPM clocks, attestation records and
                audit in the store); default: the in-memory registry only.
--store postgres:CONNINFO
                the same on PostgreSQL: libpq's connection string (e.g.
                "host=/run/postgresql dbname=vigil_bench"); keep a password
                out of it (the command line is visible to every user):
                passfile= or PGPASSFILE. An empty database or an earlier
                run's: each run enrols devices with fresh AKs (new device
                ids) and leaves them there.
--transport tls the verifier (and the transport echo) listen on 127.0.0.1
                with TLS and require a client certificate, as the daemon's
                agent listener does (a CA, server and client certificates
                made for the run), and each agent has its own connection
                unless --channels says otherwise; default: unix, a unix
                socket without TLS, streams multiplexed.
--front haproxy with --transport tls: each agent's mutual TLS ends at an
                HAProxy (haproxy from PATH; Debian's haproxy package) that
                this binary starts on 127.0.0.1 and that multiplexes the
                agents' streams to the verifier over HTTP/2 on loopback
                without TLS (at most 100 streams per connection, the
                daemon's default), configured as
                systemd/haproxy-vigil-agents.cfg.example with this run's
                addresses and files; reports HAProxy's memory per agent
                and CPU per attestation beside the verifier's. No
                transport baseline.
--front-hop tcp|unix  with --front: how HAProxy reaches the verifier, a
                loopback port (default) or a unix socket (as with the
                daemon's listen_socket_group).
--policy FILE   the Tpm policy the verifier runs (Azure's policy language,
                as the daemon's `policy` key), e.g. Microsoft's TPM sample
                policy, which reads the `events` claim; default: the
                built-in default policy (permits; reads no claim).
--distinct-logs each device's event log is the base log plus one EV_IPL
                event of its own in PCR 9 (and its quote says so), as in a
                fleet, where no two machines' logs are byte-identical;
                default: every device sends the same log, which the
                verifier holds once.
--ima           PCR 10 takes a new value every round, as IMA extends it
                between quotes on a Linux machine (the boot log has no event
                for it), and every quote covers it (the default policy
                requires every PCR)
--event-log-cache-mb MIB
                the verifier's event_log_cache_mb (default 128): memory for
                the logs it holds between rounds.
--trace FILE    write the paced phase's attestations (start and latency,
                ms) and the stall probe's stalls to FILE, to see what the
                tail lines up with (docs/PERFORMANCE.md).
)";
}

bool ParseOptions(int argc, char** argv, Options& o) {
  bool front_hop_set = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::cerr << "vigil-loadgen: " << name << " needs a value\n";
        return nullptr;
      }
      return argv[++i];
    };
    auto number = [&](const char* name, double& out) {
      const char* v = value(name);
      if (v == nullptr || !absl::SimpleAtod(v, &out) || out < 0) {
        std::cerr << "vigil-loadgen: " << name << ": not a number\n";
        return false;
      }
      return true;
    };
    double d = 0;
    if (a == "--streams") {
      if (!number("--streams", d) || d < 1) return false;
      o.streams = static_cast<int>(d);
    } else if (a == "--duration") {
      if (!number("--duration", o.duration_s)) return false;
    } else if (a == "--paced-rate") {
      if (!number("--paced-rate", o.paced_rate)) return false;
    } else if (a == "--paced-fraction") {
      if (!number("--paced-fraction", o.paced_fraction)) return false;
    } else if (a == "--channels") {
      if (!number("--channels", d)) return false;
      o.channels = static_cast<int>(d);
    } else if (a == "--warmup") {
      if (!number("--warmup", o.warmup_s)) return false;
    } else if (a == "--floor-seconds") {
      if (!number("--floor-seconds", o.floor_seconds)) return false;
    } else if (a == "--server-pid") {
      if (!number("--server-pid", d)) return false;
      o.server_pid = static_cast<int>(d);
    } else if (a == "--target" || a == "--log" || a == "--json" ||
               a == "--verifier-log" || a == "--trace" || a == "--policy") {
      const char* v = value(a.c_str());
      if (v == nullptr) return false;
      (a == "--target"   ? o.target
       : a == "--log"    ? o.log_path
       : a == "--json"   ? o.json_path
       : a == "--trace"  ? o.trace_path
       : a == "--policy" ? o.policy_path
                         : o.verifier_log) = v;
    } else if (a == "--progress") {
      g_progress = true;
    } else if (a == "--same-process") {
      o.same_process = true;
    } else if (a == "--resend-log") {
      o.resend_log = true;
    } else if (a == "--distinct-logs") {
      o.distinct_logs = true;
    } else if (a == "--ima") {
      o.ima = true;
    } else if (a == "--event-log-cache-mb") {
      // As the daemon's key: whole MiB, 0 to 2^20.
      const char* v = value("--event-log-cache-mb");
      if (v == nullptr || !absl::SimpleAtoi(v, &o.event_log_cache_mb) ||
          o.event_log_cache_mb < 0 || o.event_log_cache_mb > (1 << 20)) {
        std::cerr << "vigil-loadgen: --event-log-cache-mb: want an integer "
                     "from 0 to 1048576\n";
        return false;
      }
    } else if (a == "--worker-threads") {
      if (!number("--worker-threads", d)) return false;
      o.worker_threads = static_cast<int>(d);
    } else if (a == "--store") {
      const char* v = value("--store");
      if (v == nullptr) return false;
      if (std::string(v) != "sqlite" && !absl::StartsWith(v, "postgres:")) {
        std::cerr << "vigil-loadgen: --store: sqlite or postgres:CONNINFO\n";
        return false;
      }
      o.store = v;
    } else if (a == "--transport") {
      const char* v = value("--transport");
      if (v == nullptr) return false;
      if (std::string(v) != "unix" && std::string(v) != "tls") {
        std::cerr << "vigil-loadgen: --transport: unix or tls\n";
        return false;
      }
      o.tls = std::string(v) == "tls";
    } else if (a == "--no-transport-baseline") {
      o.transport_baseline = false;
    } else if (a == "--front") {
      const char* v = value("--front");
      if (v == nullptr) return false;
      if (std::string(v) != "haproxy") {
        std::cerr << "vigil-loadgen: --front: haproxy is the only front\n";
        return false;
      }
      o.front = true;
    } else if (a == "--front-hop") {
      const char* v = value("--front-hop");
      if (v == nullptr) return false;
      if (std::string(v) != "tcp" && std::string(v) != "unix") {
        std::cerr << "vigil-loadgen: --front-hop: tcp or unix\n";
        return false;
      }
      o.front_unix_hop = std::string(v) == "unix";
      front_hop_set = true;
    } else {
      Usage();
      return false;
    }
  }
  if (o.log_path.empty()) {
    o.log_path = std::string(VIGIL_SOURCE_DIR) +
                 "/eventlog/testdata/corpus/google-go-tpm-tools/"
                 "ubuntu-2404-amd-sevsnp.bin";
  }
  // Options of the verifier this binary starts: meaningless with --target.
  for (const auto& [flag, set] :
       {std::pair{"--store", !o.store.empty()},
        std::pair{"--event-log-cache-mb", o.event_log_cache_mb >= 0},
        std::pair{"--policy", !o.policy_path.empty()}}) {
    if (set && !o.target.empty()) {
      std::cerr << "vigil-loadgen: " << flag
                << " configures the verifier it starts; not with --target\n";
      return false;
    }
  }
  if (o.tls && !o.target.empty()) {
    std::cerr << "vigil-loadgen: --transport tls sets up the verifier it "
                 "starts; not with --target\n";
    return false;
  }
  if (front_hop_set && !o.front) {
    std::cerr << "vigil-loadgen: --front-hop goes with --front haproxy\n";
    return false;
  }
  if (o.front && (!o.tls || !o.target.empty() || o.same_process)) {
    std::cerr << "vigil-loadgen: --front haproxy needs --transport tls and "
                 "the verifier in a child process\n";
    return false;
  }
  // The echo has no front: its rounds would not be comparable.
  if (o.front) o.transport_baseline = false;
  if (o.warmup_s == 0) o.warmup_s = std::max(3.0, o.streams / 1000.0);
  if (o.channels == 0) {
    o.channels = o.tls ? o.streams : std::clamp(o.streams / 1250, 1, 16);
  }
  o.channels = std::clamp(o.channels, 1, o.streams);
  return true;
}

// ---------------------------------------------------------------------------
// Simulated devices and their evidence

std::string Tpm2b(const std::vector<uint8_t>& tpmt) {
  std::string out;
  out.push_back(static_cast<char>(tpmt.size() >> 8));
  out.push_back(static_cast<char>(tpmt.size() & 0xFF));
  out.append(tpmt.begin(), tpmt.end());
  return out;
}

// An RSA-2048 storage key's public area (the EK template's attributes) with
// a random modulus: generating 10,000 real RSA keys would take minutes, and
// attestation never uses the EK's key, only its identity.
absl::StatusOr<tpm::PublicArea> SoftwareEk() {
  TPMT_PUBLIC p{};
  p.type = TPM2_ALG_RSA;
  p.nameAlg = TPM2_ALG_SHA256;
  p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                       TPMA_OBJECT_SENSITIVEDATAORIGIN |
                       TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED |
                       TPMA_OBJECT_DECRYPT;
  p.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
  p.parameters.rsaDetail.symmetric.keyBits.aes = 128;
  p.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
  p.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
  p.parameters.rsaDetail.keyBits = 2048;
  p.unique.rsa.size = 256;
  RAND_bytes(p.unique.rsa.buffer, 256);
  p.unique.rsa.buffer[0] |= 0x80;
  p.unique.rsa.buffer[255] |= 0x01;
  return tpm::MakePublicArea(p);
}

struct Boot;

struct Device {
  tpm::testing::SoftwareAk ak;
  tpm::PublicArea ek;
  std::string device_id;
  v1::AgentMessage hello;
  // With --distinct-logs, this device's own boot (owned by main); null: the
  // run's shared boot.
  const Boot* boot = nullptr;
};

absl::StatusOr<std::vector<std::unique_ptr<Device>>> MakeDevices(int n) {
  std::vector<std::unique_ptr<Device>> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    auto d = std::make_unique<Device>();
    absl::StatusOr<tpm::PublicArea> ek = SoftwareEk();
    if (!ek.ok()) return ek.status();
    d->ek = *std::move(ek);
    absl::StatusOr<std::string> id = service::DeviceIdForEk(d->ek);
    if (!id.ok()) return id.status();
    d->device_id = *id;
    v1::AgentHello* h = d->hello.mutable_hello();
    h->set_protocol_version(1);
    h->set_agent_version("vigil-loadgen");
    h->set_ek_public(Tpm2b(d->ek.marshalled));
    h->set_ak_public(Tpm2b(d->ak.public_area().marshalled));
    h->set_hostname(absl::StrCat("sim-", i));
    out.push_back(std::move(d));
  }
  return out;
}

// The part of a quote that one boot and one PCR mask fix: the PCRs, their
// SHA-256 values as the evidence carries them, and the digest the quote
// signs over them. A TPM computes these for every quote; the load generator
// stands in for thousands of TPMs on the verifier's own two cores, so it
// computes them once per boot and mask (each round still signs a quote over
// its own nonce and clock: TPM2_Quote's work that the verifier checks).
struct PcrSelection {
  std::vector<uint32_t> pcrs;
  v1::PcrBank bank;
  std::vector<uint8_t> digest;
};

struct PcrSelectionCache {
  std::mutex mu;
  std::map<uint32_t, std::shared_ptr<const PcrSelection>> by_mask;
};

// The boot every simulated device claims: a real recorded event log and the
// SHA-256 PCR values it replays to (what a TPM that measured that boot would
// quote).
struct Boot {
  std::string log;
  std::string log_sha256;  // raw 32 bytes
  std::array<tpm::Digest, tpm::kNumPcrs> sha256;
  uint32_t logged_pcrs = 0;  // PCRs the log extends
  // The quoted values per PCR mask (SelectPcrs); shared by the agents that
  // run this boot.
  std::shared_ptr<PcrSelectionCache> selections =
      std::make_shared<PcrSelectionCache>();
};

// `bytes` parsed and replayed: the SHA-256 PCR values a TPM that measured
// that boot would quote. `name` names the log in errors.
absl::StatusOr<Boot> BootFromBytes(std::string bytes, const std::string& name) {
  Boot b;
  b.log = std::move(bytes);
  absl::StatusOr<eventlog::EventLog> log = eventlog::Parse(absl::MakeConstSpan(
      reinterpret_cast<const uint8_t*>(b.log.data()), b.log.size()));
  if (!log.ok()) return log.status();
  std::vector<uint8_t> digest(SHA256_DIGEST_LENGTH);
  SHA256(reinterpret_cast<const uint8_t*>(b.log.data()), b.log.size(),
         digest.data());
  b.log_sha256.assign(digest.begin(), digest.end());
  absl::StatusOr<std::vector<eventlog::BankReplay>> banks =
      eventlog::ReplayDigests(*log);
  if (!banks.ok()) return banks.status();
  for (const eventlog::BankReplay& r : *banks) {
    if (r.alg != tpm::HashAlg::kSha256) continue;
    b.sha256 = r.values;
    for (uint32_t i = 0; i < tpm::kNumPcrs; ++i) {
      if (r.event_count[i] > 0) b.logged_pcrs |= 1u << i;
    }
    return b;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(name, ": the log has no SHA-256 bank"));
}

absl::StatusOr<Boot> LoadBoot(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read"));
  std::string bytes(std::istreambuf_iterator<char>(in), {});
  return BootFromBytes(std::move(bytes), path);
}

// `n` boots, each `base` with one more record: an EV_IPL event in PCR 9
// whose data names its device (TCG_PCR_EVENT2, PC Client PFP §10.2.2, one
// digest per bank the log declares, each the hash of the data), so each
// device's log and PCR 9 are its own, as GRUB's measurements of a
// machine's files make them.
absl::StatusOr<std::vector<Boot>> DistinctBoots(const Boot& base, size_t n) {
  absl::StatusOr<eventlog::EventLog> log = eventlog::Parse(absl::MakeConstSpan(
      reinterpret_cast<const uint8_t*>(base.log.data()), base.log.size()));
  if (!log.ok()) return log.status();
  if (log->format != eventlog::LogFormat::kCryptoAgile) {
    return absl::InvalidArgumentError(
        "--distinct-logs needs a crypto-agile log");
  }
  // After the last record: before any zero padding the firmware left.
  const absl::string_view records = absl::string_view(base.log).substr(
      0, log->size_bytes - log->trailing_zero_bytes);
  std::vector<Boot> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    // The builder starts with a Spec ID header; only the record is wanted.
    eventlog::testing::LogBuilder record(log->algorithms);
    record.MutableBytes().clear();
    record.Add(
        9, eventlog::EV_IPL,
        eventlog::testing::Str(absl::StrCat("vigil-loadgen device ", i)));
    std::string bytes(records);
    bytes.append(record.Bytes().begin(), record.Bytes().end());
    absl::StatusOr<Boot> b =
        BootFromBytes(std::move(bytes), absl::StrCat("device ", i, "'s log"));
    if (!b.ok()) return b.status();
    out.push_back(*std::move(b));
  }
  return out;
}

// The PCRs of `mask` on `boot` (`ima`: PCR 10 with that value instead),
// their values and digest, as a TPM would quote them.
PcrSelection SelectPcrsUncached(const Boot& boot, uint32_t mask,
                                const tpm::Digest* ima) {
  PcrSelection out;
  out.bank.set_hash_alg(TPM2_ALG_SHA256);
  std::vector<uint8_t> selected;  // the values, in selection order
  for (uint32_t i = 0; i < tpm::kNumPcrs; ++i) {
    if ((mask & (1u << i)) == 0) continue;
    out.pcrs.push_back(i);
    const tpm::Digest& v = ima != nullptr && i == 10 ? *ima : boot.sha256[i];
    selected.insert(selected.end(), v.begin(), v.end());
    v1::PcrValue* pv = out.bank.add_values();
    pv->set_index(i);
    pv->set_digest(std::string(v.begin(), v.end()));
  }
  out.digest.resize(SHA256_DIGEST_LENGTH);
  SHA256(selected.data(), selected.size(), out.digest.data());
  return out;
}

// SelectPcrsUncached, made once per boot and mask.
std::shared_ptr<const PcrSelection> SelectPcrs(const Boot& boot,
                                               uint32_t mask) {
  PcrSelectionCache& cache = *boot.selections;
  std::lock_guard<std::mutex> lock(cache.mu);
  std::shared_ptr<const PcrSelection>& s = cache.by_mask[mask];
  if (s == nullptr) {
    s = std::make_shared<const PcrSelection>(
        SelectPcrsUncached(boot, mask, nullptr));
  }
  return s;
}

// What a TPM would return for TPM2_Quote(nonce, sha256:`mask`) on `boot`,
// signed by `ak`, as the agent sends it, written into `e` (empty): with the
// log, or — when the verifier named this log as known and `resend_log` is
// false — its SHA-256 (agent/collect/evidence_collector.cc does the same).
void FillEvidence(v1::Evidence* e, const Boot& boot,
                  const tpm::testing::SoftwareAk& ak, const std::string& nonce,
                  uint32_t mask, uint64_t clock,
                  const std::string& known_log = "", bool resend_log = true) {
  mask |= boot.logged_pcrs;
  std::shared_ptr<const PcrSelection> sel;
  if (g_ima) {
    // --ima: PCR 10 as IMA leaves it, another value each round (from the
    // quote's clock, which advances every round).
    mask |= 1u << 10;
    tpm::Digest ima(32, 0x10);
    for (int i = 0; i < 8; ++i) ima[i] = static_cast<uint8_t>(clock >> (8 * i));
    sel = std::make_shared<const PcrSelection>(
        SelectPcrsUncached(boot, mask, &ima));
  } else {
    sel = SelectPcrs(boot, mask);
  }
  e->set_nonce(nonce);
  v1::Quote* q = e->add_quotes();
  *q->add_pcrs() = sel->bank;
  const std::vector<uint8_t> attest = tpm::testing::BuildQuoteAttest(
      TPM2_GENERATED_VALUE, TPM2_ST_ATTEST_QUOTE,
      std::vector<uint8_t>(nonce.begin(), nonce.end()), sel->pcrs, sel->digest,
      TPM2_ALG_SHA256, clock);
  const std::vector<uint8_t> sig = ak.Sign(attest);
  q->set_attest(std::string(attest.begin(), attest.end()));
  q->set_signature(std::string(sig.begin(), sig.end()));
  if (!resend_log && known_log == boot.log_sha256) {
    e->set_event_log_sha256(boot.log_sha256);
  } else {
    e->set_event_log(boot.log);
  }
  e->set_reset_count(7);
  e->set_restart_count(3);
  v1::TpmInfo* t = e->mutable_tpm_info();
  t->set_manufacturer("VLG");
  t->set_vendor("vigil-loadgen software AK");
}

// FillEvidence into a message of its own.
v1::Evidence MakeEvidence(const Boot& boot, const tpm::testing::SoftwareAk& ak,
                          const std::string& nonce, uint32_t mask,
                          uint64_t clock, const std::string& known_log = "",
                          bool resend_log = true) {
  v1::Evidence e;
  FillEvidence(&e, boot, ak, nonce, mask, clock, known_log, resend_log);
  return e;
}

// ---------------------------------------------------------------------------
// The verifier under test

// A P-256 key and a certificate for it, as PEM.
struct PemPair {
  std::string cert;
  std::string key;
};

// A certificate for a fresh P-256 key with subject CN=`cn`, valid for a
// day: a CA (basicConstraints CA:TRUE) signed by itself when `issuer` is
// null, else a leaf signed by `issuer`, with subjectAltName IP:127.0.0.1
// when `loopback_san` (the TLS run's server). Fails with kInternal when
// OpenSSL does.
absl::StatusOr<PemPair> MakeCertificate(const std::string& cn,
                                        const PemPair* issuer,
                                        bool loopback_san) {
  using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
  using Cert = std::unique_ptr<X509, decltype(&X509_free)>;
  using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
  auto pem_text = [](BIO* bio) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<size_t>(std::max(len, 0L)));
  };
  const auto fail = [&cn] {
    return absl::InternalError(
        absl::StrCat("cannot make the certificate for ", cn));
  };
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free);
  Cert x(X509_new(), X509_free);
  if (key == nullptr || x == nullptr) return fail();
  Key issuer_key(nullptr, EVP_PKEY_free);
  Cert issuer_cert(nullptr, X509_free);
  if (issuer != nullptr) {
    Bio kb(BIO_new_mem_buf(issuer->key.data(),
                           static_cast<int>(issuer->key.size())),
           BIO_free);
    Bio cb(BIO_new_mem_buf(issuer->cert.data(),
                           static_cast<int>(issuer->cert.size())),
           BIO_free);
    issuer_key.reset(
        PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
    issuer_cert.reset(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
    if (issuer_key == nullptr || issuer_cert == nullptr) return fail();
  }
  // A positive serial, unique per certificate (RFC 5280 §4.1.2.2).
  uint64_t serial = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof(serial)) !=
      1) {
    return fail();
  }
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(x.get()), (serial >> 1) | 1);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(x.get(), issuer_cert != nullptr
                                    ? X509_get_subject_name(issuer_cert.get())
                                    : name);
  X509_set_pubkey(x.get(), key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert != nullptr ? issuer_cert.get() : x.get(),
                 x.get(), nullptr, nullptr, 0);
  std::vector<std::pair<int, const char*>> extensions;
  if (issuer == nullptr) {
    extensions = {{NID_basic_constraints, "critical,CA:TRUE"},
                  {NID_key_usage, "critical,keyCertSign,cRLSign"}};
  } else {
    extensions = {{NID_basic_constraints, "critical,CA:FALSE"}};
    if (loopback_san)
      extensions.push_back({NID_subject_alt_name, "IP:127.0.0.1"});
  }
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr) return fail();
    const int added = X509_add_ext(x.get(), ext, -1);
    X509_EXTENSION_free(ext);
    if (added != 1) return fail();
  }
  if (X509_sign(x.get(), issuer_key != nullptr ? issuer_key.get() : key.get(),
                EVP_sha256()) <= 0) {
    return fail();
  }
  Bio cert_bio(BIO_new(BIO_s_mem()), BIO_free);
  Bio key_bio(BIO_new(BIO_s_mem()), BIO_free);
  if (PEM_write_bio_X509(cert_bio.get(), x.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0,
                               nullptr, nullptr) != 1) {
    return fail();
  }
  return PemPair{pem_text(cert_bio.get()), pem_text(key_bio.get())};
}

// --transport tls: a CA made for the run, the verifier's certificate for
// 127.0.0.1 and one client certificate every simulated agent presents, as
// PEM text; the CA certificate and the verifier's certificate and key also
// as files (the verifier's listener reads files, as the daemon's
// configuration names them). Made before any fork; the directory is
// removed by the process that made it (children leave by _exit).
struct LoopbackTls {
  PemPair ca, server, client;
  std::string dir;
  LoopbackTls() = default;
  LoopbackTls(const LoopbackTls&) = delete;
  LoopbackTls& operator=(const LoopbackTls&) = delete;
  std::string Path(const char* name) const { return dir + "/" + name; }
  ~LoopbackTls() {
    if (dir.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

absl::StatusOr<std::unique_ptr<LoopbackTls>> MakeLoopbackTls() {
  auto out = std::make_unique<LoopbackTls>();
  absl::StatusOr<PemPair> ca =
      MakeCertificate("vigil-loadgen CA", nullptr, false);
  if (!ca.ok()) return ca.status();
  out->ca = *std::move(ca);
  absl::StatusOr<PemPair> server =
      MakeCertificate("vigil-loadgen verifier", &out->ca, true);
  if (!server.ok()) return server.status();
  out->server = *std::move(server);
  absl::StatusOr<PemPair> client =
      MakeCertificate("vigil-loadgen agent", &out->ca, false);
  if (!client.ok()) return client.status();
  out->client = *std::move(client);
  char dir[] = "/tmp/vigil-loadgen-tls-XXXXXX";
  if (mkdtemp(dir) == nullptr) {
    return absl::InternalError("cannot create a directory in /tmp");
  }
  out->dir = dir;
  for (const auto& [name, text] :
       {std::pair<const char*, const std::string*>{"ca.pem", &out->ca.cert},
        {"server.pem", &out->server.cert},
        {"server.key", &out->server.key}}) {
    std::ofstream f(out->Path(name));
    f << *text;
    if (!f.flush()) {
      return absl::InternalError(
          absl::StrCat("cannot write ", out->Path(name)));
    }
  }
  return out;
}

// --front haproxy: the shipped example (systemd/haproxy-vigil-agents.cfg.
// example, tools/loadgen/haproxy_front.h) on 127.0.0.1 with the run's CA
// and the verifier's certificate: it ends each agent's mutual TLS and
// forwards every agent's stream to the verifier's plaintext loopback
// listener over HTTP/2, many streams per connection. Killed and reaped when
// this object goes.
class FrontProcess {
 public:
  FrontProcess() = default;
  FrontProcess(const FrontProcess&) = delete;
  FrontProcess& operator=(const FrontProcess&) = delete;
  ~FrontProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    g_front_pid = -1;
  }

  // Writes the configuration into tls.dir, starts haproxy (stderr to
  // `log`) and waits up to 10 s for its port. Fails naming what did not
  // work: no haproxy on PATH, a configuration it refused (see `log`).
  absl::Status Start(const LoopbackTls& tls, const std::string& verifier,
                     int agents) {
    const std::string log = tls.Path("haproxy.log");
    const int port = vigil::testing::FreeLoopbackPort();
    if (port <= 0) return absl::InternalError("front: no free port");
    const std::string example_path =
        absl::StrCat(VIGIL_SOURCE_DIR, "/", kHaproxyFrontExample);
    std::ifstream example_file(example_path);
    const std::string example((std::istreambuf_iterator<char>(example_file)),
                              {});
    if (example.empty()) {
      return absl::NotFoundError(
          absl::StrCat("front: cannot read ", example_path));
    }
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) lim.rlim_max = RLIM_INFINITY;
    absl::StatusOr<std::string> cfg = HaproxyFrontConfig(
        example, {.bind = absl::StrCat("127.0.0.1:", port),
                  .certificate = tls.Path("front.pem"),
                  .client_ca = tls.Path("ca.pem"),
                  // HAProxy spells a unix socket unix@PATH.
                  .verifier = absl::StartsWith(verifier, "unix:")
                                  ? "unix@" + verifier.substr(5)
                                  : verifier,
                  .max_connections = agents + 100,
                  .max_connections_per_address = agents + 100,
                  // No setuid: the parent-death signal
                  // below then stays set.
                  .keep_identity = true,
                  // HAProxy asks for ~2 descriptors per connection.
                  .tolerate_descriptor_limit =
                      2 * static_cast<rlim_t>(agents) + 1024 > lim.rlim_max});
    if (!cfg.ok()) return cfg.status();
    {
      std::ofstream pem(tls.Path("front.pem"));
      pem << tls.server.cert << tls.server.key;
      std::ofstream out(tls.Path("haproxy.cfg"));
      out << *cfg;
      if (!pem.flush() || !out.flush()) {
        return absl::InternalError(
            absl::StrCat("front: cannot write into ", tls.dir));
      }
    }
    const std::string cfg_path = tls.Path("haproxy.cfg");
    const pid_t pid = fork();
    if (pid < 0) return absl::InternalError("front: fork failed");
    if (pid == 0) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      // Nothing of ours: the verifier's control pipe must close when this
      // process's does (the verifier exits on its EOF).
      close_range(3, ~0U, 0);
      // A load generator killed before its destructor runs must not leave
      // HAProxy listening.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      execlp("haproxy", "haproxy", "-db", "-f", cfg_path.c_str(),
             static_cast<char*>(nullptr));
      _exit(127);
    }
    pid_ = pid;
    g_front_pid = pid;
    address_ = absl::StrCat("127.0.0.1:", port);
    for (int i = 0; i < 200; ++i) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid_ = -1;
        g_front_pid = -1;
        return absl::FailedPreconditionError(absl::StrCat(
            "front: haproxy exited (",
            WIFEXITED(status) && WEXITSTATUS(status) == 127
                ? "not found on PATH; apt-get install haproxy"
                : absl::StrCat("status ", status, ": ", LastLine(log)),
            ")"));
      }
      if (vigil::testing::LoopbackPortAccepts(port)) return absl::OkStatus();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return absl::DeadlineExceededError(
        absl::StrCat("front: haproxy did not listen on ", address_,
                     " within 10 s: ", LastLine(log)));
  }

  int pid() const { return pid_; }
  const std::string& address() const { return address_; }

 private:
  // The last non-empty line of `path` (HAProxy's reason), or "no output".
  static std::string LastLine(const std::string& path) {
    std::ifstream in(path);
    std::string line, last = "no output";
    while (std::getline(in, line)) {
      if (!line.empty()) last = line;
    }
    return last;
  }
  pid_t pid_ = -1;
  std::string address_;
};

// The daemon's defaults, with what the run's options set (--policy,
// --event-log-cache-mb).
absl::StatusOr<service::VerifierOptions> DaemonDefaults(const Options& run) {
  service::VerifierOptions o;
  o.policy_path = run.policy_path;
  if (run.event_log_cache_mb >= 0) {
    o.replay_cache_bytes = static_cast<size_t>(run.event_log_cache_mb) << 20;
  }
  // The EK trust bundle: the verifier needs one to start, and no simulated
  // EK chains to anything (they are registered directly).
  absl::StatusOr<PemPair> root =
      MakeCertificate("vigil-loadgen throwaway root", nullptr, false);
  if (!root.ok()) return root.status();
  o.ek_trust_pem = root->cert;
  o.token_algorithm = token::JwsAlgorithm::kEs256;
  o.core.issuer = "https://vigil-loadgen.invalid";
  return o;
}

// Puts `d` in the verifier's registry as enrolment would (see the file
// comment for why the benchmark does not enrol by credential activation).
absl::Status Register(service::Verifier& v, const Device& d) {
  service::EnrolledDevice e;
  e.device_id = d.device_id;
  e.ek = d.ek;
  e.ak = d.ak.public_area();
  absl::StatusOr<std::vector<uint8_t>> name = tpm::ComputeName(e.ak);
  if (!name.ok()) return name.status();
  e.ak_name = *std::move(name);
  e.aik_validated = true;  // as if the EK had chained (see the file comment)
  e.ek_issuer = "CN=vigil-loadgen simulated EK CA";
  e.hostname = d.hello.hello().hostname();
  e.enrolled_at = absl::Now();
  return v.registry().Enroll(e);
}

struct InProcessVerifier {
  std::string store_dir;  // with --store: removed at the end
  std::unique_ptr<service::ControlPlane> control;
  std::unique_ptr<service::Verifier> verifier;
  service::RunningServer server;
  // Also when StartVerifier gives up half way (a store that cannot be
  // opened): the directory must not outlive the run.
  ~InProcessVerifier() { RemoveStoreDir(); }
  void Shutdown() {
    server.Shutdown(absl::Seconds(2));
    if (control != nullptr) control->Shutdown();
    RemoveStoreDir();
  }
  void RemoveStoreDir() {
    if (store_dir.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(store_dir, ignored);
    store_dir.clear();
  }
};

// The daemon's service options, but for the pool size asked for and as many
// streams per connection as the run multiplexes (the daemon's default, 100,
// is for a fleet: one stream per agent connection).
service::ServiceOptions ServiceOptionsFor(const Options& o) {
  service::ServiceOptions s;
  s.worker_threads = static_cast<size_t>(o.worker_threads);
  s.transport.max_streams_per_connection =
      std::max(s.transport.max_streams_per_connection,
               static_cast<size_t>((o.streams + o.channels - 1) / o.channels));
  return s;
}

absl::StatusOr<std::unique_ptr<InProcessVerifier>> StartVerifier(
    const std::vector<std::unique_ptr<Device>>& devices,
    const std::string& address, const service::ServiceOptions& service_options,
    const Options& run, const LoopbackTls* tls) {
  const std::string& store = run.store;
  auto out = std::make_unique<InProcessVerifier>();
  absl::StatusOr<service::VerifierOptions> defaults = DaemonDefaults(run);
  if (!defaults.ok()) return defaults.status();
  service::VerifierOptions options = *std::move(defaults);
  if (!store.empty()) {
    // The directory holds the admin socket, and the SQLite file.
    char dir[] = "/tmp/vigil-loadgen-store-XXXXXX";
    if (mkdtemp(dir) == nullptr) {
      return absl::InternalError("cannot create a store directory in /tmp");
    }
    out->store_dir = dir;
    service::ControlPlaneConfig c;
    c.store =
        store == "sqlite" ? absl::StrCat("sqlite:", dir, "/store.db") : store;
    c.admin_listen = absl::StrCat("unix:", dir, "/admin.sock");
    absl::StatusOr<std::unique_ptr<service::ControlPlane>> cp =
        service::ControlPlane::Open(c, SystemClock::Get());
    if (!cp.ok()) return cp.status();
    out->control = *std::move(cp);
    options.device_registry = out->control->registry();
  }
  absl::StatusOr<std::unique_ptr<service::Verifier>> v =
      service::Verifier::Create(options, &SystemClock::Get());
  if (!v.ok()) return v.status();
  out->verifier = *std::move(v);
  for (const auto& d : devices) {
    if (absl::Status st = Register(*out->verifier, *d); !st.ok()) return st;
  }
  service::ListenerOptions listener;
  listener.address = address;
  if (tls != nullptr) {
    listener.tls_cert_file = tls->Path("server.pem");
    listener.tls_key_file = tls->Path("server.key");
    listener.tls_client_ca_file = tls->Path("ca.pem");
  } else {
    listener.insecure = true;
  }
  absl::StatusOr<service::RunningServer> server =
      service::StartServer(out->verifier.get(), listener, service_options);
  if (!server.ok()) return server.status();
  out->server = *std::move(server);
  if (out->control != nullptr) {
    if (absl::Status st = out->control->Start(out->verifier.get(), "", "");
        !st.ok()) {
      return st;
    }
  }
  return out;
}

// VmRSS of `pid` (0: this process) in KiB, or -1 (also for pid < 0).
long RssKib(int pid) {
  if (pid < 0) return -1;
  std::ifstream in(pid == 0 ? std::string("/proc/self/status")
                            : absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      long v = -1;
      absl::SimpleAtoi(absl::StripAsciiWhitespace(
                           absl::string_view(line).substr(6, line.size() - 9)),
                       &v);
      return v;
    }
  }
  return -1;
}

// User + system CPU seconds of `pid` (0: this process), or -1.
double CpuSeconds(int pid) {
  std::ifstream in(pid == 0 ? std::string("/proc/self/stat")
                            : absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  // After "pid (comm)": state is field 3; utime and stime are 14 and 15.
  std::istringstream fields(stat.substr(paren + 2));
  std::string f;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::atof(f.c_str());
    if (i == 15) stime = std::atof(f.c_str());
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// ---------------------------------------------------------------------------
// The crypto floor: what one attestation cannot avoid, single-threaded.

struct Floor {
  double quote_verify_us = 0;
  double token_sign_us = 0;
  int cores = 0;
  // Not part of the floor; they show where the rest goes: the verifier's
  // whole attestation in process (AttestationCore::Attest, no gRPC), and
  // the simulated agent's share (quote + signature + message), which runs
  // on the same cores.
  double core_attest_us = 0;
  // The same when the evidence names a log the verifier holds (the rounds
  // after a boot's first: event_log_sha256 instead of the log).
  double core_attest_held_log_us = 0;
  double agent_evidence_us = 0;
  // Parts of core_attest_us, by the eventlog functions the verifier calls:
  // parse + replay of the quoted bank, the MAA `events` claim (rendered for
  // every attestation), the derived claims.
  double parse_replay_us = 0;
  double events_json_us = 0;
  double derive_claims_us = 0;
  uint32_t pcr_mask = 0;  // what the default policy asks to be quoted
  // The same pair of operations on every core at once (one thread per
  // core, each verifying and signing in turn): attestations per second of
  // wall time, and CPU time per pair. Beside the single-threaded figure
  // because cores need not scale linearly (shared caches, a VM's vCPUs,
  // clock frequency).
  double all_cores_per_second = 0;
  double all_cores_us = 0;
  double us() const { return quote_verify_us + token_sign_us; }
  double per_second() const { return cores * 1e6 / us(); }
};

template <typename F>
double MicrosPerCall(double seconds, F&& f) {
  const Steady::time_point start = Steady::now();
  const Steady::time_point end =
      start + std::chrono::duration_cast<Steady::duration>(
                  std::chrono::duration<double>(seconds));
  long n = 0;
  Steady::time_point now;
  do {
    for (int i = 0; i < 64; ++i) f();
    n += 64;
    now = Steady::now();
  } while (now < end);
  return std::chrono::duration<double, std::micro>(now - start).count() / n;
}

// The floor's pair (verify the quote, sign a token) on a thread per core at
// once for `seconds`: fills f.all_cores_per_second and f.all_cores_us.
// Fails when a verify or a signature fails.
absl::Status MeasureFloorOnAllCores(const tpm::testing::SoftwareAk& ak,
                                    const v1::Quote& q,
                                    const std::string& nonce,
                                    const std::vector<tpm::PcrBank>& banks,
                                    token::KeyRing& key_ring,
                                    const token::RawJwt& jwt, double seconds,
                                    Floor& f) {
  // A verifier per thread, as each device has its own AK's (the key ring
  // is one, as in the verifier).
  std::vector<tpm::QuoteVerifier> verifiers;
  for (int t = 0; t < f.cores; ++t) {
    absl::StatusOr<tpm::QuoteVerifier> mine =
        tpm::QuoteVerifier::Create(ak.public_area());
    if (!mine.ok()) return mine.status();
    verifiers.push_back(*std::move(mine));
  }
  std::atomic<bool> all_ok{true};
  std::vector<long> pairs(f.cores, 0);
  std::vector<double> cpu_us(f.cores, 0);
  const Steady::time_point start = Steady::now();
  const Steady::time_point end =
      start + std::chrono::duration_cast<Steady::duration>(
                  std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  for (int t = 0; t < f.cores; ++t) {
    threads.emplace_back([&, t] {
      auto thread_cpu_us = [] {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
      };
      const double cpu0 = thread_cpu_us();
      bool good = true;
      long n = 0;
      do {
        for (int i = 0; i < 16; ++i) {
          good &= verifiers[t]
                      .Verify(AsBytes(q.attest()), AsBytes(q.signature()),
                              AsBytes(nonce), banks)
                      .ok();
          good &= key_ring.SignAndEncode(jwt).ok();
        }
        n += 16;
      } while (Steady::now() < end);
      pairs[t] = n;
      cpu_us[t] = thread_cpu_us() - cpu0;
      if (!good) all_ok = false;
    });
  }
  for (std::thread& t : threads) t.join();
  if (!all_ok) return absl::InternalError("floor: all cores at once failed");
  const double wall_s =
      std::chrono::duration<double>(Steady::now() - start).count();
  long total = 0;
  double cpu = 0;
  for (int t = 0; t < f.cores; ++t) {
    total += pairs[t];
    cpu += cpu_us[t];
  }
  f.all_cores_per_second = total / wall_s;
  f.all_cores_us = cpu / total;
  return absl::OkStatus();
}

absl::StatusOr<Floor> MeasureFloor(const Boot& boot, double seconds,
                                   const Options& run) {
  Floor f;
  cpu_set_t set;
  CPU_ZERO(&set);
  f.cores = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
  // The same evidence the agents send, verified as the verifier does.
  tpm::testing::SoftwareAk ak;
  std::string nonce(32, '\x5a');
  const v1::Evidence e = MakeEvidence(boot, ak, nonce, 0, 1000);
  const v1::Quote& q = e.quotes(0);
  std::vector<tpm::PcrBank> banks(1);
  banks[0].alg = tpm::HashAlg::kSha256;
  for (const v1::PcrValue& v : q.pcrs(0).values()) {
    banks[0].values[v.index()] =
        tpm::Digest(v.digest().begin(), v.digest().end());
  }
  bool ok = true;
  // The AK imported once, as the verifier keeps it (AkCache): the floor is
  // the signature check and quote parsing alone.
  absl::StatusOr<tpm::QuoteVerifier> qv =
      tpm::QuoteVerifier::Create(ak.public_area());
  if (!qv.ok()) return qv.status();
  f.quote_verify_us = MicrosPerCall(seconds, [&] {
    ok &= qv->Verify(AsBytes(q.attest()), AsBytes(q.signature()),
                     AsBytes(nonce), banks)
              .ok();
  });
  if (!ok) return absl::InternalError("floor: the quote does not verify");
  // The verifier's key ring (ES256, generated as the daemon does without a
  // key file) signing a token with the claims an attestation issues.
  absl::StatusOr<service::VerifierOptions> defaults = DaemonDefaults(run);
  if (!defaults.ok()) return defaults.status();
  absl::StatusOr<std::unique_ptr<service::Verifier>> v =
      service::Verifier::Create(*defaults, &SystemClock::Get());
  if (!v.ok()) return v.status();
  const absl::Time now = absl::Now();
  absl::StatusOr<token::RawJwt> jwt =
      token::RawJwtBuilder()
          .SetIssuer("https://vigil-loadgen.invalid")
          .SetIssuedAt(now)
          .SetNotBefore(now - absl::Minutes(5))
          .SetExpiration(now + absl::Hours(8))
          .SetJwtId(std::string(40, 'a'))
          .AddClaim("sub", std::string(64, 'b'))
          .AddClaim("x-ms-ver", "1.0")
          .AddClaim("x-ms-attestation-type", "tpm")
          .AddClaim("x-ms-policy-hash", std::string(43, 'c'))
          .AddClaim("x-vigil-device", {{"ak_name", std::string(68, 'd')},
                                       {"aik_validated", true},
                                       {"ek_issuer", "CN=vigil-loadgen"},
                                       {"hostname", "sim-0"}})
          .AddClaim("x-ms-policy", nlohmann::ordered_json::object())
          .Build();
  if (!jwt.ok()) return jwt.status();
  f.token_sign_us = MicrosPerCall(
      seconds, [&] { ok &= (*v)->key_ring().SignAndEncode(*jwt).ok(); });
  if (!ok) return absl::InternalError("floor: token signing failed");

  if (absl::Status st = MeasureFloorOnAllCores(
          ak, q, nonce, banks, (*v)->key_ring(), *jwt, seconds, f);
      !st.ok()) {
    return st;
  }

  // The whole attestation in process, on the same verifier instance.
  absl::StatusOr<std::vector<std::unique_ptr<Device>>> one = MakeDevices(1);
  if (!one.ok()) return one.status();
  const Device& d = *(*one)[0];
  if (absl::Status st = Register(**v, d); !st.ok()) return st;
  absl::StatusOr<std::shared_ptr<const service::EnrolledDevice>> enrolled =
      (*v)->registry().Find(d.device_id);
  if (!enrolled.ok()) return enrolled.status();
  const uint32_t mask = (*v)->core().RequiredPcrMask();
  f.pcr_mask = mask;
  uint64_t clock = 1000;
  // held_log: name the log by its digest, as an agent does once the
  // verifier holds it (the first round of the loop sends it).
  auto attest_loop = [&](bool held_log, double* agent_us,
                         double* core_us) -> absl::Status {
    Steady::duration agent{}, core{};
    long n = 0;
    std::string known;
    const Steady::time_point end =
        Steady::now() + std::chrono::duration_cast<Steady::duration>(
                            std::chrono::duration<double>(seconds / 2));
    while (Steady::now() < end) {
      absl::StatusOr<service::IssuedNonce> issued =
          (*v)->nonces().Issue(d.device_id);
      if (!issued.ok()) return issued.status();
      const Steady::time_point t0 = Steady::now();
      const v1::Evidence ev = MakeEvidence(
          boot, d.ak, std::string(issued->bytes.begin(), issued->bytes.end()),
          mask, clock += 1000, known, /*resend_log=*/!held_log);
      const Steady::time_point t1 = Steady::now();
      service::AttestOptions ao;
      if (held_log) ao.known_log = (*v)->core().FindVerdict(known);
      const service::AttestationOutcome o =
          (*v)->core().Attest(**enrolled, ev, ao);
      const Steady::time_point t2 = Steady::now();
      if (!o.permitted) {
        return absl::InternalError(absl::StrCat(
            "in-process attestation denied: ",
            o.reasons.empty() ? "(no reason)" : o.reasons.front().ToString()));
      }
      if (o.replay != nullptr) known = o.replay->log_digest;
      agent += t1 - t0;
      core += t2 - t1;
      ++n;
    }
    if (agent_us != nullptr) {
      *agent_us = std::chrono::duration<double, std::micro>(agent).count() / n;
    }
    *core_us = std::chrono::duration<double, std::micro>(core).count() / n;
    return absl::OkStatus();
  };
  if (absl::Status st =
          attest_loop(false, &f.agent_evidence_us, &f.core_attest_us);
      !st.ok()) {
    return st;
  }
  if (absl::Status st = attest_loop(true, nullptr, &f.core_attest_held_log_us);
      !st.ok()) {
    return st;
  }

  std::vector<tpm::PcrBank> trusted(1);
  trusted[0].alg = tpm::HashAlg::kSha256;
  for (uint32_t i = 0; i < tpm::kNumPcrs; ++i) {
    if ((mask | boot.logged_pcrs) & (1u << i)) {
      trusted[0].values[i] = boot.sha256[i];
    }
  }
  auto replay = [&]() -> absl::StatusOr<eventlog::ReplayedLog> {
    absl::StatusOr<eventlog::EventLog> log = eventlog::Parse(AsBytes(boot.log));
    if (!log.ok()) return log.status();
    return eventlog::Replay(*std::move(log), trusted);
  };
  f.parse_replay_us = MicrosPerCall(seconds / 2, [&] { ok &= replay().ok(); });
  absl::StatusOr<eventlog::ReplayedLog> replayed = replay();
  if (!ok || !replayed.ok()) {
    return absl::InternalError("floor: the log does not replay");
  }
  f.events_json_us = MicrosPerCall(seconds / 2, [&] {
    ok &= eventlog::RenderEventsJson(*replayed).is_object();
  });
  f.derive_claims_us = MicrosPerCall(seconds / 2, [&] {
    ok &= !eventlog::DeriveClaims(*replayed).claims.empty();
  });
  if (!ok) return absl::InternalError("floor: claims failed");
  return f;
}

// ---------------------------------------------------------------------------
// Simulated agents

class Recorder {
 public:
  void Add(Steady::time_point start, double micros) {
    std::lock_guard<std::mutex> lock(mu_);
    latencies_.push_back({start, micros});
  }
  void Error(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    if (errors_++ < 5) Say(absl::StrCat("error: ", what));
  }
  std::vector<Sample> TakeLatencies() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(latencies_, {});
  }
  size_t count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return latencies_.size();
  }
  long errors() const {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Sample> latencies_;
  long errors_ = 0;
};

class Agent;

// Decides when each idle agent asks for its next attestation.
class Controller {
 public:
  enum class Mode { kHold, kClosedLoop, kPaced };

  explicit Controller(Recorder* rec) : rec_(rec) {}

  Recorder& recorder() { return *rec_; }

  // An agent finished its last round (or its first, after connecting).
  void Idle(Agent* a);
  void SetMode(Mode m);
  // Releases `n` idle agents (paced mode); returns how many were released.
  int Release(int n);
  void Connected() {
    std::lock_guard<std::mutex> lock(mu_);
    ++ready_;
    cv_.notify_all();
  }
  void Failed() {
    std::lock_guard<std::mutex> lock(mu_);
    ++failed_;
    cv_.notify_all();
  }
  // Waits until `n` agents finished their first attestation (or failed).
  bool WaitReady(int n, double timeout_s) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::duration<double>(timeout_s), [&] {
      return ready_ + failed_ >= n;
    }) && failed_ == 0;
  }
  // Waits until every agent is idle (drained after a phase).
  bool WaitIdle(int n, double timeout_s) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::duration<double>(timeout_s),
                        [&] { return static_cast<int>(idle_.size()) >= n; });
  }
  int failed() {
    std::lock_guard<std::mutex> lock(mu_);
    return failed_;
  }

 private:
  Recorder* rec_;
  std::mutex mu_;
  std::condition_variable cv_;
  Mode mode_ = Mode::kHold;
  std::deque<Agent*> idle_;
  int ready_ = 0;
  int failed_ = 0;
};

// One simulated agent: a Connect stream on gRPC's callback API (no thread of
// its own; callbacks run on gRPC's threads).
class Agent final
    : public grpc::ClientBidiReactor<v1::AgentMessage, v1::VerifierMessage> {
 public:
  Agent(const Device* device, const Boot* boot, Controller* controller)
      : device_(device),
        boot_(device->boot != nullptr ? device->boot : boot),
        controller_(controller) {}

  void Start(v1::AttestationService::Stub* stub) {
    stub->async()->Connect(&context_, this);
    StartRead(&in_);
    auto hello = std::make_unique<service::ArenaAgentMessage>();
    *hello->message = device_->hello;
    Send(std::move(hello));
    StartCall();
  }

  // Starts a round: AttestationWanted.
  void Want() {
    wanted_at_ = Steady::now();
    in_round_ = true;
    auto m = std::make_unique<service::ArenaAgentMessage>();
    m->message->mutable_attestation_wanted()->set_reason("interval");
    Send(std::move(m));
  }

  // Ends the stream; its end is then not an error.
  void Stop() {
    stopping_ = true;
    context_.TryCancel();
  }

  void WaitDone() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return done_; });
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended: OnDone reports the status
    switch (in_.kind_case()) {
      case v1::VerifierMessage::kEnrolled:
        break;
      case v1::VerifierMessage::kAttestationRequest: {
        // The first request follows Enrolled unasked: time it from here.
        if (!in_round_) wanted_at_ = Steady::now();
        const v1::AttestationRequest& r = in_.attestation_request();
        if (r.reason() == "log-needed") {
          g_logs_asked.fetch_add(1, std::memory_order_relaxed);
        }
        auto m = std::make_unique<service::ArenaAgentMessage>();
        v1::Evidence* e = m->message->mutable_evidence();
        FillEvidence(e, *boot_, device_->ak, r.nonce(), r.pcr_mask(),
                     clock_ += 1000, r.known_event_log_sha256(), g_resend_log);
        (e->event_log().empty() ? g_logs_named : g_logs_sent)
            .fetch_add(1, std::memory_order_relaxed);
        Send(std::move(m));
        break;
      }
      case v1::VerifierMessage::kResult: {
        const double us = std::chrono::duration<double, std::micro>(
                              Steady::now() - wanted_at_)
                              .count();
        const v1::AttestationResult& r = in_.result();
        if (!r.permitted()) {
          controller_->recorder().Error(absl::StrCat(
              "denied: ",
              r.reasons_size() > 0 ? r.reasons(0).message() : "(no reason)"));
        } else {
          g_token_bytes.store(r.token().size(), std::memory_order_relaxed);
          if (counted_) controller_->recorder().Add(wanted_at_, us);
        }
        in_round_ = false;
        if (!connected_) {
          connected_ = true;
          counted_ = true;
          controller_->Connected();
        }
        controller_->Idle(this);
        break;
      }
      case v1::VerifierMessage::kChallenge:
        controller_->recorder().Error(
            "the verifier does not know this device (it sent a credential "
            "challenge; enrolment needs a TPM: run without --target)");
        context_.TryCancel();
        return;
      default:
        break;
    }
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    out_.pop_front();
    if (ok && !out_.empty()) StartWrite(out_.front()->message);
  }

  void OnDone(const grpc::Status& s) override {
    if (!connected_ || !stopping_) {
      if (!s.ok() && !stopping_) {
        controller_->recorder().Error(absl::StrCat(
            "stream ended: ", s.error_code(), " ", s.error_message()));
      }
      if (!connected_) controller_->Failed();
    }
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
    cv_.notify_all();
  }

 private:
  // Writes are one at a time on a stream; the verifier may answer (and we
  // may write again) before OnWriteDone of the previous write arrives.
  void Send(std::unique_ptr<service::ArenaAgentMessage> m) {
    std::lock_guard<std::mutex> lock(mu_);
    out_.push_back(std::move(m));
    if (out_.size() == 1) StartWrite(out_.front()->message);
  }

  const Device* device_;
  const Boot* boot_;
  Controller* controller_;
  grpc::ClientContext context_;
  v1::VerifierMessage in_;
  // Touched only by the read callbacks and Want(), which never overlap: Want
  // runs after this agent went idle, when no read can complete.
  Steady::time_point wanted_at_;
  bool in_round_ = false;
  bool connected_ = false;
  bool counted_ = false;
  uint64_t clock_ = 1000000;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<service::ArenaAgentMessage>> out_;
  bool done_ = false;
  std::atomic<bool> stopping_{false};
};

void Controller::Idle(Agent* a) {
  std::unique_lock<std::mutex> lock(mu_);
  if (mode_ == Mode::kClosedLoop) {
    lock.unlock();
    a->Want();
    return;
  }
  idle_.push_back(a);
  cv_.notify_all();
}

void Controller::SetMode(Mode m) {
  std::deque<Agent*> start;
  {
    std::lock_guard<std::mutex> lock(mu_);
    mode_ = m;
    if (m == Mode::kClosedLoop) start.swap(idle_);
  }
  for (Agent* a : start) a->Want();
}

int Controller::Release(int n) {
  std::vector<Agent*> start;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (mode_ != Mode::kPaced) return 0;
    while (n-- > 0 && !idle_.empty()) {
      start.push_back(idle_.front());
      idle_.pop_front();
    }
  }
  for (Agent* a : start) a->Want();
  return static_cast<int>(start.size());
}

// ---------------------------------------------------------------------------
// Phases and report

struct StallSummary {
  bool realtime = false;  // the probe ran SCHED_FIFO (else: see stall_probe.h)
  long count = 0;
  double total_ms = 0, max_ms = 0;
  long attestations_outside = 0;
  double p99_outside_ms = 0, max_outside_ms = 0;
};

struct PhaseResult {
  double seconds = 0;
  long attestations = 0;
  double per_second = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  // CPU used in the window, in cores (CPU seconds / wall seconds); the
  // verifier's is -1 when it is this process or unreachable.
  double verifier_cores = -1, loadgen_cores = -1;
  double front_cores = -1;  // --front: HAProxy's
  double offered_rate = 0;  // paced phase only
  long not_sent = 0;        // paced: releases with no idle agent
  // Paced: what the stall probe (stall_probe.h) saw in the window, and the
  // attestations that were in flight during none of those stalls.
  std::optional<StallSummary> stalls;
  // Of the rounds in the window, the percentage that sent the whole log
  // (the verifier did not hold it), and that were asked again for it (the
  // verifier held its verdict but needed the log).
  double log_resent_percent = 0;
  double log_asked_percent = 0;
};

// p-th percentile of sorted latencies (µs), in ms; 0 when empty.
double PercentileMs(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1,
                         static_cast<size_t>(p * sorted.size()))] /
         1000;
}

std::vector<double> SortedMicros(const std::vector<Sample>& samples) {
  std::vector<double> out;
  out.reserve(samples.size());
  for (const Sample& s : samples) out.push_back(s.micros);
  std::sort(out.begin(), out.end());
  return out;
}

PhaseResult Summarise(const std::vector<Sample>& samples, double seconds) {
  PhaseResult r;
  r.seconds = seconds;
  r.attestations = static_cast<long>(samples.size());
  r.per_second = samples.size() / seconds;
  const std::vector<double> lat = SortedMicros(samples);
  r.p50_ms = PercentileMs(lat, 0.50);
  r.p99_ms = PercentileMs(lat, 0.99);
  r.max_ms = lat.empty() ? 0 : lat.back() / 1000;
  return r;
}

StallSummary SummariseStalls(const std::vector<Sample>& samples,
                             const std::vector<Stall>& stalls, bool realtime) {
  StallSummary out;
  out.realtime = realtime;
  out.count = static_cast<long>(stalls.size());
  for (const Stall& st : stalls) {
    const double ms =
        std::chrono::duration<double, std::milli>(st.to - st.from).count();
    out.total_ms += ms;
    out.max_ms = std::max(out.max_ms, ms);
  }
  const std::vector<Sample> kept = OutsideStalls(samples, stalls);
  out.attestations_outside = static_cast<long>(kept.size());
  const std::vector<double> lat = SortedMicros(kept);
  out.p99_outside_ms = PercentileMs(lat, 0.99);
  out.max_outside_ms = lat.empty() ? 0 : lat.back() / 1000;
  return out;
}

// CPU of the verifier (a separate process) and of this one over a window.
class CpuWindow {
 public:
  explicit CpuWindow(int verifier_pid)
      : pid_(verifier_pid),
        verifier0_(pid_ > 0 ? CpuSeconds(pid_) : -1),
        front0_(g_front_pid > 0 ? CpuSeconds(g_front_pid) : -1),
        self0_(CpuSeconds(0)) {}
  void Fill(PhaseResult& r) const {
    if (pid_ > 0 && verifier0_ >= 0) {
      r.verifier_cores = (CpuSeconds(pid_) - verifier0_) / r.seconds;
    }
    if (front0_ >= 0) {
      r.front_cores = (CpuSeconds(g_front_pid) - front0_) / r.seconds;
    }
    r.loadgen_cores = (CpuSeconds(0) - self0_) / r.seconds;
  }

 private:
  int pid_;
  double verifier0_, front0_, self0_;
};

PhaseResult RunClosedLoop(Controller& c, Recorder& rec, int verifier_pid,
                          double warmup, double seconds) {
  // Every agent starts a round at once; the measurement window opens after
  // `warmup`, when the verifier's queues are full and in steady state (with
  // N streams in flight a round takes N / throughput seconds).
  c.SetMode(Controller::Mode::kClosedLoop);
  std::this_thread::sleep_for(std::chrono::duration<double>(warmup));
  rec.TakeLatencies();
  const LogRounds logs;
  const CpuWindow cpu(verifier_pid);
  const Steady::time_point start = Steady::now();
  for (int i = 0; i < static_cast<int>(seconds); ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    if (g_progress) Say(absl::StrCat("t+", i + 1, " s: ", rec.count()));
  }
  std::this_thread::sleep_for(
      std::chrono::duration<double>(seconds - static_cast<int>(seconds)));
  const std::vector<Sample> lat = rec.TakeLatencies();
  const double elapsed =
      std::chrono::duration<double>(Steady::now() - start).count();
  PhaseResult r = Summarise(lat, elapsed);
  cpu.Fill(r);
  r.log_resent_percent = LogRounds().SentPercentSince(logs);
  r.log_asked_percent = LogRounds().AskedPercentSince(logs);
  c.SetMode(Controller::Mode::kHold);
  return r;
}

// --trace: the paced phase's attestations and the probe's stalls, times in
// ms from the phase's start (and the start itself as CLOCK_MONOTONIC
// seconds, to line them up with `perf record -k CLOCK_MONOTONIC`).
void WriteTrace(const std::string& path, Steady::time_point start,
                const std::vector<Sample>& samples,
                const std::vector<Stall>& stalls) {
  auto ms = [](Steady::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
  };
  std::ofstream out(path);
  out << "# paced phase from CLOCK_MONOTONIC "
      << absl::StrFormat(
             "%.6f",
             std::chrono::duration<double>(start.time_since_epoch()).count())
      << " s\n# attestation: start_ms latency_ms\n"
      << "# stall start_ms length_ms cpu\n";
  for (const Sample& x : samples) {
    out << absl::StrFormat("%.3f %.3f\n", ms(x.start - start), x.micros / 1000);
  }
  for (const Stall& x : stalls) {
    out << absl::StrFormat("# stall %.3f %.3f %d\n", ms(x.from - start),
                           ms(x.to - x.from), x.cpu);
  }
  if (!out) Say(absl::StrCat(path, ": cannot write the trace"));
}

PhaseResult RunPaced(Controller& c, Recorder& rec, int verifier_pid,
                     double rate, double seconds,
                     const std::string& trace_path) {
  rec.TakeLatencies();
  StallProbe probe({});
  probe.Start();
  c.SetMode(Controller::Mode::kPaced);
  const LogRounds logs;
  const CpuWindow cpu(verifier_pid);
  const Steady::time_point start = Steady::now();
  const Steady::time_point end =
      start + std::chrono::duration_cast<Steady::duration>(
                  std::chrono::duration<double>(seconds));
  double released = 0;
  long not_sent = 0;
  // Open loop: releases follow the clock, not the answers, so a slow
  // verifier shows up as latency (coordinated omission avoided as far as
  // idle agents allow; releases that found no idle agent are counted).
  for (Steady::time_point now = start; now < end; now = Steady::now()) {
    const double due =
        rate * std::chrono::duration<double>(now - start).count();
    const int n = static_cast<int>(due - released);
    if (n > 0) {
      const int got = c.Release(n);
      not_sent += n - got;
      released += n;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  const std::vector<Sample> lat = rec.TakeLatencies();
  const double elapsed =
      std::chrono::duration<double>(Steady::now() - start).count();
  c.SetMode(Controller::Mode::kHold);
  const std::vector<Stall> stalls = probe.Stop();
  PhaseResult r = Summarise(lat, elapsed);
  cpu.Fill(r);
  r.offered_rate = rate;
  r.not_sent = not_sent;
  r.log_resent_percent = LogRounds().SentPercentSince(logs);
  r.log_asked_percent = LogRounds().AskedPercentSince(logs);
  r.stalls = SummariseStalls(lat, stalls, probe.realtime());
  if (!trace_path.empty()) WriteTrace(trace_path, start, lat, stalls);
  return r;
}

nlohmann::ordered_json ToJson(const PhaseResult& r) {
  nlohmann::ordered_json j = {{"seconds", r.seconds},
                              {"attestations", r.attestations},
                              {"attestations_per_s", r.per_second},
                              {"p50_ms", r.p50_ms},
                              {"p99_ms", r.p99_ms},
                              {"max_ms", r.max_ms},
                              {"verifier_cpu_cores", r.verifier_cores},
                              {"loadgen_cpu_cores", r.loadgen_cores},
                              {"log_resent_percent", r.log_resent_percent},
                              {"log_asked_percent", r.log_asked_percent}};
  if (r.front_cores >= 0) j["front_cpu_cores"] = r.front_cores;
  if (r.offered_rate > 0) {
    j["offered_per_s"] = r.offered_rate;
    j["releases_without_idle_agent"] = r.not_sent;
  }
  if (r.stalls.has_value()) {
    j["stall_probe"] = {
        {"realtime", r.stalls->realtime},
        {"stalls", r.stalls->count},
        {"stall_ms_total", r.stalls->total_ms},
        {"stall_ms_max", r.stalls->max_ms},
        {"attestations_outside_stalls", r.stalls->attestations_outside},
        {"p99_ms_outside_stalls",
         r.stalls->attestations_outside > 0
             ? nlohmann::ordered_json(r.stalls->p99_outside_ms)
             : nlohmann::ordered_json()},
        {"max_ms_outside_stalls",
         r.stalls->attestations_outside > 0
             ? nlohmann::ordered_json(r.stalls->max_outside_ms)
             : nlohmann::ordered_json()}};
  }
  return j;
}

// One simulated agent per device (the first `n`), each on its Connect
// stream over `stubs` in turn; StopAgents ends them.
std::vector<std::unique_ptr<Agent>> StartAgents(
    int n, const std::vector<std::unique_ptr<Device>>& devices,
    const Boot& boot, Controller& controller,
    const std::vector<std::unique_ptr<v1::AttestationService::Stub>>& stubs) {
  std::vector<std::unique_ptr<Agent>> agents;
  for (int i = 0; i < n; ++i) {
    agents.push_back(
        std::make_unique<Agent>(devices[i].get(), &boot, &controller));
    agents.back()->Start(stubs[i % stubs.size()].get());
  }
  return agents;
}

void StopAgents(std::vector<std::unique_ptr<Agent>>& agents) {
  for (auto& a : agents) a->Stop();
  for (auto& a : agents) a->WaitDone();
  agents.clear();
}

std::vector<std::unique_ptr<v1::AttestationService::Stub>> MakeStubs(
    int channels, const std::string& address, const LoopbackTls* tls) {
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::InsecureChannelCredentials();
  if (tls != nullptr) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = tls->ca.cert;
    ssl.pem_private_key = tls->client.key;
    ssl.pem_cert_chain = tls->client.cert;
    credentials = grpc::SslCredentials(ssl);
  }
  std::vector<std::unique_ptr<v1::AttestationService::Stub>> stubs;
  for (int i = 0; i < channels; ++i) {
    grpc::ChannelArguments args;
    // One connection per channel: without these, channels with equal
    // arguments share one subchannel (one TCP/unix connection).
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("vigil.loadgen.channel", i);
    args.SetMaxReceiveMessageSize(32 << 20);
    // As vigil-agent sets them.
    for (const GrpcIntArgument& a : kAttestationFlowControl) {
      args.SetInt(a.name, a.value);
    }
    stubs.push_back(v1::AttestationService::NewStub(
        grpc::CreateCustomChannel(address, credentials, args)));
  }
  return stubs;
}

// The children's start-up report, one line on a pipe: "ok ADDRESS" with
// the address they listen on (a TCP port chosen by the kernel in a TLS
// run), or why they could not start (then they exit).
void WriteStartup(int fd, const absl::StatusOr<std::string>& address) {
  // A multi-line reason is kept whole on its one line.
  const std::string line =
      address.ok()
          ? absl::StrCat("ok ", *address, "\n")
          : absl::StrCat(
                absl::StrReplaceAll(address.status().message(), {{"\n", "; "}}),
                "\n");
  (void)!write(fd, line.data(), line.size());
}

absl::StatusOr<std::string> ReadStartup(int fd) {
  std::string line;
  char c;
  while (line.size() < 1024 && read(fd, &c, 1) == 1 && c != '\n') {
    line.push_back(c);
  }
  if (absl::StartsWith(line, "ok ")) return line.substr(3);
  return absl::UnavailableError(line.empty() ? "exited without a word" : line);
}

// The transport echo's process: forked with the verifier's, before this
// process has threads; it starts its server when the baseline phase begins
// (the shape it needs is known only then) and stops when `cfg_fd` closes.
struct EchoChild {
  pid_t pid = -1;
  int cfg_fd = -1;     // parent -> child: the shape, then EOF to stop
  int ready_fd = -1;   // child -> parent: WriteStartup, once per start
  std::string socket;  // unix run: where it listens
  void Stop() {
    if (pid <= 0) return;
    close(cfg_fd);
    close(ready_fd);
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    unlink(socket.c_str());
  }
};

// The transport baseline (Options::transport_baseline): the same agents and
// evidence, the same saturation phase, against the echo. Its att/s are
// rounds/s; its "verifier" CPU is the echo's.
absl::StatusOr<PhaseResult> RunTransportBaseline(
    const Options& o, EchoChild& echo,
    const std::vector<std::unique_ptr<Device>>& devices, const Boot& boot,
    uint32_t pcr_mask, const LoopbackTls* tls) {
  const uint64_t wire[2] = {g_token_bytes.load(), pcr_mask};
  if (write(echo.cfg_fd, wire, sizeof(wire)) != sizeof(wire)) {
    return absl::UnavailableError("transport echo: its process is gone");
  }
  absl::StatusOr<std::string> address = ReadStartup(echo.ready_fd);
  if (!address.ok()) {
    return absl::UnavailableError(
        absl::StrCat("transport echo: ", address.status().message()));
  }
  std::vector<std::unique_ptr<v1::AttestationService::Stub>> stubs =
      MakeStubs(o.channels, *address, tls);
  Recorder rec;
  Controller controller(&rec);
  std::vector<std::unique_ptr<Agent>> agents =
      StartAgents(o.streams, devices, boot, controller, stubs);
  absl::Status status;
  PhaseResult r;
  if (!controller.WaitReady(o.streams, o.connect_timeout_s)) {
    status = absl::UnavailableError(
        absl::StrCat("transport echo: only some streams connected (",
                     controller.failed(), " failed)"));
  } else {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    r = RunClosedLoop(controller, rec, echo.pid, o.warmup_s, o.duration_s);
    controller.WaitIdle(o.streams, 300);
    if (rec.errors() > 0) {
      status = absl::InternalError(
          absl::StrCat("transport echo: ", rec.errors(), " errors"));
    }
  }
  StopAgents(agents);
  if (!status.ok()) return status;
  return r;
}

int Run(const Options& o) {
  // Multiplexed streams share a few connections; one connection per agent
  // (--transport tls, --channels) needs a descriptor each, twice during the
  // transport baseline (the verifier's connections stay open).
  rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    if (lim.rlim_cur < lim.rlim_max) {
      lim.rlim_cur = lim.rlim_max;
      setrlimit(RLIMIT_NOFILE, &lim);
    }
    const rlim_t need =
        static_cast<rlim_t>(o.channels) * (o.transport_baseline ? 2 : 1) + 64;
    if (lim.rlim_cur < need) {
      Say(absl::StrCat("RLIMIT_NOFILE is ", lim.rlim_cur, "; ", o.channels,
                       " connections need about ", need,
                       " (raise the hard limit, or --no-transport-baseline)"));
      return 2;
    }
  }
  g_resend_log = o.resend_log;
  g_ima = o.ima;
  absl::StatusOr<Boot> boot = LoadBoot(o.log_path);
  if (!boot.ok()) {
    Say(boot.status().message());
    return 2;
  }
  std::unique_ptr<LoopbackTls> tls;
  if (o.tls) {
    absl::StatusOr<std::unique_ptr<LoopbackTls>> t = MakeLoopbackTls();
    if (!t.ok()) {
      Say(t.status().message());
      return 1;
    }
    tls = *std::move(t);
  }
  // Where the verifier and the echo listen: any free port on loopback with
  // TLS, else unix sockets.
  auto listen_address = [&](const std::string& socket_path) {
    return tls != nullptr ? std::string("127.0.0.1:0") : "unix:" + socket_path;
  };
  Say(absl::StrCat(o.streams, " simulated devices..."));
  absl::StatusOr<std::vector<std::unique_ptr<Device>>> devices =
      MakeDevices(o.streams);
  if (!devices.ok()) {
    Say(devices.status().message());
    return 1;
  }
  // --distinct-logs: made before the fork, so the verifier's child shares
  // the pages (it never reads them). Its RSS counts them (~460 MB at 10,000
  // devices), but every figure per stream is a difference taken after the
  // fork.
  std::vector<Boot> distinct_boots;
  if (o.distinct_logs) {
    absl::StatusOr<std::vector<Boot>> boots =
        DistinctBoots(*boot, devices->size());
    if (!boots.ok()) {
      Say(boots.status().message());
      return 2;
    }
    distinct_boots = *std::move(boots);
    for (size_t i = 0; i < devices->size(); ++i) {
      (*devices)[i]->boot = &distinct_boots[i];
    }
  }

  // The verifier. Forked before any thread exists in this process (gRPC and
  // the verifier start theirs after), so the child is a clean copy.
  std::string address = o.target;
  std::string mode = "external";
  // Whose RSS is the verifier's: the child, this process (0), or with
  // --target the process --server-pid names (-1: unknown).
  int server_pid = o.server_pid > 0 ? o.server_pid : -1;
  int stop_fd = -1;  // child: closing it stops the verifier; 't' trims
  int ack_fd = -1;
  std::unique_ptr<InProcessVerifier> local;
  size_t local_workers = 0;  // --same-process: the running service's pool
  EchoChild echo;      // the transport baseline's process, when there is one
  FrontProcess front;  // --front haproxy
  const std::string socket =
      absl::StrCat("/tmp/vigil-loadgen-", getpid(), ".sock");
  if (o.target.empty() && !o.same_process) {
    mode = "child process";
    int ready[2], stop[2];
    if (pipe(ready) != 0 || pipe(stop) != 0) return 1;
    const pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
      close(ready[0]);
      close(stop[1]);
      // The verifier logs every attestation on stderr, as the daemon does.
      const int log = open(o.verifier_log.c_str(),
                           O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (log >= 0) dup2(log, 2);
      // --front: the agents' TLS ends at the front, which reaches the
      // verifier on loopback or a unix socket without TLS (daemon:
      // listen_tls = front).
      const std::string verifier_listen = !o.front ? listen_address(socket)
                                          : o.front_unix_hop
                                              ? "unix:" + socket
                                              : std::string("127.0.0.1:0");
      absl::StatusOr<std::unique_ptr<InProcessVerifier>> v =
          StartVerifier(*devices, verifier_listen, ServiceOptionsFor(o), o,
                        o.front ? nullptr : tls.get());
      if (!v.ok()) {
        WriteStartup(ready[1], v.status());
        _exit(1);
      }
      WriteStartup(ready[1], (*v)->server.address);
      char c;
      while (read(stop[0], &c, 1) > 0) {
        if (c == 't') {
          ReleaseFreeMemory();
          (void)!write(ready[1], "k", 1);
        }
      }
      (*v)->Shutdown();
      _exit(0);
    }
    close(ready[1]);
    close(stop[0]);
    stop_fd = stop[1];
    server_pid = pid;
    ack_fd = ready[0];
    absl::StatusOr<std::string> started = ReadStartup(ready[0]);
    if (!started.ok()) {
      Say(absl::StrCat("verifier: ", started.status().message()));
      return 1;
    }
    address = *started;
    if (o.front) {
      if (absl::Status st = front.Start(*tls, address, o.streams); !st.ok()) {
        Say(st.message());
        return 1;
      }
      address = front.address();
    }
    if (o.transport_baseline) {
      int cfg[2], eready[2];
      if (pipe(cfg) != 0 || pipe(eready) != 0) return 1;
      echo.socket = absl::StrCat("/tmp/vigil-loadgen-", getpid(), "-echo.sock");
      const pid_t epid = fork();
      if (epid < 0) return 1;
      if (epid == 0) {
        // The verifier's control pipe must close when the parent's does.
        close(stop_fd);
        close(ack_fd);
        close(cfg[1]);
        close(eready[0]);
        uint64_t wire[2];
        if (read(cfg[0], wire, sizeof(wire)) != sizeof(wire)) _exit(0);
        EchoShape shape;
        shape.token_bytes = wire[0];
        shape.pcr_mask = static_cast<uint32_t>(wire[1]);
        // The verifier's TLS setup when it has one: the same record layer
        // per round (handshakes happen at connect, outside the window).
        std::shared_ptr<grpc::ServerCredentials> credentials =
            grpc::InsecureServerCredentials();
        if (tls != nullptr) {
          absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> c =
              service::ServerTlsCredentials(tls->Path("server.pem"),
                                            tls->Path("server.key"),
                                            tls->Path("ca.pem"), true);
          if (!c.ok()) {
            WriteStartup(eready[1], c.status());
            _exit(1);
          }
          credentials = *std::move(c);
        }
        absl::StatusOr<std::unique_ptr<TransportEcho>> e = TransportEcho::Start(
            listen_address(echo.socket), shape, std::move(credentials));
        if (!e.ok()) {
          WriteStartup(eready[1], e.status());
          _exit(1);
        }
        WriteStartup(eready[1], tls != nullptr
                                    ? absl::StrCat("127.0.0.1:", (*e)->port())
                                    : "unix:" + echo.socket);
        char c;
        while (read(cfg[0], &c, 1) > 0) {
        }
        (*e)->Shutdown();
        _exit(0);
      }
      close(cfg[0]);
      close(eready[1]);
      echo.pid = epid;
      echo.cfg_fd = cfg[1];
      echo.ready_fd = eready[0];
    }
  } else if (o.target.empty()) {
    mode = "same process";
    server_pid = 0;
    // The verifier logs every attestation on stderr, as the daemon does.
    const int log = open(o.verifier_log.c_str(),
                         O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log >= 0) {
      g_err_fd = dup(2);
      dup2(log, 2);
      close(log);
    }
    absl::StatusOr<std::unique_ptr<InProcessVerifier>> v = StartVerifier(
        *devices, listen_address(socket), ServiceOptionsFor(o), o, tls.get());
    if (!v.ok()) {
      Say(absl::StrCat("verifier: ", v.status().message()));
      return 1;
    }
    local = *std::move(v);
    local_workers = local->server.service->worker_threads();
    address = local->server.address;
  }

  // The floor, while the verifier is idle.
  absl::StatusOr<Floor> floor = MeasureFloor(*boot, o.floor_seconds, o);
  if (!floor.ok()) {
    Say(floor.status().message());
    return 1;
  }

  // The verifier's RSS keeps the heap high-water mark of the connection
  // burst (every agent attests at once: N event logs in flight). Releasing
  // the allocator's free pages (ReleaseFreeMemory, in the verifier's
  // process) separates what idle streams hold from what the allocator kept;
  // both are reported.
  auto trim = [&] {
    ReleaseFreeMemory();
    if (stop_fd >= 0) {
      char c;
      if (write(stop_fd, "t", 1) != 1 || read(ack_fd, &c, 1) != 1) {
        Say("verifier: no answer to trim");
      }
    }
  };
  trim();
  // Connect every agent; each is enrolled and attests once, then idles.
  const long server_rss_before = RssKib(server_pid);
  const long front_rss_before = RssKib(front.pid());
  const long self_rss_before = RssKib(0);
  std::vector<std::unique_ptr<v1::AttestationService::Stub>> stubs =
      MakeStubs(o.channels, address, tls.get());
  Recorder rec;
  Controller controller(&rec);
  const Steady::time_point connect_start = Steady::now();
  std::vector<std::unique_ptr<Agent>> agents =
      StartAgents(o.streams, *devices, *boot, controller, stubs);
  const bool all_ready = controller.WaitReady(o.streams, o.connect_timeout_s);
  const double connect_s =
      std::chrono::duration<double>(Steady::now() - connect_start).count();
  int exit_code = 0;
  nlohmann::ordered_json report;
  if (!all_ready) {
    Say(absl::StrCat("only some streams connected and attested (",
                     controller.failed(), " failed)"));
    exit_code = 1;
  } else {
    // Let the verifier's allocator settle after the connection burst.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const long server_rss_idle = RssKib(server_pid);
    const long front_rss_idle = RssKib(front.pid());
    trim();
    const long server_rss_live = RssKib(server_pid);
    const long self_rss_idle = RssKib(0);
    PhaseResult sat = RunClosedLoop(controller, rec, std::max(server_pid, 0),
                                    o.warmup_s, o.duration_s);
    controller.WaitIdle(o.streams, 300);
    const double rate =
        o.paced_rate > 0 ? o.paced_rate : o.paced_fraction * sat.per_second;
    PhaseResult paced = RunPaced(controller, rec, std::max(server_pid, 0), rate,
                                 o.duration_s, o.trace_path);
    controller.WaitIdle(o.streams, 300);
    const long server_rss_after = RssKib(server_pid);
    const long errors = rec.errors();
    if (errors > 0) exit_code = 1;
    // The transport baseline, after the verifier's phases (its agents stay
    // connected, idle).
    std::optional<PhaseResult> transport;
    if (echo.pid > 0) {
      absl::StatusOr<PhaseResult> t = RunTransportBaseline(
          o, echo, *devices, *boot, floor->pcr_mask, tls.get());
      if (t.ok()) {
        transport = *t;
      } else {
        Say(t.status().message());
        exit_code = 1;
      }
    }
    // CPU per attestation (per round for the echo), in µs; -1 when unknown.
    auto cpu_us = [](const PhaseResult& r) {
      return r.verifier_cores < 0 || r.per_second <= 0
                 ? -1.0
                 : r.verifier_cores * 1e6 / r.per_second;
    };
    const double verifier_us = cpu_us(sat);
    const double transport_us = transport ? cpu_us(*transport) : -1.0;
    // The floor's share of the verifier's CPU, and floor + transport's (the
    // most a verifier over this transport could reach); -1 when unknown.
    const double floor_cpu_percent =
        verifier_us > 0 ? 100 * floor->us() / verifier_us : -1.0;
    const double ceiling_cpu_percent =
        verifier_us > 0 && transport_us > 0
            ? 100 * (floor->us() + transport_us) / verifier_us
            : -1.0;

    const double floor_rate = floor->per_second();
    auto per_stream = [&](long before, long after) {
      return before < 0 || after < 0
                 ? -1.0
                 : static_cast<double>(after - before) / o.streams;
    };
    const double server_kib = per_stream(server_rss_before, server_rss_idle);
    const double server_live_kib =
        per_stream(server_rss_before, server_rss_live);
    const double client_kib = per_stream(self_rss_before, self_rss_idle);
    const double front_kib = per_stream(front_rss_before, front_rss_idle);
    // --front: HAProxy's CPU per attestation, in µs (-1: no front).
    const double front_us = sat.front_cores < 0 || sat.per_second <= 0
                                ? -1.0
                                : sat.front_cores * 1e6 / sat.per_second;
    // The pool the verifier runs: the service's own in this process; a
    // child's, built from the same options, by the same rule; 0: external
    // (its own configuration's).
    const size_t workers =
        local_workers > 0 ? local_workers
        : mode == "external"
            ? 0
            : service::WorkerThreads(ServiceOptionsFor(o), !o.store.empty(),
                                     std::thread::hardware_concurrency());
    report = {
        {"streams", o.streams},
        {"channels", o.channels},
        {"transport",
         o.front ? (o.front_unix_hop ? "TCP loopback, mutual TLS to HAProxy, "
                                       "unix socket to the verifier"
                                     : "TCP loopback, mutual TLS to HAProxy")
         : o.tls ? "TCP loopback, mutual TLS"
                 : "unix socket"},
        {"verifier", mode},
        {"store", StoreKind(o.store)},
        {"malloc", mode == "external" ? "" : std::string(MallocName())},
        {"workers", workers},
        {"policy", o.policy_path.empty() ? "built-in default" : o.policy_path},
        {"event_log", o.log_path},
        {"event_log_bytes", boot->log.size()},
        {"resend_log", o.resend_log},
        {"ima", o.ima},
        {"distinct_logs", o.distinct_logs},
        {"event_log_cache_mb",
         o.event_log_cache_mb >= 0
             ? o.event_log_cache_mb
             : static_cast<int64_t>(
                   service::EvidenceVerifier::kDefaultReplayCacheBytes >> 20)},
        {"connect_and_first_attestation_s", connect_s},
        {"errors", errors},
        {"saturation", ToJson(sat)},
        {"paced", ToJson(paced)},
        {"memory",
         {{"verifier_rss_before_kib", server_rss_before},
          {"verifier_rss_idle_kib", server_rss_idle},
          {"verifier_rss_idle_trimmed_kib", server_rss_live},
          {"verifier_rss_after_load_kib", server_rss_after},
          {"verifier_kib_per_stream", server_kib},
          {"verifier_kib_per_stream_trimmed", server_live_kib},
          {"loadgen_kib_per_stream",
           mode == "same process" ? -1.0 : client_kib}}},
        {"floor",
         {{"quote_verify_us", floor->quote_verify_us},
          {"token_sign_us", floor->token_sign_us},
          {"cores", floor->cores},
          {"attestations_per_s", floor_rate},
          {"in_process_attest_us", floor->core_attest_us},
          {"in_process_attest_held_log_us", floor->core_attest_held_log_us},
          {"agent_evidence_us", floor->agent_evidence_us},
          {"parse_replay_us", floor->parse_replay_us},
          {"events_json_us", floor->events_json_us},
          {"derive_claims_us", floor->derive_claims_us}}},
        {"percent_of_floor", 100 * sat.per_second / floor_rate},
        {"cpu",
         {{"verifier_us_per_attestation", verifier_us},
          {"floor_us", floor->us()},
          {"floor_all_cores_per_second", floor->all_cores_per_second},
          {"floor_all_cores_us", floor->all_cores_us},
          {"floor_percent_of_verifier_cpu", floor_cpu_percent}}}};
    if (o.front) {
      report["front"] = {
          {"kind", "haproxy"},
          {"rss_before_kib", front_rss_before},
          {"rss_idle_kib", front_rss_idle},
          {"kib_per_agent", front_kib},
          {"us_per_attestation", front_us},
          {"verifier_plus_front_kib_per_agent", server_kib + front_kib},
          {"verifier_plus_front_us_per_attestation", verifier_us + front_us}};
    }
    if (transport) {
      report["transport_baseline"] = ToJson(*transport);
      report["cpu"]["transport_us_per_round"] = transport_us;
      report["cpu"]["floor_plus_transport_percent_of_verifier_cpu"] =
          ceiling_cpu_percent;
    }

    std::cout << absl::StrFormat(
        "vigil-loadgen: %d streams over %d connection(s) (%s), verifier in "
        "%s (store: %s; policy: %s; malloc: %s; workers: %s), %s (%zu "
        "bytes%s)\n",
        o.streams, o.channels,
        o.front ? absl::StrCat("TCP loopback, mutual TLS ending at HAProxy, "
                               "then plaintext HTTP/2 on ",
                               o.front_unix_hop ? "a unix socket" : "loopback")
        : o.tls ? "TCP loopback, mutual TLS"
                : "unix socket",
        mode, StoreKind(o.store),
        o.policy_path.empty() ? "built-in default" : o.policy_path,
        mode == "external" ? absl::string_view("the verifier's own")
                           : MallocName(),
        workers == 0 ? std::string("the verifier's own")
                     : absl::StrCat(workers),
        o.log_path, boot->log.size(),
        absl::StrCat(
            o.resend_log ? ", sent every round" : "",
            o.distinct_logs ? ", one of its own per device" : "",
            o.ima ? "; PCR 10 moves every round (--ima)" : "",
            o.event_log_cache_mb >= 0
                ? absl::StrCat("; event_log_cache_mb ", o.event_log_cache_mb)
                : ""));
    std::cout << absl::StrFormat(
        "  connect + enrolled + first attestation: %.2f s; errors (denials, "
        "broken streams): %ld; rounds in the windows that sent the whole log: "
        "%.1f%% (saturation), %.1f%% (paced), of them asked again for it: "
        "%.1f%%, %.1f%%\n",
        connect_s, errors, sat.log_resent_percent, paced.log_resent_percent,
        sat.log_asked_percent, paced.log_asked_percent);
    std::cout << absl::StrFormat("  %-34s %10s %9s %9s %9s %9s %9s\n", "phase",
                                 "att/s", "p50 ms", "p99 ms", "max ms",
                                 "CPU ver", "CPU gen");
    // CPU columns: cores busy in the window (verifier, load generator).
    auto row = [](const std::string& name, const PhaseResult& r) {
      return absl::StrFormat("  %-34s %10.0f %9.2f %9.2f %9.2f %9.2f %9.2f\n",
                             name, r.per_second, r.p50_ms, r.p99_ms, r.max_ms,
                             r.verifier_cores, r.loadgen_cores);
    };
    std::cout << row("saturation (back to back)", sat);
    std::cout << row(absl::StrFormat("paced at %.0f/s offered", rate), paced);
    if (transport) {
      std::cout << row("transport alone (echo, no checks)", *transport);
    }
    if (paced.not_sent > 0) {
      std::cout << absl::StrFormat(
          "  (paced: %ld releases found no idle agent)\n", paced.not_sent);
    }
    if (paced.stalls.has_value()) {
      const StallSummary& st = *paced.stalls;
      std::cout << absl::StrFormat(
          "  paced, stall probe (%s, 1 ms ticks per CPU): %ld stalls over "
          "5 ms (longest %.1f ms, %.1f ms in all); the %ld attestations in "
          "flight during none: %s\n",
          st.realtime ? "SCHED_FIFO" : "normal priority: our load counts too",
          st.count, st.max_ms, st.total_ms, st.attestations_outside,
          st.attestations_outside == 0
              ? std::string("n/a")
              : absl::StrFormat("p99 %.2f ms, max %.2f ms", st.p99_outside_ms,
                                st.max_outside_ms));
    }
    std::cout << absl::StrFormat(
        "  floor: quote verify %.1f us + token sign %.1f us, x %d cores = "
        "%.0f att/s; saturation = %.1f%% of the floor\n",
        floor->quote_verify_us, floor->token_sign_us, floor->cores, floor_rate,
        100 * sat.per_second / floor_rate);
    std::cout << absl::StrFormat(
        "  the floor on all %d cores at once: %.0f att/s, %.1f us of CPU per "
        "attestation%s\n",
        floor->cores, floor->all_cores_per_second, floor->all_cores_us,
        verifier_us > 0
            ? absl::StrFormat(" = %.1f%% of the verifier's",
                              100 * floor->all_cores_us / verifier_us)
            : std::string());
    if (floor_cpu_percent >= 0) {
      std::cout << absl::StrFormat(
          "  by CPU: the verifier spends %.0f us per attestation; the floor's "
          "%.0f us is %.1f%% of it\n",
          verifier_us, floor->us(), floor_cpu_percent);
    }
    if (ceiling_cpu_percent >= 0) {
      std::cout << absl::StrFormat(
          "  the transport alone (the echo) spends %.0f us per round: floor + "
          "transport = %.0f us = %.1f%% of the verifier's; the verifier's own "
          "work over gRPC %.0f us\n",
          transport_us, floor->us() + transport_us, ceiling_cpu_percent,
          verifier_us - transport_us);
    }
    std::cout << absl::StrFormat(
        "  beside it (single-threaded, no gRPC): the verifier's whole "
        "attestation %.1f us (%.1f us with the log held); the agent's "
        "evidence %.1f us\n",
        floor->core_attest_us, floor->core_attest_held_log_us,
        floor->agent_evidence_us);
    std::cout << absl::StrFormat(
        "    of the attestation: parse + replay %.1f us, `events` claim JSON "
        "%.1f us, derived claims %.1f us\n",
        floor->parse_replay_us, floor->events_json_us, floor->derive_claims_us);
    std::cout << absl::StrFormat(
        "  verifier RSS: %ld KiB before, %ld KiB with %d idle streams -> "
        "%.1f KiB/stream%s\n",
        server_rss_before, server_rss_idle, o.streams, server_kib,
        mode == "same process" ? " (includes the client side)" : "");
    std::cout << absl::StrFormat(
        "  after releasing free memory: %ld KiB -> %.1f KiB/stream (live; "
        "the rest is heap kept from the connection burst)\n",
        server_rss_live, server_live_kib);
    if (o.front) {
      std::cout << absl::StrFormat(
          "  front (haproxy): RSS %ld KiB before, %ld KiB with %d idle agents "
          "-> %.1f KiB/agent; %.2f cores in the saturation window = %.0f us "
          "per attestation\n"
          "  verifier + front: %.1f KiB per agent, %.0f us of CPU per "
          "attestation\n",
          front_rss_before, front_rss_idle, o.streams, front_kib,
          sat.front_cores, front_us, server_kib + front_kib,
          verifier_us + front_us);
    }
    if (mode == "child process") {
      std::cout << absl::StrFormat(
          "  load generator RSS (client side): %.1f KiB/stream\n", client_kib);
    }
  }

  StopAgents(agents);
  stubs.clear();
  echo.Stop();
  if (stop_fd >= 0) {
    close(stop_fd);
    close(ack_fd);
    int status = 0;
    waitpid(server_pid, &status, 0);
  }
  if (local != nullptr) local->Shutdown();
  unlink(socket.c_str());
  if (!o.json_path.empty() && !report.is_null()) {
    std::ofstream out(o.json_path);
    out << report.dump(2) << "\n";
    if (!out) {
      Say(absl::StrCat(o.json_path, ": cannot write"));
      return 1;
    }
  }
  return exit_code;
}

}  // namespace
}  // namespace vigil::loadgen

int main(int argc, char** argv) {
  // As the daemons run (common/mutex_mode.h).
  vigil::DisableMutexDeadlockDetection();
  vigil::loadgen::Options o;
  if (!vigil::loadgen::ParseOptions(argc, argv, o)) return 2;
  return vigil::loadgen::Run(o);
}
