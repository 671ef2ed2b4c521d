// End to end (issue #5 §5): the real daemons as processes. An swtpm
// re-enacts a recorded boot; vigil-verifier serves gRPC over TLS and the
// relying-party endpoint over HTTPS (certificates from a CA made here);
// vigil-agent enrols by credential activation and attests; an independent
// JWT library (python3-jwt's PyJWKClient) validates the token through the
// JWKS URL. Then the faults: verifier restarted under a running agent, and a
// policy reload that makes connected agents re-attest.
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/encoding.h"
#include "common/posix_ids.h"
#include "common/status_macros.h"
#include "common/testing/loopback_port.h"
#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "eventlog/parser.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "service/control/jws_writer.h"
#include "tests/swtpm/boot_reenactment.h"
#include "tests/swtpm/postgres_server.h"
#include "tests/swtpm/subprocess.h"
#include "tests/swtpm/swtpm_ca.h"
#include "tests/swtpm/swtpm_instance.h"
#include "tests/swtpm/tls_record_relay.h"
#include "tools/loadgen/haproxy_front.h"
#include "vigil/v1/admin_service.grpc.pb.h"

namespace vigil::testing {
namespace {

using ::testing::HasSubstr;

std::string Bin(const std::string& name) {
  return std::string(VIGIL_BINARY_DIR) + "/bin/" + name;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

// How many times `needle` occurs in `text`.
int Occurrences(const std::string& text, const std::string& needle) {
  int found = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1)) {
    ++found;
  }
  return found;
}

// Waits until `p`'s log holds `needle` `n` times. Fails with
// kDeadlineExceeded (with the log) after `timeout`.
absl::Status WaitForCount(const BackgroundProcess& p, const std::string& needle,
                          int n, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const std::string log = p.Log();
    const int found = Occurrences(log, needle);
    if (found >= n) return absl::OkStatus();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(found, " of ", n, " \"", needle, "\" within ",
                       absl::FormatDuration(timeout), ":\n", log));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

absl::Status Openssl(std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  return RunCommandOk(args);
}

// A test CA and a P-256 server certificate for 127.0.0.1.
absl::Status MakeTls(const TempDir& dir) {
  RETURN_IF_ERROR(Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt",
                           "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                           dir.Join("ca.key"), "-out", dir.Join("ca.pem"),
                           "-subj", "/CN=Vigil E2E Test CA", "-days", "2"}));
  RETURN_IF_ERROR(
      Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
               "-nodes", "-keyout", dir.Join("server.key"), "-out",
               dir.Join("server.csr"), "-subj", "/CN=127.0.0.1"}));
  RETURN_IF_ERROR(
      WriteFile(dir.Join("san.ext"), "subjectAltName=IP:127.0.0.1\n"));
  return Openssl({"x509", "-req", "-in", dir.Join("server.csr"), "-CA",
                  dir.Join("ca.pem"), "-CAkey", dir.Join("ca.key"),
                  "-CAcreateserial", "-out", dir.Join("server.pem"), "-days",
                  "2", "-extfile", dir.Join("san.ext")});
}

// A P-256 client certificate `name`.pem/.key for mutual TLS, issued by the
// CA `ca` (ca.pem/ca.key in `dir`, or another made with MakeCa).
absl::Status MakeClientCert(const TempDir& dir, const std::string& ca,
                            const std::string& name) {
  RETURN_IF_ERROR(
      Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
               "-nodes", "-keyout", dir.Join(name + ".key"), "-out",
               dir.Join(name + ".csr"), "-subj", "/CN=" + name}));
  return Openssl({"x509", "-req", "-in", dir.Join(name + ".csr"), "-CA",
                  dir.Join(ca + ".pem"), "-CAkey", dir.Join(ca + ".key"),
                  "-CAcreateserial", "-out", dir.Join(name + ".pem"), "-days",
                  "2"});
}

// A unix datagram socket standing in for systemd's NOTIFY_SOCKET
// (sd_notify(3)): collects what a daemon reports.
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    path_.copy(a.sun_path, sizeof(a.sun_path) - 1);
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~NotifySocket() { close(fd_); }
  bool bound() const { return bound_; }
  std::string env() const { return "NOTIFY_SOCKET=" + path_; }

  // Reads datagrams until one contains `needle` (returned) or `timeout`
  // passes (kDeadlineExceeded listing everything received).
  absl::StatusOr<std::string> WaitFor(const std::string& needle,
                                      absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    for (size_t i = seen_; i < received_.size(); ++i) {
      if (absl::StrContains(received_[i], needle)) {
        seen_ = i + 1;
        return received_[i];
      }
    }
    seen_ = received_.size();
    while (absl::Now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) != 1) continue;
      char buf[4096];
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) continue;
      received_.emplace_back(buf, static_cast<size_t>(n));
      seen_ = received_.size();
      if (absl::StrContains(received_.back(), needle)) return received_.back();
    }
    return absl::DeadlineExceededError(absl::StrCat(
        "no \"", needle, "\" in: ", absl::StrJoin(received_, " | ")));
  }

  // How many datagrams so far contained `needle`.
  int Count(const std::string& needle) const {
    int n = 0;
    for (const std::string& r : received_) n += absl::StrContains(r, needle);
    return n;
  }

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
  std::vector<std::string> received_;
  size_t seen_ = 0;
};

// A fresh P-256 token-signing key (PKCS#8 PEM) at `path`.
absl::Status MakeTokenKey(const std::string& path) {
  return Openssl({"genpkey", "-algorithm", "EC", "-pkeyopt",
                  "ec_paramgen_curve:P-256", "-out", path});
}

struct Case {
  std::string name;
  std::string log;
  bool secure_boot;
};

// gtest prints the case by name, not as bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class EndToEnd : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(SwtpmCa * ca, SwtpmCa::ForProcess());
    ASSERT_OK_AND_ASSIGN(TempDir dir, TempDir::Create("vigil-e2e"));
    dir_.emplace(std::move(dir));
    ASSERT_OK(MakeTls(*dir_));
    ASSERT_OK(MakeTokenKey(dir_->Join("token.key")));
    std::filesystem::create_directories(dir_->Join("policies"));
    // The device's boot.
    log_bytes_ =
        ReadFileBytes(SourcePath("eventlog/testdata/corpus/" + GetParam().log));
    ASSERT_OK(WriteFile(dir_->Join("boot.log"),
                        std::string(log_bytes_.begin(), log_bytes_.end())));
    ASSERT_OK_AND_ASSIGN(eventlog::EventLog log, eventlog::Parse(log_bytes_));
    ASSERT_OK_AND_ASSIGN(swtpm_, StartSwtpmWithBootLog(log));
    // Trust bundle: the swtpm CA that issued the EK certificates (its files
    // exist once the first swtpm was provisioned).
    std::filesystem::create_directories(dir_->Join("ek-roots"));
    ASSERT_OK(WriteFile(dir_->Join("ek-roots/swtpm-root.pem"),
                        ReadAll(ca->root_cert_path())));
    ASSERT_OK(WriteFile(dir_->Join("ek-roots/swtpm-intermediate.pem"),
                        ReadAll(ca->intermediate_cert_path())));
    https_port_ = FreePort();
    issuer_ = absl::StrCat("https://127.0.0.1:", https_port_);
  }

  void WritePolicy(const std::string& text) {
    ASSERT_OK(WriteFile(dir_->Join("policies/Tpm.policy"), text));
  }

  // Starts vigil-verifier; returns its gRPC address.
  absl::StatusOr<std::string> StartVerifier() {
    RETURN_IF_ERROR(WriteFile(
        dir_->Join("verifier.conf"),
        absl::StrCat(
            "listen = ",
            grpc_listen_.empty() ? absl::StrCat("127.0.0.1:", grpc_port_)
                                 : grpc_listen_,
            "\n", "tls_cert = ", dir_->Join("server.pem"), "\n",
            "tls_key = ", dir_->Join("server.key"), "\n",
            "http_listen = 127.0.0.1:", https_port_, "\n", "issuer = ", issuer_,
            "\n", "ek_trust_dir = ", dir_->Join("ek-roots"), "\n",
            "policy = ", dir_->Join("policies"), "\n",
            "signing_key = ", dir_->Join("token.key"), "\n",
            "reattest_interval = 1h\n", extra_verifier_conf_)));
    ASSIGN_OR_RETURN(
        BackgroundProcess p,
        BackgroundProcess::Start(
            {Bin("vigil-verifier"), "--config", dir_->Join("verifier.conf")},
            dir_->Join(absl::StrCat("verifier-", ++starts_, ".log")),
            verifier_env_));
    verifier_.emplace(std::move(p));
    ASSIGN_OR_RETURN(std::string line,
                     verifier_->WaitForLine("listening on", absl::Seconds(20)));
    const std::string addr = line.substr(line.find("listening on ") + 13);
    const std::string host_port = addr.substr(0, addr.find(' '));
    if (!absl::StartsWith(host_port, "unix:")) {
      grpc_port_ = std::stoi(host_port.substr(host_port.rfind(':') + 1));
    }
    return host_port;
  }

  // A second vigil-verifier ("verifier-<name>"): this test's TLS files,
  // trust bundle, policies and token key, its own gRPC port (no HTTPS) and
  // `extra` configuration. Returns the process and its gRPC address.
  absl::StatusOr<std::pair<BackgroundProcess, std::string>> StartOtherVerifier(
      const std::string& name, const std::string& extra) {
    const std::string conf = dir_->Join("verifier-" + name + ".conf");
    RETURN_IF_ERROR(WriteFile(
        conf,
        absl::StrCat("listen = 127.0.0.1:0\n",
                     "tls_cert = ", dir_->Join("server.pem"), "\n",
                     "tls_key = ", dir_->Join("server.key"), "\n", "issuer = ",
                     issuer_, "\n", "ek_trust_dir = ", dir_->Join("ek-roots"),
                     "\n", "policy = ", dir_->Join("policies"), "\n",
                     "signing_key = ", dir_->Join("token.key"), "\n", extra)));
    ASSIGN_OR_RETURN(
        BackgroundProcess p,
        BackgroundProcess::Start({Bin("vigil-verifier"), "--config", conf},
                                 dir_->Join("verifier-" + name + ".log")));
    ASSIGN_OR_RETURN(std::string line,
                     p.WaitForLine("listening on", absl::Seconds(20)));
    std::string addr = line.substr(line.find("listening on ") + 13);
    addr = addr.substr(0, addr.find(' '));
    return std::make_pair(std::move(p), addr);
  }

  absl::Status WriteAgentConfig(const std::string& verifier,
                                const std::string& extra = "") {
    return WriteFile(dir_->Join("agent.conf"),
                     absl::StrCat("verifier = ", verifier, "\n",
                                  "tls_ca = ", dir_->Join("ca.pem"), "\n",
                                  "tcti = ", swtpm_->tcti(), "\n",
                                  "event_log = ", dir_->Join("boot.log"), "\n",
                                  "token_file = ", dir_->Join("token"), "\n",
                                  "backoff_min = 200ms\nbackoff_max = 1s\n",
                                  "user = root\n", extra));
  }

  // stranger.pem/.key: a client certificate from a CA of its own
  // (other-ca.pem), which no listener here trusts.
  absl::Status MakeStrangerCert() {
    RETURN_IF_ERROR(Openssl(
        {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", dir_->Join("other-ca.key"), "-out",
         dir_->Join("other-ca.pem"), "-subj", "/CN=Other CA", "-days", "2"}));
    return MakeClientCert(*dir_, "other-ca", "stranger");
  }

  // agent.conf's lines for the client certificate `name`.pem/.key.
  std::string ClientCertConf(const std::string& name) const {
    return absl::StrCat("tls_cert = ", dir_->Join(name + ".pem"), "\n",
                        "tls_key = ", dir_->Join(name + ".key"), "\n");
  }

  // vigil-agent --once with agent.conf.
  absl::StatusOr<CommandResult> RunAgentOnce() {
    return RunCommand(
        {Bin("vigil-agent"), "--config", dir_->Join("agent.conf"), "--once"},
        absl::Seconds(120));
  }

  absl::StatusOr<nlohmann::json> RelyingPartyCheck(
      const std::string& token_file = "token") {
    ASSIGN_OR_RETURN(
        CommandResult r,
        RunCommand({"env", absl::StrCat("SSL_CERT_FILE=", dir_->Join("ca.pem")),
                    "/usr/bin/python3", SourcePath("tests/e2e/verify_token.py"),
                    issuer_, dir_->Join(token_file)}));
    if (r.exit_code != 0) return absl::UnauthenticatedError(r.output);
    return nlohmann::json::parse(r.output);
  }

  // The samples at `url` as tests/e2e/scrape_metrics.py (Prometheus'
  // Python client) parsed them, or kUnavailable with its reason.
  absl::StatusOr<nlohmann::json> Scrape(const std::string& url,
                                        const std::string& client = "") {
    std::vector<std::string> argv = {
        "env", absl::StrCat("SSL_CERT_FILE=", dir_->Join("ca.pem")),
        "/usr/bin/python3", SourcePath("tests/e2e/scrape_metrics.py"), url};
    if (!client.empty()) {
      argv.push_back(dir_->Join(client + ".pem"));
      argv.push_back(dir_->Join(client + ".key"));
    }
    ASSIGN_OR_RETURN(CommandResult r, RunCommand(argv));
    if (r.exit_code != 0) return absl::UnavailableError(r.output);
    return nlohmann::json::parse(r.output);
  }

  // The token file's contents once they differ from `previous` (the agent
  // writes it atomically after the verifier logged the result), or
  // `previous` after 60 s.
  std::string WaitForNewToken(const std::string& previous) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    std::string now = ReadAll(dir_->Join("token"));
    while ((now == previous || now.empty()) && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(50));
      now = ReadAll(dir_->Join("token"));
    }
    return now;
  }

  std::optional<TempDir> dir_;
  std::vector<uint8_t> log_bytes_;
  std::unique_ptr<SwtpmInstance> swtpm_;
  std::optional<BackgroundProcess> verifier_;
  std::string extra_verifier_conf_;        // appended to verifier.conf
  std::vector<std::string> verifier_env_;  // KEY=VALUE for vigil-verifier
  int starts_ = 0;                         // one log file per verifier process
  int https_port_ = 0;
  int grpc_port_ = 0;
  std::string grpc_listen_;  // `listen` instead of 127.0.0.1:grpc_port_
  std::string issuer_;
};

constexpr char kPolicy[] = R"(version=1.2;
authorizationrules
{
    [type=="aikValidated", value==true] => permit();
};
issuancerules
{
    c:[type=="secureBootEnabled", issuer=="AttestationService"] => issue(claim=c);
    c:[type=="tpmVersion", issuer=="AttestationService"] => issue(claim=c);
};
)";

TEST_P(EndToEnd, AgentEnrolsAttestsAndARelyingPartyValidatesTheToken) {
  WritePolicy(kPolicy);
  ASSERT_OK_AND_ASSIGN(std::string addr, StartVerifier());
  ASSERT_OK(WriteAgentConfig(addr));
  ASSERT_OK_AND_ASSIGN(CommandResult once,
                       RunCommand({Bin("vigil-agent"), "--config",
                                   dir_->Join("agent.conf"), "--once"},
                                  absl::Seconds(120)));
  ASSERT_EQ(once.exit_code, 0) << once.output << "\n--- verifier:\n"
                               << verifier_->Log();
  EXPECT_THAT(once.output, HasSubstr("permitted: true"));
  // A permitted round's warnings are notes, not reasons. The Linux boot has
  // no Windows boot manager, so its SVN claims are not derived.
  EXPECT_THAT(once.output, ::testing::Not(HasSubstr("reason: ")));
  if (GetParam().name == "Linux") {
    EXPECT_THAT(once.output, HasSubstr("note: claims/underivable: "));
  }

  ASSERT_OK_AND_ASSIGN(nlohmann::json claims, RelyingPartyCheck());
  EXPECT_EQ(claims["iss"], issuer_);
  EXPECT_EQ(claims["x-ms-attestation-type"], "tpm");
  EXPECT_EQ(claims["x-ms-policy"]["secureBootEnabled"], GetParam().secure_boot);
  EXPECT_EQ(claims["x-ms-policy"]["tpmVersion"], 2);
  EXPECT_EQ(claims["x-vigil-device"]["aik_validated"], true);
  EXPECT_EQ(claims["sub"].get<std::string>().size(), 64u);

  // vigilctl token verify agrees, through the same metadata and JWKS.
  auto vigilctl_verify = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {
        Bin("vigilctl"), "token", "verify",   "@" + dir_->Join("token"),
        "--issuer",      issuer_, "--format", "json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv);
  };
  ASSERT_OK_AND_ASSIGN(CommandResult ctl,
                       vigilctl_verify({"--ca", dir_->Join("ca.pem")}));
  ASSERT_EQ(ctl.exit_code, 0) << ctl.output;
  const nlohmann::json ctl_out =
      nlohmann::json::parse(ctl.output.substr(ctl.output.find('{')));
  EXPECT_EQ(ctl_out["claims"]["jti"], claims["jti"]);
  EXPECT_EQ(ctl_out["claims"]["x-ms-attestation-type"], "tpm");
  // Without the CA that signed the endpoint's certificate: not trusted.
  ASSERT_OK_AND_ASSIGN(CommandResult untrusted, vigilctl_verify({}));
  EXPECT_EQ(untrusted.exit_code, 69) << untrusted.output;
  EXPECT_THAT(untrusted.output, HasSubstr("server certificate"));

  // A token altered after signing is refused by the same relying party.
  std::string token = ReadAll(dir_->Join("token"));
  token[token.size() / 2] = token[token.size() / 2] == 'A' ? 'B' : 'A';
  ASSERT_OK(WriteFile(dir_->Join("token"), token));
  EXPECT_THAT(RelyingPartyCheck(), StatusIs(absl::StatusCode::kUnauthenticated,
                                            HasSubstr("token rejected")));
  ASSERT_OK_AND_ASSIGN(CommandResult tampered,
                       vigilctl_verify({"--ca", dir_->Join("ca.pem")}));
  EXPECT_EQ(tampered.exit_code, 3) << tampered.output;
  EXPECT_THAT(tampered.output, HasSubstr("token refused"));
}

TEST_P(EndToEnd, AgentSurvivesAVerifierRestartAndReattestsOnPolicyReload) {
  WritePolicy(kPolicy);
  ASSERT_OK_AND_ASSIGN(std::string addr, StartVerifier());
  ASSERT_OK(WriteAgentConfig(addr));
  ASSERT_OK_AND_ASSIGN(BackgroundProcess agent,
                       BackgroundProcess::Start({Bin("vigil-agent"), "--config",
                                                 dir_->Join("agent.conf")},
                                                dir_->Join("agent.log")));
  ASSERT_OK(verifier_->WaitForLine("attested", absl::Seconds(60)).status())
      << agent.Log();
  const std::string first = WaitForNewToken("");
  ASSERT_FALSE(first.empty()) << agent.Log();

  // Policy reload and signing-key rotation on one SIGHUP: connected agents
  // are asked to re-attest; the new token carries the new policy's hash and
  // the new key's kid, and the token signed with the old key still
  // validates (the old key stays in the JWKS).
  ASSERT_OK(WriteFile(dir_->Join("first.token"), first));
  WritePolicy(std::string(kPolicy) + "// reloaded\n");
  ASSERT_OK(MakeTokenKey(dir_->Join("token.key")));
  verifier_->Signal(SIGHUP);
  ASSERT_OK(
      verifier_->WaitForLine("policies reloaded", absl::Seconds(20)).status());
  ASSERT_OK(verifier_->WaitForLine("signing key rotated", absl::Seconds(20))
                .status());
  const std::string second = WaitForNewToken(first);
  ASSERT_NE(second, first) << agent.Log();
  ASSERT_OK(RelyingPartyCheck("first.token").status());
  ASSERT_OK_AND_ASSIGN(nlohmann::json claims, RelyingPartyCheck());
  const std::string hash_after_reload = claims["x-ms-policy-hash"];

  // Verifier restart (same port): the agent reconnects with backoff,
  // re-enrols (the new process knows no devices) and attests again.
  verifier_->Signal(SIGTERM);
  ASSERT_OK_AND_ASSIGN(int code, verifier_->Wait(absl::Seconds(20)));
  EXPECT_EQ(code, 0);
  verifier_.reset();
  ASSERT_OK(StartVerifier().status());
  ASSERT_OK(verifier_->WaitForLine("attested", absl::Seconds(60)).status())
      << agent.Log() << "\n--- verifier:\n"
      << verifier_->Log();
  EXPECT_NE(WaitForNewToken(second), second);
  ASSERT_OK_AND_ASSIGN(nlohmann::json after, RelyingPartyCheck());
  EXPECT_EQ(after["x-ms-policy-hash"], hash_after_reload);

  agent.Signal(SIGTERM);
  ASSERT_OK_AND_ASSIGN(int agent_code, agent.Wait(absl::Seconds(20)));
  EXPECT_EQ(agent_code, 0) << agent.Log();
}

TEST_P(EndToEnd, AgentBacksOffWhileTheTpmIsDownAndRecoversAfterReboot) {
  WritePolicy(kPolicy);
  ASSERT_OK_AND_ASSIGN(std::string addr, StartVerifier());
  ASSERT_OK(WriteAgentConfig(addr));
  ASSERT_OK_AND_ASSIGN(BackgroundProcess agent,
                       BackgroundProcess::Start({Bin("vigil-agent"), "--config",
                                                 dir_->Join("agent.conf")},
                                                dir_->Join("agent.log")));
  const std::string first = WaitForNewToken("");
  ASSERT_FALSE(first.empty()) << agent.Log();

  // The TPM dies; a policy change makes the verifier ask for evidence the
  // agent cannot produce.
  swtpm_->Kill();
  WritePolicy(std::string(kPolicy) + "// changed while the TPM is down\n");
  verifier_->Signal(SIGHUP);
  ASSERT_OK(
      verifier_->WaitForLine("policies reloaded", absl::Seconds(20)).status());
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(ReadAll(dir_->Join("token")), first);  // nothing new without a TPM

  // The machine "reboots": the TPM comes back and the firmware measures the
  // same boot again. The agent reconnects, sees the new resetCount and
  // attests.
  ASSERT_OK(swtpm_->Restart());
  ASSERT_OK_AND_ASSIGN(eventlog::EventLog log, eventlog::Parse(log_bytes_));
  ASSERT_OK(ReenactBootLog(*swtpm_, log).status());
  const std::string after = WaitForNewToken(first);
  ASSERT_NE(after, first) << agent.Log();
  EXPECT_THAT(agent.Log(), HasSubstr("backoff"));
  ASSERT_OK(RelyingPartyCheck().status());

  agent.Signal(SIGTERM);
  ASSERT_OK_AND_ASSIGN(int agent_code, agent.Wait(absl::Seconds(20)));
  EXPECT_EQ(agent_code, 0) << agent.Log();
}

// The daemon-integration tests need one boot, not every one.
class EndToEndDaemons : public EndToEnd {
 protected:
  // HAProxy from the shipped example (docs/VERIFIER.md, "Large fleets"),
  // with this test's files and a free port, in front of the verifier at
  // `verifier_addr` (which has `listen_tls = front`); sets front_addr_.
  // A non-empty `stream_timeout` replaces the example's `timeout client`
  // and `timeout server` (2h). Fails when the example lacks those lines or
  // HAProxy does not listen within 10 s (with its log).
  absl::StatusOr<BackgroundProcess> StartFront(
      const std::string& verifier_addr,
      const std::string& stream_timeout = "") {
    // The server certificate agents trust, then its key.
    RETURN_IF_ERROR(WriteFile(dir_->Join("front.pem"),
                              absl::StrCat(ReadAll(dir_->Join("server.pem")),
                                           ReadAll(dir_->Join("server.key")))));
    const std::string example =
        ReadAll(SourcePath(loadgen::kHaproxyFrontExample));
    const int port = FreePort();
    ASSIGN_OR_RETURN(std::string cfg,
                     loadgen::HaproxyFrontConfig(
                         example, {.bind = absl::StrCat("127.0.0.1:", port),
                                   .certificate = dir_->Join("front.pem"),
                                   .client_ca = dir_->Join("ca.pem"),
                                   .verifier = verifier_addr,
                                   .max_connections = 100,
                                   .keep_identity = geteuid() != 0}));
    if (!stream_timeout.empty()) {
      for (const char* side : {"client", "server"}) {
        const std::string line = absl::StrCat("timeout ", side, " 2h\n");
        const size_t at = cfg.find(line);
        if (at == std::string::npos) {
          return absl::FailedPreconditionError(
              absl::StrCat("the example has no \"", line, "\""));
        }
        cfg.replace(at, line.size(),
                    absl::StrCat("timeout ", side, " ", stream_timeout, "\n"));
      }
    }
    RETURN_IF_ERROR(WriteFile(dir_->Join("haproxy.cfg"), cfg));
    ASSIGN_OR_RETURN(BackgroundProcess front,
                     BackgroundProcess::Start(
                         {"haproxy", "-db", "-f", dir_->Join("haproxy.cfg")},
                         dir_->Join("haproxy.log")));
    if (absl::Status s = WaitForLoopbackPort(port, absl::Seconds(10));
        !s.ok()) {
      return absl::Status(s.code(),
                          absl::StrCat(s.message(), "\n", front.Log()));
    }
    front_addr_ = absl::StrCat("127.0.0.1:", port);
    return front;
  }

  struct FrontedAgent {
    BackgroundProcess front;
    BackgroundProcess agent;
  };
  // A verifier with `listen_tls = front`, HAProxy in front of it
  // (StartFront with `stream_timeout`), and a vigil-agent daemon with a
  // client certificate from the agents' CA and `agent_extra` in its
  // agent.conf, connected through the front.
  absl::StatusOr<FrontedAgent> StartFrontedAgent(
      const std::string& stream_timeout, const std::string& agent_extra = "") {
    RETURN_IF_ERROR(MakeClientCert(*dir_, "ca", "agent"));
    extra_verifier_conf_ = "listen_tls = front\n";
    ASSIGN_OR_RETURN(std::string verifier_addr, StartVerifier());
    ASSIGN_OR_RETURN(BackgroundProcess front,
                     StartFront(verifier_addr, stream_timeout));
    RETURN_IF_ERROR(WriteAgentConfig(
        front_addr_, absl::StrCat(ClientCertConf("agent"), agent_extra)));
    ASSIGN_OR_RETURN(BackgroundProcess agent,
                     BackgroundProcess::Start({Bin("vigil-agent"), "--config",
                                               dir_->Join("agent.conf")},
                                              dir_->Join("agent.log")));
    return FrontedAgent{std::move(front), std::move(agent)};
  }

  // One `vigil-agent --once` with a certificate from the agents' CA
  // through the front at front_addr_. Fails unless the agent exits 0,
  // permitted, and its token passes the relying party's check; the error
  // carries the agent's output and the verifier's and the front's logs.
  absl::Status AttestOnceThroughFront(BackgroundProcess& front) {
    RETURN_IF_ERROR(WriteAgentConfig(front_addr_, ClientCertConf("agent")));
    ASSIGN_OR_RETURN(CommandResult r, RunAgentOnce());
    if (r.exit_code != 0 || !absl::StrContains(r.output, "permitted: true")) {
      return absl::InternalError(absl::StrCat(
          "agent exit ", r.exit_code, ": ", r.output, "\n--- verifier:\n",
          verifier_->Log(), "\n--- front:\n", front.Log()));
    }
    return RelyingPartyCheck().status();
  }

  std::string front_addr_;
};

// Under systemd (Type=notify): both daemons report readiness and status on
// NOTIFY_SOCKET, the agent pings the watchdog at half of WATCHDOG_USEC, a
// SIGHUP shows as RELOADING=1 then READY=1, SIGTERM as STOPPING=1.
TEST_P(EndToEndDaemons, DaemonsReportToTheServiceManager) {
  WritePolicy(kPolicy);
  NotifySocket verifier_notify(dir_->Join("verifier.notify"));
  NotifySocket agent_notify(dir_->Join("agent.notify"));
  ASSERT_TRUE(verifier_notify.bound() && agent_notify.bound());
  verifier_env_ = {verifier_notify.env()};
  ASSERT_OK_AND_ASSIGN(std::string addr, StartVerifier());
  ASSERT_OK_AND_ASSIGN(std::string ready,
                       verifier_notify.WaitFor("READY=1", absl::Seconds(10)));
  EXPECT_THAT(ready, HasSubstr("STATUS=serving on " + addr));

  ASSERT_OK(WriteAgentConfig(addr));
  ASSERT_OK_AND_ASSIGN(
      BackgroundProcess agent,
      BackgroundProcess::Start(
          {Bin("vigil-agent"), "--config", dir_->Join("agent.conf")},
          dir_->Join("agent.log"),
          {agent_notify.env(), "WATCHDOG_USEC=1000000"}));
  ASSERT_OK(agent_notify.WaitFor("READY=1", absl::Seconds(60)).status())
      << agent.Log();
  ASSERT_OK(
      agent_notify.WaitFor("STATUS=attesting", absl::Seconds(60)).status())
      << agent.Log();
  // WatchdogSec=1s: a ping at least every 500 ms while the loop runs.
  ASSERT_OK(agent_notify.WaitFor("WATCHDOG=1", absl::Seconds(2)).status());
  ASSERT_OK(agent_notify.WaitFor("WATCHDOG=1", absl::Seconds(2)).status());
  EXPECT_GE(agent_notify.Count("WATCHDOG=1"), 2);

  verifier_->Signal(SIGHUP);
  ASSERT_OK(verifier_notify.WaitFor("RELOADING=1", absl::Seconds(10)).status());
  ASSERT_OK(verifier_notify.WaitFor("READY=1", absl::Seconds(10)).status());

  agent.Signal(SIGTERM);
  ASSERT_OK(agent_notify.WaitFor("STOPPING=1", absl::Seconds(20)).status());
  ASSERT_OK_AND_ASSIGN(int agent_code, agent.Wait(absl::Seconds(20)));
  EXPECT_EQ(agent_code, 0) << agent.Log();
  verifier_->Signal(SIGTERM);
  ASSERT_OK(verifier_notify.WaitFor("STOPPING=1", absl::Seconds(20)).status());
  ASSERT_OK_AND_ASSIGN(int code, verifier_->Wait(absl::Seconds(20)));
  EXPECT_EQ(code, 0);
}

// The value of the sample `name` whose labels include `labels`, summed over
// every such sample (0 when there is none).
double SampleSum(const nlohmann::json& samples, const std::string& name,
                 const nlohmann::json& labels = nlohmann::json::object()) {
  double sum = 0;
  for (const nlohmann::json& s : samples) {
    if (s["name"] != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels.items()) {
      if (!s["labels"].contains(k) || s["labels"][k] != v) match = false;
    }
    if (match) sum += s["value"].get<double>();
  }
  return sum;
}

// Prometheus metrics (metrics_listen, metrics_client_ca): a scraper with a
// certificate from the monitoring CA reads counters that follow what the
// verifier did — enrolment steps, a permitted and a denied attestation
// (with the denial's stage), the policy reload, the open stream — and
// parses them with Prometheus' own client; one without a certificate does
// not get past the TLS handshake.
TEST_P(EndToEndDaemons, MetricsFollowEnrolmentAttestationsAndReloads) {
  WritePolicy(kPolicy);
  ASSERT_OK(MakeClientCert(*dir_, "ca", "scraper"));
  extra_verifier_conf_ =
      absl::StrCat("metrics_listen = 127.0.0.1:0\nmetrics_client_ca = ",
                   dir_->Join("ca.pem"), "\n");
  ASSERT_OK_AND_ASSIGN(std::string addr, StartVerifier());
  ASSERT_OK_AND_ASSIGN(std::string line,
                       verifier_->WaitForLine("metrics: ", absl::Seconds(5)));
  const std::string url = line.substr(line.find("https://"));
  EXPECT_THAT(url, ::testing::EndsWith("/metrics"));

  EXPECT_THAT(Scrape(url), StatusIs(absl::StatusCode::kUnavailable,
                                    HasSubstr("fetch failed")));
  ASSERT_OK_AND_ASSIGN(nlohmann::json before, Scrape(url, "scraper"));
  EXPECT_EQ(SampleSum(before, "vigil_attestations_total"), 0);
  EXPECT_GT(SampleSum(before, "process_start_time_seconds"), 1.7e9);

  ASSERT_OK(WriteAgentConfig(addr));
  ASSERT_OK_AND_ASSIGN(CommandResult permitted, RunAgentOnce());
  ASSERT_EQ(permitted.exit_code, 0) << permitted.output;
  ASSERT_OK_AND_ASSIGN(nlohmann::json after, Scrape(url, "scraper"));
  EXPECT_EQ(
      SampleSum(after, "vigil_attestations_total", {{"result", "permitted"}}),
      1);
  EXPECT_EQ(SampleSum(after, "vigil_enrolments_total",
                      {{"step", "challenge"}, {"result", "ok"}}),
            1);
  EXPECT_EQ(SampleSum(after, "vigil_enrolments_total",
                      {{"step", "activation"}, {"result", "ok"}}),
            1);
  EXPECT_EQ(SampleSum(after, "vigil_attestation_duration_seconds_count"), 1);
  EXPECT_GT(SampleSum(after, "vigil_attestation_duration_seconds_sum"), 0);
  EXPECT_GT(SampleSum(after, "vigil_event_logs_held"), 0);
  EXPECT_GT(SampleSum(after, "vigil_nonces_remembered"), 0);

  // A policy the Linux boot fails (Secure Boot off), put in force by SIGHUP.
  WritePolicy(R"(version=1.2;
authorizationrules
{
    [type=="secureBootEnabled", value==true] => permit();
};
issuancerules {};
)");
  verifier_->Signal(SIGHUP);
  ASSERT_OK(
      verifier_->WaitForLine("policies reloaded", absl::Seconds(20)).status());
  ASSERT_OK_AND_ASSIGN(CommandResult denied, RunAgentOnce());
  EXPECT_NE(denied.exit_code, 0) << denied.output;
  ASSERT_OK_AND_ASSIGN(nlohmann::json later, Scrape(url, "scraper"));
  EXPECT_EQ(
      SampleSum(later, "vigil_attestations_total", {{"result", "denied"}}), 1);
  EXPECT_EQ(SampleSum(later, "vigil_attestation_denials_total",
                      {{"stage", "policy"}}),
            1);
  EXPECT_EQ(SampleSum(later, "vigil_policy_reloads_total", {{"result", "ok"}}),
            1);
  // Both agents were known devices by then: one enrolment in all.
  EXPECT_EQ(
      SampleSum(later, "vigil_enrolments_total", {{"step", "activation"}}), 1);
  // The --once agents are gone: no stream stays open (the count drops when
  // gRPC is done with the stream, a moment after the agent exits).
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  double open = -1;
  while (absl::Now() < deadline) {
    ASSERT_OK_AND_ASSIGN(nlohmann::json now, Scrape(url, "scraper"));
    open = SampleSum(now, "vigil_agent_streams");
    if (open == 0) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(open, 0);
}

// Mutual TLS (tls_client_ca): an agent with a certificate from the
// configured CA attests; one without a certificate, or with one from
// another CA, fails the handshake and never reaches the verifier's core.
TEST_P(EndToEndDaemons, MutualTlsAdmitsOnlyAgentsWithTheConfiguredCa) {
  WritePolicy(kPolicy);
  ASSERT_OK(MakeClientCert(*dir_, "ca", "agent"));
  ASSERT_OK(MakeStrangerCert());
  extra_verifier_conf_ =
      absl::StrCat("tls_client_ca = ", dir_->Join("ca.pem"), "\n");
  ASSERT_OK_AND_ASSIGN(std::string addr, StartVerifier());

  // Refused handshakes: the agent gives up after step_timeout.
  ASSERT_OK(WriteAgentConfig(addr, "step_timeout = 3s\n"));  // no client cert
  ASSERT_OK_AND_ASSIGN(CommandResult none, RunAgentOnce());
  EXPECT_EQ(none.exit_code, 75) << none.output;  // EX_TEMPFAIL
  // The cause is named, not only the symptom.
  EXPECT_THAT(none.output, HasSubstr("not reachable within 3s ("));
  ASSERT_OK(WriteAgentConfig(
      addr, absl::StrCat(ClientCertConf("stranger"), "step_timeout = 3s\n")));
  ASSERT_OK_AND_ASSIGN(CommandResult stranger, RunAgentOnce());
  EXPECT_EQ(stranger.exit_code, 75) << stranger.output;
  EXPECT_THAT(verifier_->Log(), ::testing::Not(HasSubstr("attested")));

  ASSERT_OK(WriteAgentConfig(addr, ClientCertConf("agent")));
  ASSERT_OK_AND_ASSIGN(CommandResult admitted, RunAgentOnce());
  ASSERT_EQ(admitted.exit_code, 0) << admitted.output << "\n--- verifier:\n"
                                   << verifier_->Log();
  EXPECT_THAT(admitted.output, HasSubstr("permitted: true"));
  ASSERT_OK(RelyingPartyCheck().status());
}

// Each TLS connection's write buffer is as large as the records it may
// frame: the verifier frames records of at most 4 KiB
// (GRPC_ARG_TSI_MAX_FRAME_SIZE, service/grpc/server.cc) instead of gRPC's
// 16 KiB, ~10 KiB less per connected agent. An answer larger than that — a
// token with a 6,000-character claim the policy issues — still arrives
// whole, in several records.
TEST_P(EndToEndDaemons, TheVerifierWritesTlsRecordsOfAtMost4KiB) {
  const std::string padding(6000, 'p');
  WritePolicy(absl::StrCat(R"(version=1.2;
authorizationrules
{
    [type=="aikValidated", value==true] => permit();
};
issuancerules
{
    => issue(type="padding", value=")",
                           padding, R"(");
};
)"));
  ASSERT_OK(MakeClientCert(*dir_, "ca", "agent"));
  extra_verifier_conf_ =
      absl::StrCat("tls_client_ca = ", dir_->Join("ca.pem"), "\n");
  ASSERT_OK_AND_ASSIGN(std::string addr, StartVerifier());
  int verifier_port = 0;
  ASSERT_TRUE(
      absl::SimpleAtoi(addr.substr(addr.rfind(':') + 1), &verifier_port))
      << addr;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TlsRecordRelay> relay,
                       TlsRecordRelay::Start(verifier_port));

  ASSERT_OK(WriteAgentConfig(absl::StrCat("127.0.0.1:", relay->port()),
                             ClientCertConf("agent")));
  ASSERT_OK_AND_ASSIGN(CommandResult once, RunAgentOnce());
  ASSERT_EQ(once.exit_code, 0) << once.output << "\n--- verifier:\n"
                               << verifier_->Log();
  ASSERT_OK_AND_ASSIGN(nlohmann::json claims, RelyingPartyCheck());
  EXPECT_EQ(claims["x-ms-policy"]["padding"], padding);

  // TLS 1.3 hides every encrypted record's type behind application_data
  // (RFC 8446 §5.2), the server's certificate flight included, so the
  // token is told apart by size: a 9-KB answer comes out as at least two
  // full 4-KiB records (4,013 bytes: 3,996 of data, the inner type, the
  // tag), where gRPC's default frames it as one of over 9,000.
  constexpr uint8_t kApplicationData = 23;
  size_t largest = 0;
  int full = 0;
  for (const TlsRecord& r : relay->ServerRecords()) {
    if (r.content_type != kApplicationData) continue;
    largest = std::max<size_t>(largest, r.length);
    if (r.length > 3900) ++full;
  }
  EXPECT_LE(largest, 4096u);
  EXPECT_GE(full, 2);
}

// A fleet's TLS front (docs/VERIFIER.md, "Large fleets"): the shipped
// HAProxy example, with this test's files and ports, ends the agents'
// mutual TLS and forwards their streams to a verifier with
// `listen_tls = front` (plaintext on loopback). An agent with a certificate
// from the agents' CA enrols and attests through it; one with a
// certificate from another CA is refused by the front and never reaches
// the verifier.
TEST_P(EndToEndDaemons, AgentsAttestThroughTheHaproxyFront) {
  WritePolicy(kPolicy);
  ASSERT_OK(MakeClientCert(*dir_, "ca", "agent"));
  ASSERT_OK(MakeStrangerCert());
  extra_verifier_conf_ = "listen_tls = front\n";
  ASSERT_OK_AND_ASSIGN(std::string verifier_addr, StartVerifier());
  EXPECT_THAT(verifier_->Log(),
              HasSubstr("(plaintext, loopback, behind a TLS front)"));
  // On a loopback port any local user reaches it: the operator is told.
  EXPECT_THAT(verifier_->Log(),
              HasSubstr("(listen_tls = front) is a loopback port any local "
                        "user can reach without a certificate"));

  ASSERT_OK_AND_ASSIGN(BackgroundProcess front, StartFront(verifier_addr));
  const std::string front_addr = front_addr_;

  // Refused by the front: no certificate, then one from another CA. The
  // front says why; the verifier never sees them.
  ASSERT_OK(WriteAgentConfig(front_addr, "step_timeout = 3s\n"));
  ASSERT_OK_AND_ASSIGN(CommandResult none, RunAgentOnce());
  EXPECT_EQ(none.exit_code, 75) << none.output;  // EX_TEMPFAIL
  ASSERT_OK(WriteAgentConfig(
      front_addr,
      absl::StrCat(ClientCertConf("stranger"), "step_timeout = 3s\n")));
  ASSERT_OK_AND_ASSIGN(CommandResult stranger, RunAgentOnce());
  EXPECT_EQ(stranger.exit_code, 75) << stranger.output;
  EXPECT_THAT(front.Log(), HasSubstr("SSL handshake failure")) << front.Log();
  EXPECT_THAT(verifier_->Log(), ::testing::Not(HasSubstr("enrolled (")));

  ASSERT_OK(AttestOnceThroughFront(front));
  // The verifier's lines name the agent by the front's x-forwarded-for
  // (the agent is on 127.0.0.1 too), then the front's connection.
  EXPECT_THAT(verifier_->Log(), HasSubstr(": 127.0.0.1 via ipv4:127.0.0.1:"));
  // The stream went through the example's frontend (over TLS: "~") and
  // backend; HAProxy logs it when it ends.
  ASSERT_OK(front
                .WaitForLine("vigil_agents~ vigil_verifier/verifier",
                             absl::Seconds(10))
                .status());
}

// The hop from the front to the verifier on a unix socket that only the
// front's group may open (`listen_socket_group`, docs/VERIFIER.md): other
// local users cannot reach the plaintext listener, as they could a
// loopback port. As root, HAProxy runs as the example has it (user and
// group haproxy, chroot /var/lib/haproxy), so the socket lives under the
// chroot and HAProxy names it from inside; the agent attests through it,
// and once the socket is the verifier's user's alone, HAProxy cannot
// reach the verifier.
TEST_P(EndToEndDaemons, TheFrontReachesTheVerifierOnASocketOnlyItsGroupOpens) {
  WritePolicy(kPolicy);
  ASSERT_OK(MakeClientCert(*dir_, "ca", "agent"));
  const bool root = geteuid() == 0;
  std::string sock_dir = dir_->path();
  std::string group;
  std::string seen_by_front;  // the socket's path as HAProxy names it
  absl::Cleanup remove_sock_dir = [&] {
    if (root) std::filesystem::remove_all(sock_dir);
  };
  if (root) {
    std::string tmpl = "/var/lib/haproxy/vigil-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr) << strerror(errno);
    sock_dir = tmpl;
    group = "haproxy";
    ASSERT_OK_AND_ASSIGN(gid_t haproxy_gid, GroupId(group));
    // The layout VERIFIER.md gives: the verifier's directory, passable
    // for the front's group only and passing that group on (set-group-ID).
    ASSERT_EQ(chown(sock_dir.c_str(), -1, haproxy_gid), 0);
    ASSERT_EQ(chmod(sock_dir.c_str(), 02750), 0);
    seen_by_front =
        sock_dir.substr(strlen("/var/lib/haproxy")) + "/agents.sock";
  } else {
    group = getgrgid(getegid())->gr_name;
    seen_by_front = sock_dir + "/agents.sock";
  }
  const std::string sock = sock_dir + "/agents.sock";
  grpc_listen_ = "unix:" + sock;
  struct stat st {};
  // Without the group: the verifier's alone, and the operator is told.
  extra_verifier_conf_ = "listen_tls = front\n";
  ASSERT_OK(StartVerifier().status());
  ASSERT_EQ(stat(sock.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_THAT(verifier_->Log(),
              HasSubstr("(listen_tls = front) is mode 0600: only this user "
                        "and root can connect"));
  // With it (a new verifier on the same path).
  verifier_.reset();
  extra_verifier_conf_ =
      absl::StrCat("listen_tls = front\nlisten_socket_group = ", group, "\n");
  ASSERT_OK(StartVerifier().status());
  EXPECT_THAT(verifier_->Log(), ::testing::Not(HasSubstr("warning")));
  ASSERT_EQ(stat(sock.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  ASSERT_OK_AND_ASSIGN(gid_t gid, GroupId(group));
  EXPECT_EQ(st.st_gid, gid);

  ASSERT_OK_AND_ASSIGN(BackgroundProcess front,
                       StartFront("unix@" + seen_by_front));
  ASSERT_OK(AttestOnceThroughFront(front));
  // Named by the front's x-forwarded-for, then the socket it came on.
  EXPECT_THAT(verifier_->Log(), HasSubstr(": 127.0.0.1 via unix:"));
  if (!root) return;  // HAProxy runs as this user: the mode cannot stop it

  // The socket the verifier's alone, and a new HAProxy (the first keeps its
  // connection to the verifier open for reuse): it cannot connect.
  ASSERT_EQ(chmod(sock.c_str(), 0600), 0);
  front.Signal(SIGKILL);
  ASSERT_OK(front.Wait(absl::Seconds(10)).status());
  ASSERT_OK_AND_ASSIGN(BackgroundProcess shut_out,
                       StartFront("unix@" + seen_by_front));
  ASSERT_OK(WriteAgentConfig(front_addr_, absl::StrCat(ClientCertConf("agent"),
                                                       "step_timeout = 3s\n")));
  ASSERT_OK_AND_ASSIGN(CommandResult refused, RunAgentOnce());
  EXPECT_EQ(refused.exit_code, 75) << refused.output;  // EX_TEMPFAIL
  EXPECT_EQ(Occurrences(verifier_->Log(), " attested"), 1) << verifier_->Log();
}

// The front's stream timeouts (the example's 2h) are meant to outlast the
// agents' interval (1h by default): a stream that carries a round within
// the timeout stays up. Here 14 s against an interval of 10 s: the second
// round travels on the first stream, which the front has not ended.
TEST_P(EndToEndDaemons, TheFrontKeepsAStreamThatAttestsWithinItsTimeout) {
  WritePolicy(kPolicy);
  ASSERT_OK_AND_ASSIGN(FrontedAgent fronted,
                       StartFrontedAgent("14s", "interval = 10s\n"));
  BackgroundProcess& front = fronted.front;
  BackgroundProcess& agent = fronted.agent;
  ASSERT_OK(WaitForCount(*verifier_, " attested", 2, absl::Seconds(60)))
      << agent.Log() << "\n--- front:\n"
      << front.Log();
  // HAProxy logs a stream when it ends: none has.
  EXPECT_THAT(front.Log(), ::testing::Not(HasSubstr("vigil_agents~")));
  EXPECT_THAT(verifier_->Log(), ::testing::Not(HasSubstr("stream ended")));
  agent.Signal(SIGTERM);
  ASSERT_OK_AND_ASSIGN(int code, agent.Wait(absl::Seconds(20)));
  EXPECT_EQ(code, 0) << agent.Log();
}

// When an agent's interval outlasts the front's timeouts, the front ends
// the idle stream; the agent reconnects and attests again as the device
// it is (no new enrolment), and keeps running. (So an interval longer than
// the timeouts costs a reconnection and a round per timeout, not agents.)
TEST_P(EndToEndDaemons, AStreamTheFrontTimesOutComesBackWithoutReenrolling) {
  WritePolicy(kPolicy);
  ASSERT_OK_AND_ASSIGN(FrontedAgent fronted, StartFrontedAgent("2s"));
  BackgroundProcess& front = fronted.front;
  BackgroundProcess& agent = fronted.agent;
  ASSERT_OK(verifier_->WaitForLine(" attested", absl::Seconds(60)).status())
      << agent.Log();
  ASSERT_OK(front
                .WaitForLine("vigil_agents~ vigil_verifier/verifier",
                             absl::Seconds(20))
                .status())
      << agent.Log();
  ASSERT_OK(WaitForCount(*verifier_, " attested", 2, absl::Seconds(30)))
      << agent.Log() << "\n--- front:\n"
      << front.Log();
  EXPECT_EQ(Occurrences(verifier_->Log(), "enrolled (credential activated"), 1);
  // The agent says what ended the stream.
  EXPECT_THAT(agent.Log(),
              HasSubstr("the stream ended without a status from the verifier "
                        "(closed on the way"));
  // Still running: it reconnected rather than gave up.
  EXPECT_THAT(agent.Wait(absl::Milliseconds(10)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::_));
  agent.Signal(SIGTERM);
  ASSERT_OK_AND_ASSIGN(int code, agent.Wait(absl::Seconds(20)));
  EXPECT_EQ(code, 0) << agent.Log();
}

// The control plane (issue #6): the verifier keeps its state in SQLite and
// serves the admin API on a Unix socket. A policy set there reaches the
// connected agent at once (re-attestation, now denied with the rule named),
// the audit trail has both the change and the attestations, and a restarted
// verifier still knows the policy and the device (no re-enrolment).
TEST_P(EndToEndDaemons, ControlPlanePolicyReachesAgentsAndSurvivesRestart) {
  WritePolicy(kPolicy);
  const std::string socket = dir_->Join("admin.sock");
  ASSERT_OK(MakeClientCert(*dir_, "ca", "auditor"));
  extra_verifier_conf_ =
      absl::StrCat("store = sqlite:", dir_->Join("store.db"), "\n",
                   "admin_listen = unix:", socket, "\n",
                   "admin_client_ca = ", dir_->Join("ca.pem"), "\n",
                   "admin_readers = subject:CN=auditor\n");
  ASSERT_OK_AND_ASSIGN(std::string addr, StartVerifier());
  ASSERT_OK(
      verifier_
          ->WaitForLine("control plane (authenticated mode)", absl::Seconds(5))
          .status());
  ASSERT_OK(WriteAgentConfig(addr));
  ASSERT_OK_AND_ASSIGN(BackgroundProcess agent,
                       BackgroundProcess::Start({Bin("vigil-agent"), "--config",
                                                 dir_->Join("agent.conf")},
                                                dir_->Join("agent.log")));
  ASSERT_OK(verifier_->WaitForLine(" attested", absl::Seconds(60)).status())
      << agent.Log();
  EXPECT_THAT(verifier_->Log(), HasSubstr("enrolled (credential activated"));

  auto admin = v1::PolicyAdmin::NewStub(grpc::CreateChannel(
      "unix:" + socket, grpc::InsecureChannelCredentials()));
  constexpr char kSecureBootOnly[] =
      "version=1.0; authorizationrules { "
      "c:[type==\"secureBootEnabled\", value==true] => permit(); }; "
      "issuancerules {};";

  // Before changing it: what would the candidate decide for this device as
  // it last attested? Its claims are kept with the attestation's audit
  // event (one transaction, written in the background).
  std::string device_id;
  for (const absl::Time until = absl::Now() + absl::Seconds(10);
       device_id.empty() && absl::Now() < until;
       absl::SleepFor(absl::Milliseconds(100))) {
    grpc::ClientContext ctx;
    v1::AuditQuery q;
    q.set_action("attestation");
    v1::AuditEvents found;
    ASSERT_TRUE(admin->QueryAudit(&ctx, q, &found).ok());
    if (found.events_size() > 0) {
      device_id =
          std::string(absl::StripPrefix(found.events(0).actor(), "device:"));
    }
  }
  ASSERT_FALSE(device_id.empty());
  ASSERT_OK(WriteFile(dir_->Join("sb.policy"), kSecureBootOnly));
  ASSERT_OK_AND_ASSIGN(
      CommandResult dry,
      RunCommand({Bin("vigilctl"), "policy", "dry-run", dir_->Join("sb.policy"),
                  "--device", device_id, "--admin", "unix:" + socket,
                  "--format", "json"}));
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  const nlohmann::json dry_out =
      nlohmann::json::parse(dry.output.substr(dry.output.find('{')));
  EXPECT_EQ(dry_out["decision"], "deny");  // Secure Boot is off
  EXPECT_EQ(dry_out["current"]["permitted"], true);
  EXPECT_EQ(dry_out["claims_from"]["device_id"], device_id);
  EXPECT_EQ(dry_out["claims_from"]["decision_then"], "permit");
  // The verifier still holds the boot log: `events` is rendered again.
  EXPECT_EQ(dry_out["claims_from"]["rebuilt"],
            nlohmann::json::array({"events"}));
  v1::SetPolicyRequest set;
  set.set_attestation_type("Tpm");
  ASSERT_OK_AND_ASSIGN(std::string jws,
                       control::MakeUnsignedPolicyJws(kSecureBootOnly));
  set.set_policy_jws(jws);
  v1::PolicyChange change;
  {
    grpc::ClientContext ctx;
    grpc::Status s = admin->SetPolicy(&ctx, set, &change);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(change.result(), "Updated");

  // The REST mirror on the HTTPS endpoint, as a REST tool (curl) sees it:
  // without a credential 401; with a client certificate the rules make a
  // reader, Azure's {"token"} whose x-ms-policy is the JWS just set.
  auto rest =
      [&](std::vector<std::string> args) -> std::pair<int, std::string> {
    args.insert(args.begin(), {"curl", "-sS", "--cacert", dir_->Join("ca.pem"),
                               "-w", "\n%{http_code}"});
    args.push_back(issuer_ + "/policies/Tpm?api-version=2022-08-01");
    absl::StatusOr<CommandResult> r = RunCommand(args);
    if (!r.ok() || r->exit_code != 0) return {0, r.ok() ? r->output : ""};
    const size_t nl = r->output.rfind('\n');
    return {std::atoi(r->output.c_str() + nl + 1), r->output.substr(0, nl)};
  };
  auto [status, body] = rest({});
  EXPECT_EQ(status, 401) << body;
  EXPECT_THAT(body, HasSubstr("\"Unauthorized\""));
  std::tie(status, body) = rest({"--cert", dir_->Join("auditor.pem"), "--key",
                                 dir_->Join("auditor.key")});
  ASSERT_EQ(status, 200) << body;
  {
    const std::string token = nlohmann::json::parse(body)["token"];
    const std::vector<std::string> parts = absl::StrSplit(token, '.');
    ASSERT_EQ(parts.size(), 3u) << token;
    ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> payload,
                         Base64UrlDecode(parts[1]));
    EXPECT_EQ(nlohmann::json::parse(payload)["x-ms-policy"], jws);
  }

  // The Linux boot has Secure Boot off: the re-attestation is denied.
  ASSERT_OK(verifier_->WaitForLine(" denied", absl::Seconds(30)).status())
      << verifier_->Log();

  // The audit trail: the policy change by the local administrator, and the
  // attestations (written in the background).
  v1::AuditEvents events;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  int attestations = 0;
  while (absl::Now() < deadline && attestations < 2) {
    grpc::ClientContext ctx;
    v1::AuditQuery q;
    q.set_action("attestation");
    ASSERT_TRUE(admin->QueryAudit(&ctx, q, &events).ok());
    attestations = events.events_size();
    if (attestations < 2) absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_GE(attestations, 2);
  EXPECT_EQ(events.events(0).result(), "denied");
  {
    grpc::ClientContext ctx;
    v1::AuditQuery q;
    q.set_action("policy_set");
    ASSERT_TRUE(admin->QueryAudit(&ctx, q, &events).ok());
    ASSERT_EQ(events.events_size(), 1);
    EXPECT_EQ(events.events(0).actor(), "unix:local-administrator");
    EXPECT_EQ(events.events(0).result(), "success");
  }

  // The operator's view through vigilctl (the real binaries).
  ASSERT_OK_AND_ASSIGN(
      CommandResult got,
      RunCommand({Bin("vigilctl"), "policy", "get", "--type", "Tpm", "--admin",
                  "unix:" + socket, "--format", "json"}));
  ASSERT_EQ(got.exit_code, 0) << got.output;
  EXPECT_THAT(got.output, HasSubstr("secureBootEnabled"));
  EXPECT_THAT(got.output, HasSubstr("\"version\": 1"));

  // Restart: the stored policy is in force again and the device is known
  // (the agent reconnects and attests without enrolling again).
  verifier_->Signal(SIGTERM);
  ASSERT_OK(verifier_->Wait(absl::Seconds(20)).status());
  verifier_.reset();
  ASSERT_OK(StartVerifier().status());
  ASSERT_OK(verifier_->WaitForLine(" denied", absl::Seconds(60)).status())
      << verifier_->Log() << "\n--- agent:\n"
      << agent.Log();
  EXPECT_THAT(verifier_->Log(), ::testing::Not(HasSubstr("enrolled (")));

  // vigilctl policy set from a policy file: permitted again.
  ASSERT_OK(WriteFile(dir_->Join("permit.policy"), kPolicy));
  ASSERT_OK_AND_ASSIGN(
      CommandResult set_by_ctl,
      RunCommand({Bin("vigilctl"), "policy", "set", dir_->Join("permit.policy"),
                  "--type", "Tpm", "--admin", "unix:" + socket}));
  ASSERT_EQ(set_by_ctl.exit_code, 0) << set_by_ctl.output;
  ASSERT_OK(verifier_->WaitForLine(" attested", absl::Seconds(30)).status())
      << verifier_->Log();
  agent.Signal(SIGTERM);
  ASSERT_OK(agent.Wait(absl::Seconds(20)).status());
}

// kill -9 of the verifier while policies are being set (issue #6 §7): after
// the restart the policy in force is one whole version the store holds —
// the last one it acknowledged or a later one — never a mix.
TEST_P(EndToEndDaemons, KillDuringPolicySetLeavesOneWholePolicy) {
  WritePolicy(kPolicy);
  const std::string socket = dir_->Join("admin.sock");
  extra_verifier_conf_ =
      absl::StrCat("store = sqlite:", dir_->Join("store.db"), "\n",
                   "admin_listen = unix:", socket, "\n");
  ASSERT_OK(StartVerifier().status());
  // Two large policies (the same rules, padded differently) set in turns
  // by a writer thread until the verifier dies under it.
  std::vector<std::string> texts;
  for (char pad : {'a', 'b'}) {
    texts.push_back(
        absl::StrCat(kPolicy, "// ", std::string(200000, pad), "\n"));
  }
  std::atomic<int> acknowledged = 0;
  std::atomic<bool> stop = false;
  std::thread writer([&] {
    auto admin = v1::PolicyAdmin::NewStub(grpc::CreateChannel(
        "unix:" + socket, grpc::InsecureChannelCredentials()));
    for (int i = 0; !stop; ++i) {
      v1::SetPolicyRequest req;
      req.set_attestation_type("Tpm");
      req.set_policy_jws(*control::MakeUnsignedPolicyJws(texts[i % 2]));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
      v1::PolicyChange out;
      if (admin->SetPolicy(&ctx, req, &out).ok()) {
        acknowledged = static_cast<int>(out.version());
      } else {
        break;  // the verifier is gone
      }
    }
  });
  while (acknowledged < 5) absl::SleepFor(absl::Milliseconds(5));
  verifier_->Signal(SIGKILL);
  ASSERT_OK(verifier_->Wait(absl::Seconds(10)).status());
  stop = true;
  writer.join();
  verifier_.reset();

  ASSERT_OK(StartVerifier().status());
  ASSERT_OK_AND_ASSIGN(
      CommandResult got,
      RunCommand({Bin("vigilctl"), "policy", "get", "--type", "Tpm", "--admin",
                  "unix:" + socket, "--format", "json"}));
  ASSERT_EQ(got.exit_code, 0) << got.output;
  const nlohmann::json view =
      nlohmann::json::parse(got.output.substr(got.output.find('{')));
  EXPECT_GE(view["version"].get<int>(), acknowledged.load());
  const std::string text = view["policy"];
  EXPECT_TRUE(text == texts[0] || text == texts[1])
      << "a torn or unknown policy of " << text.size() << " bytes";
}

// Two verifier replicas on one PostgreSQL database (issue #6 §3): a policy
// set on one is in force on the other within the store's notification bound
// (NOTIFY; polling every second as the fallback), and a device enrolled
// through one attests through the other without enrolling again (shared
// registry and TPM clock; nonces from a shared HMAC key).
TEST_P(EndToEndDaemons, TwoReplicasShareOnePostgresStore) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresServer> pg,
                       PostgresServer::Start({}));
  ASSERT_OK(Openssl({"rand", "-hex", "-out", dir_->Join("hmac.key"), "32"}));
  const std::string shared =
      absl::StrCat("store = postgres:", pg->ConnInfo("postgres"), "\n",
                   "hmac_key_file = ", dir_->Join("hmac.key"), "\n");
  WritePolicy(kPolicy);
  extra_verifier_conf_ =
      absl::StrCat(shared, "admin_listen = unix:", dir_->Join("a.sock"), "\n");
  ASSERT_OK_AND_ASSIGN(std::string addr_a, StartVerifier());

  // Replica B: same store, key, policies and token key; its own ports.
  ASSERT_OK_AND_ASSIGN(
      auto b,
      StartOtherVerifier("b", absl::StrCat(shared, "admin_listen = unix:",
                                           dir_->Join("b.sock"), "\n")));
  BackgroundProcess& replica_b = b.first;
  const std::string& addr_b = b.second;

  // The device enrols and attests through A.
  auto attest_once = [&](const std::string& addr) {
    EXPECT_OK(WriteAgentConfig(addr));
    return RunCommand(
        {Bin("vigil-agent"), "--config", dir_->Join("agent.conf"), "--once"},
        absl::Seconds(120));
  };
  ASSERT_OK_AND_ASSIGN(CommandResult via_a, attest_once(addr_a));
  ASSERT_EQ(via_a.exit_code, 0) << via_a.output;

  // A policy set on A is in force on B.
  constexpr char kSecureBootOnly[] =
      "version=1.0; authorizationrules { "
      "c:[type==\"secureBootEnabled\", value==true] => permit(); }; "
      "issuancerules {};";
  ASSERT_OK(WriteFile(dir_->Join("sb.policy"), kSecureBootOnly));
  ASSERT_OK_AND_ASSIGN(
      CommandResult set,
      RunCommand({Bin("vigilctl"), "policy", "set", dir_->Join("sb.policy"),
                  "--type", "Tpm", "--admin", "unix:" + dir_->Join("a.sock")}));
  ASSERT_EQ(set.exit_code, 0) << set.output;
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  std::string on_b;
  while (absl::Now() < deadline) {
    ASSERT_OK_AND_ASSIGN(
        CommandResult got,
        RunCommand({Bin("vigilctl"), "policy", "get", "--type", "Tpm",
                    "--admin", "unix:" + dir_->Join("b.sock"), "--format",
                    "json"}));
    on_b = got.output;
    if (absl::StrContains(on_b, "secureBootEnabled")) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_THAT(on_b, HasSubstr("secureBootEnabled")) << replica_b.Log();

  // The same device through B: known (no enrolment), and denied by the
  // policy set on A (the Linux boot has Secure Boot off).
  ASSERT_OK_AND_ASSIGN(CommandResult via_b, attest_once(addr_b));
  EXPECT_EQ(via_b.exit_code, 1) << via_b.output;
  EXPECT_THAT(via_b.output, HasSubstr("permitted: false"));
  EXPECT_THAT(replica_b.Log(), ::testing::Not(HasSubstr("enrolled (")));
  EXPECT_THAT(replica_b.Log(), HasSubstr(" denied"));
}

// The claims of a token file (the JWT's payload; the signature is the
// relying party's check, done elsewhere).
absl::StatusOr<nlohmann::json> TokenClaims(const std::string& path) {
  const std::string jwt = ReadAll(path);
  const size_t a = jwt.find('.');
  const size_t b = jwt.find('.', a + 1);
  if (a == std::string::npos || b == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a JWT"));
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> payload,
                   Base64UrlDecode(jwt.substr(a + 1, b - a - 1)));
  return nlohmann::json::parse(payload.begin(), payload.end());
}

// Issue #6 §5: a policy exported from one verifier and imported into a fresh
// one (its own store) gives the same device the same decision, policy hash
// and issued claims.
TEST_P(EndToEndDaemons,
       PolicyExportRestoresIdenticalDecisionsInAFreshVerifier) {
  WritePolicy(kPolicy);
  extra_verifier_conf_ =
      absl::StrCat("store = sqlite:", dir_->Join("a.db"), "\n",
                   "admin_listen = unix:", dir_->Join("a.sock"), "\n");
  ASSERT_OK_AND_ASSIGN(std::string addr_a, StartVerifier());
  const std::string admin_a = "unix:" + dir_->Join("a.sock");
  // Verifier B: the same configuration files, its own store and listeners.
  ASSERT_OK_AND_ASSIGN(
      auto b, StartOtherVerifier(
                  "b", absl::StrCat("store = sqlite:", dir_->Join("b.db"),
                                    "\nadmin_listen = unix:",
                                    dir_->Join("b.sock"), "\n")));
  const std::string& addr_b = b.second;
  const std::string admin_b = "unix:" + dir_->Join("b.sock");

  // Each attestation: the agent once, then the token's decision facts.
  auto attest = [&](const std::string& addr) -> absl::StatusOr<nlohmann::json> {
    RETURN_IF_ERROR(WriteAgentConfig(addr));
    std::filesystem::remove(dir_->Join("token"));
    ASSIGN_OR_RETURN(CommandResult r,
                     RunCommand({Bin("vigil-agent"), "--config",
                                 dir_->Join("agent.conf"), "--once"},
                                absl::Seconds(120)));
    if (r.exit_code != 0) return absl::PermissionDeniedError(r.output);
    ASSIGN_OR_RETURN(nlohmann::json claims, TokenClaims(dir_->Join("token")));
    return nlohmann::json{{"policy_hash", claims["x-ms-policy-hash"]},
                          {"issued", claims["x-ms-policy"]}};
  };
  auto vigilctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), Bin("vigilctl"));
    return RunCommand(args);
  };

  // A's managed policy issues a claim the default does not.
  ASSERT_OK(
      WriteFile(dir_->Join("marker.policy"),
                "version=1.0; authorizationrules { c:[type==\"aikValidated\", "
                "value==true] => permit(); }; issuancerules { "
                "c:[type==\"aikValidated\", issuer==\"AttestationService\"] => "
                "issue(type=\"backupMarker\", value=\"restored\"); };"));
  ASSERT_OK_AND_ASSIGN(CommandResult set,
                       vigilctl({"policy", "set", dir_->Join("marker.policy"),
                                 "--type", "Tpm", "--admin", admin_a}));
  ASSERT_EQ(set.exit_code, 0) << set.output;
  ASSERT_OK_AND_ASSIGN(nlohmann::json on_a, attest(addr_a));
  EXPECT_EQ(on_a["issued"]["backupMarker"], "restored") << on_a.dump();
  ASSERT_OK_AND_ASSIGN(nlohmann::json b_before, attest(addr_b));
  EXPECT_NE(b_before["policy_hash"], on_a["policy_hash"]);

  ASSERT_OK_AND_ASSIGN(
      CommandResult exported,
      vigilctl({"policy", "export", "--out", dir_->Join("backup.json"),
                "--admin", admin_a, "--format", "json"}));
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_THAT(exported.output, HasSubstr("\"policies\": 1"));
  const std::string archive = ReadAll(dir_->Join("backup.json"));
  EXPECT_THAT(archive, HasSubstr("\"format\": \"vigil-policy-backup\""));
  EXPECT_THAT(archive, ::testing::Not(HasSubstr("PRIVATE")));

  // A damaged copy: refused before anything is sent, naming the field.
  std::string damaged = archive;
  damaged.replace(damaged.find("\"mode\": \"authenticated\""), 23,
                  "\"mode\": \"isolated\"");
  ASSERT_OK(WriteFile(dir_->Join("damaged.json"), damaged));
  ASSERT_OK_AND_ASSIGN(CommandResult refused,
                       vigilctl({"policy", "import", dir_->Join("damaged.json"),
                                 "--admin", admin_b}));
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("sha256: does not match"));

  ASSERT_OK_AND_ASSIGN(
      CommandResult dry,
      vigilctl({"policy", "import", dir_->Join("backup.json"), "--dry-run",
                "--admin", admin_b, "--format", "json"}));
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_THAT(dry.output, HasSubstr("\"applied\": false"));
  EXPECT_THAT(dry.output, HasSubstr("\"action\": \"set\""));
  ASSERT_OK_AND_ASSIGN(CommandResult imported,
                       vigilctl({"policy", "import", dir_->Join("backup.json"),
                                 "--admin", admin_b, "--format", "json",
                                 "--trust-dir", dir_->Join("trust")}));
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  EXPECT_THAT(imported.output, HasSubstr("\"applied\": true"));
  EXPECT_THAT(imported.output, HasSubstr("\"trust_differences\": []"));
  int roots = 0;
  for (const auto& f :
       std::filesystem::directory_iterator(dir_->Join("trust/ek_roots"))) {
    roots += f.path().extension() == ".pem";
  }
  EXPECT_EQ(roots, 2);  // the swtpm root and intermediate

  ASSERT_OK_AND_ASSIGN(nlohmann::json on_b, attest(addr_b));
  EXPECT_EQ(on_b, on_a);
  ASSERT_OK_AND_ASSIGN(CommandResult jws_a, vigilctl({"policy", "get", "--jws",
                                                      "--admin", admin_a}));
  ASSERT_OK_AND_ASSIGN(CommandResult jws_b, vigilctl({"policy", "get", "--jws",
                                                      "--admin", admin_b}));
  EXPECT_EQ(jws_b.output, jws_a.output);
}

INSTANTIATE_TEST_SUITE_P(
    LinuxBoot, EndToEndDaemons,
    ::testing::Values(Case{
        "Linux", "google-go-tpm-tools/ubuntu-2404-amd-sevsnp.bin", false}),
    [](const ::testing::TestParamInfo<Case>& p) { return p.param.name; });

INSTANTIATE_TEST_SUITE_P(
    RealBoots, EndToEnd,
    ::testing::Values(
        Case{"Windows", "immune-gmbh-guard-oss/derived/x1carbon.eventlog.bin",
             true},
        Case{"Linux", "google-go-tpm-tools/ubuntu-2404-amd-sevsnp.bin", false}),
    [](const ::testing::TestParamInfo<Case>& p) { return p.param.name; });

}  // namespace
}  // namespace vigil::testing
