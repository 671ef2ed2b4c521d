// The verifier core (service/verifier) against real TPMs: swtpm instances
// whose EK certificates come from the per-run local CA and whose PCRs hold a
// re-enacted real boot. Enrolment by real credential activation, attestation
// of real quotes and logs, tokens checked with the JWKS like a relying party
// (issue #5 §5), then the hostile cases, each refused for its own reason.
#include <memory>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "common/status_macros.h"
#include "common/testing/status_matchers.h"
#include "common/testing/testdata.h"
#include "eventlog/parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/token/jwks.h"
#include "service/token/jwt_verifier.h"
#include "service/verifier/verifier.h"
#include "tests/swtpm/attesting_device.h"
#include "tests/swtpm/swtpm_ca.h"
#include "tpm/device/pcrs.h"
#include "tpm/types/hash_alg.h"

namespace vigil::testing {
namespace {

using ::testing::HasSubstr;
using ::vigil::testing::StatusIs;

constexpr char kWindowsLog[] =
    "immune-gmbh-guard-oss/derived/x1carbon.eventlog.bin";
constexpr char kLinuxLog[] = "google-go-tpm-tools/ubuntu-2404-amd-sevsnp.bin";

std::string ReadText(const std::string& path) {
  std::vector<uint8_t> b = ReadFileBytes(path);
  return std::string(b.begin(), b.end());
}

using Device = AttestingDevice;

class VerifierCoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(SwtpmCa * ca, SwtpmCa::ForProcess());
    ca_ = ca;
  }

  // A verifier trusting the swtpm CA, with `policy` (empty: the default).
  std::unique_ptr<service::Verifier> MakeVerifier(
      const std::string& policy_text = "",
      size_t decision_memo_bytes =
          service::AttestationCoreOptions().decision_memo_bytes,
      size_t replay_cache_bytes =
          service::VerifierOptions().replay_cache_bytes) {
    service::VerifierOptions o;
    o.replay_cache_bytes = replay_cache_bytes;
    o.ek_trust_pem = ReadText(ca_->root_cert_path()) +
                     ReadText(ca_->intermediate_cert_path());
    o.core.issuer = "https://verifier.test";
    o.core.decision_memo_bytes = decision_memo_bytes;
    absl::StatusOr<std::unique_ptr<service::Verifier>> v =
        service::Verifier::Create(o, &SystemClock::Get());
    EXPECT_OK(v.status());
    if (!policy_text.empty()) {
      EXPECT_OK(
          (*v)->policies().Set("Tpm", policy_text, "test.policy", absl::Now()));
    }
    return *std::move(v);
  }

  // Enrols `d` with `v` by credential activation.
  absl::StatusOr<service::EnrolledDevice> Enrol(service::Verifier& v,
                                                const Device& d) {
    ASSIGN_OR_RETURN(service::EnrollmentChallenge c,
                     v.enroller().Begin(d.Hello()));
    ASSIGN_OR_RETURN(std::vector<uint8_t> secret, d.Activate(c.credential));
    ASSIGN_OR_RETURN(service::EnrolledDevice e,
                     v.enroller().Complete(d.Hello(), c.ticket, secret));
    RETURN_IF_ERROR(v.registry().Enroll(e));
    return e;
  }

  // One round: a nonce from `v`, `d`'s evidence over it, attested. With
  // `named_log`, the evidence names the log by that digest instead of
  // carrying it, as an agent does when the request named it (`known`: the
  // verdict the request pinned).
  absl::StatusOr<service::AttestationOutcome> AttestOnce(
      service::Verifier& v, const Device& d, const service::EnrolledDevice& e,
      const std::string& named_log = "",
      std::shared_ptr<const service::CachedReplay> known = nullptr,
      bool may_ask_for_log = false) {
    ASSIGN_OR_RETURN(service::IssuedNonce n, v.nonces().Issue(e.device_id));
    ASSIGN_OR_RETURN(v1::Evidence ev, d.Evidence(n.bytes));
    if (!named_log.empty()) {
      ev.clear_event_log();
      ev.set_event_log_sha256(named_log);
    }
    service::AttestOptions options;
    options.known_log = std::move(known);
    options.may_ask_for_log = may_ask_for_log;
    return v.core().Attest(e, ev, options);
  }

  SwtpmCa* ca_ = nullptr;
};

constexpr char kSecureBootPolicy[] = R"(version=1.0;
authorizationrules
{
    [type=="secureBootEnabled", value==true, issuer=="AttestationService"] => permit();
};
issuancerules
{
    c:[type=="secureBootEnabled", issuer=="AttestationService"] => issue(claim=c);
    c:[type=="bootDebuggingDisabled", issuer=="AttestationService"] => issue(claim=c);
};
)";

TEST_F(VerifierCoreTest, EnrolsAttestsAndIssuesATokenARelyingPartyAccepts) {
  ASSERT_OK_AND_ASSIGN(auto d, Device::Boot(kWindowsLog));
  auto v = MakeVerifier(kSecureBootPolicy);
  ASSERT_OK_AND_ASSIGN(service::EnrolledDevice e, Enrol(*v, *d));
  EXPECT_TRUE(e.aik_validated);
  EXPECT_EQ(e.device_id.size(), 64u);

  ASSERT_OK_AND_ASSIGN(service::IssuedNonce n, v->nonces().Issue(e.device_id));
  ASSERT_OK_AND_ASSIGN(v1::Evidence ev, d->Evidence(n.bytes));
  service::AttestOptions ao;
  ao.relying_party_nonce = "rp-nonce-1";
  service::AttestationOutcome o = v->core().Attest(e, ev, ao);
  ASSERT_TRUE(o.permitted) << (o.reasons.empty() ? ""
                                                 : o.reasons[0].ToString());
  EXPECT_EQ(o.ClaimsSummary()["secureBootEnabled"], true);
  EXPECT_EQ(o.ClaimsSummary()["aikValidated"], true);
  EXPECT_EQ(o.ClaimsSummary()["tpmVersion"], 2);
  // The journal line's claims, pinned (the AK's hash differs per run):
  // the three device claims, then the log's in derivation order.
  {
    nlohmann::ordered_json shown = o.ClaimsSummary();
    ASSERT_TRUE(shown.contains("aikPubHash"));
    shown["aikPubHash"] = "-";
    EXPECT_EQ(shown.dump(),
              R"({"aikValidated":true,"aikPubHash":"-","tpmVersion":2,)"
              R"("secureBootEnabled":true,"codeIntegrityEnabled":true,)"
              R"("bootDebuggingDisabled":true,)"
              R"("osKernelDebuggingDisabled":true,"testSigningDisabled":true,)"
              R"("flightSigningNotEnabled":true,"iommuEnabled":false,)"
              R"("notSafeMode":true,"notWinPE":true,"depPolicy":0,)"
              R"("elamDriverLoaded":true,"bootCount":206,"vbsEnabled":true,)"
              R"("hvciEnabled":true,"bitlockerStatus":4,"bootMgrSvn":1,)"
              R"("bootAppSvn":1})");
  }
  // The claim set the policy saw, for the control plane to keep: the
  // scalars, and `events` still unrendered (a lazy value).
  ASSERT_NE(o.claim_set, nullptr);
  EXPECT_EQ(o.claim_set->size(),
            o.ClaimsSummary().size() + 2);  // + events, pcrs
  for (const policy::Claim& claim : o.claim_set->claims()) {
    EXPECT_EQ(claim.value.lazy(), claim.type == "events") << claim.type;
  }

  // The relying party: JWKS + issuer + ES256 only.
  ASSERT_OK_AND_ASSIGN(token::Jwks jwks, token::Jwks::Parse(v->Jwks()));
  ASSERT_OK_AND_ASSIGN(token::JwtVerifier rp,
                       token::JwtVerifierBuilder()
                           .SetJwks(std::move(jwks))
                           .ExpectIssuer("https://verifier.test")
                           .AllowAlgorithms({token::JwsAlgorithm::kEs256})
                           .Build());
  ASSERT_OK_AND_ASSIGN(token::VerifiedJwt t, rp.Verify(o.token));
  const auto& c = t.claims();
  EXPECT_EQ(c["sub"], e.device_id);
  EXPECT_EQ(c["nonce"], "rp-nonce-1");
  EXPECT_EQ(c["x-ms-attestation-type"], "tpm");
  EXPECT_EQ(c["x-ms-policy-hash"], v->policies().Get("Tpm")->hash);
  EXPECT_EQ(c["x-ms-policy"]["secureBootEnabled"], true);
  EXPECT_EQ(c["nbf"].get<int64_t>(), c["iat"].get<int64_t>() - 300);
  EXPECT_EQ(c["exp"].get<int64_t>(), c["iat"].get<int64_t>() + 8 * 3600);
  EXPECT_EQ(c["jti"].get<std::string>().size(), 40u);

  // The same evidence again: the nonce is spent.
  service::AttestationOutcome replay = v->core().Attest(e, ev);
  EXPECT_FALSE(replay.permitted);
  ASSERT_FALSE(replay.reasons.empty());
  EXPECT_EQ(replay.reasons[0].stage, "nonce");
  EXPECT_EQ(replay.reasons[0].code, "nonce_reused");
}

TEST_F(VerifierCoreTest, LinuxBootIsDeniedByASecureBootPolicyWithTheRuleNamed) {
  ASSERT_OK_AND_ASSIGN(auto d, Device::Boot(kLinuxLog));
  auto v = MakeVerifier(kSecureBootPolicy);
  ASSERT_OK_AND_ASSIGN(service::EnrolledDevice e, Enrol(*v, *d));
  ASSERT_OK_AND_ASSIGN(service::IssuedNonce n, v->nonces().Issue(e.device_id));
  ASSERT_OK_AND_ASSIGN(v1::Evidence ev, d->Evidence(n.bytes));
  service::AttestationOutcome o = v->core().Attest(e, ev);
  EXPECT_FALSE(o.permitted);
  EXPECT_TRUE(o.token.empty());
  ASSERT_GE(o.reasons.size(), 2u);
  EXPECT_EQ(o.reasons[0].stage, "policy");
  EXPECT_EQ(o.reasons[0].code, "denied");
  EXPECT_EQ(o.reasons[1].code, "condition_unmatched");
  EXPECT_EQ(o.reasons[1].rule, "4:5");
  EXPECT_THAT(o.reasons[1].message, HasSubstr("secureBootEnabled"));
  EXPECT_EQ(o.ClaimsSummary()["secureBootEnabled"], false);
}

TEST_F(VerifierCoreTest, TamperedEventLogIsRefusedNamingPcrAndEvent) {
  ASSERT_OK_AND_ASSIGN(auto d, Device::Boot(kWindowsLog));
  auto v = MakeVerifier();
  ASSERT_OK_AND_ASSIGN(service::EnrolledDevice e, Enrol(*v, *d));
  ASSERT_OK_AND_ASSIGN(service::IssuedNonce n, v->nonces().Issue(e.device_id));
  ASSERT_OK_AND_ASSIGN(v1::Evidence ev, d->Evidence(n.bytes));
  // Flip one byte of the last event's first digest: the log no longer
  // replays to the quoted PCR.
  ASSERT_OK_AND_ASSIGN(eventlog::EventLog log, eventlog::Parse(d->log));
  const eventlog::RawEvent& last = log.events.back();
  // Crypto-agile record: pcrIndex, eventType, digest count (4 bytes each),
  // then the first digest's algorithm id (2 bytes) and value.
  const size_t digest_at = last.offset + 14;
  ASSERT_EQ(std::vector<uint8_t>(
                d->log.begin() + digest_at,
                d->log.begin() + digest_at + last.digests[0].value.size()),
            std::vector<uint8_t>(last.digests[0].value.begin(),
                                 last.digests[0].value.end()));
  std::string tampered = ev.event_log();
  tampered[digest_at] ^= 0x01;
  ev.set_event_log(tampered);
  service::AttestationOutcome o = v->core().Attest(e, ev);
  EXPECT_FALSE(o.permitted);
  ASSERT_FALSE(o.reasons.empty());
  EXPECT_EQ(o.reasons[0].stage, "replay");
  EXPECT_EQ(o.reasons[0].code, "pcr_mismatch");
  EXPECT_EQ(o.reasons[0].pcr, static_cast<int>(last.pcr_index));
  EXPECT_EQ(o.reasons[0].event, static_cast<int64_t>(last.index));
  EXPECT_EQ(o.reasons[0].event_offset, static_cast<int64_t>(last.offset));
}

TEST_F(VerifierCoreTest, QuoteFromAnotherTpmIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto d, Device::Boot(kWindowsLog));
  ASSERT_OK_AND_ASSIGN(auto other,
                       Device::Boot(kWindowsLog, /*distinct_ek=*/true));
  auto v = MakeVerifier();
  ASSERT_OK_AND_ASSIGN(service::EnrolledDevice e, Enrol(*v, *d));
  ASSERT_OK_AND_ASSIGN(service::IssuedNonce n, v->nonces().Issue(e.device_id));
  // Same boot, same nonce, but signed by the other TPM's AK.
  ASSERT_OK_AND_ASSIGN(v1::Evidence ev, other->Evidence(n.bytes));
  service::AttestationOutcome o = v->core().Attest(e, ev);
  EXPECT_FALSE(o.permitted);
  ASSERT_FALSE(o.reasons.empty());
  EXPECT_EQ(o.reasons[0].stage, "quote");
  EXPECT_EQ(o.reasons[0].code, "bad_signature");
  EXPECT_EQ(o.claim_set, nullptr);  // refused before claims were built
}

TEST_F(VerifierCoreTest, EnrolmentNeedsTheAkInTheEksTpm) {
  ASSERT_OK_AND_ASSIGN(auto d, Device::Boot(kLinuxLog));
  ASSERT_OK_AND_ASSIGN(auto other,
                       Device::Boot(kLinuxLog, /*distinct_ek=*/true));
  auto v = MakeVerifier();
  // A hello with d's EK but the other TPM's AK: the challenge is sealed to
  // d's EK for an AK d does not hold, so d cannot activate it ...
  v1::AgentHello mixed = d->Hello();
  mixed.set_ak_public(other->Hello().ak_public());
  ASSERT_OK_AND_ASSIGN(service::EnrollmentChallenge c,
                       v->enroller().Begin(mixed));
  EXPECT_THAT(d->Activate(c.credential),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  // ... and neither can the TPM that holds the AK (wrong EK).
  EXPECT_FALSE(other->Activate(c.credential).ok());
  // A guessed secret is refused.
  std::vector<uint8_t> guess(32, 0x42);
  EXPECT_THAT(v->enroller().Complete(mixed, c.ticket, guess),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("credential activation")));
  // Operators see both steps in vigil_enrolments_total.
  const std::string text = v->metrics().registry().Render();
  EXPECT_THAT(text, HasSubstr("vigil_enrolments_total{step=\"challenge\","
                              "result=\"ok\"} 1"));
  EXPECT_THAT(text, HasSubstr("vigil_enrolments_total{step=\"activation\","
                              "result=\"refused\"} 1"));
}

TEST_F(VerifierCoreTest, EkFromAnUnknownCaIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto d, Device::Boot(kLinuxLog));
  // Trust only an unrelated root: a self-signed certificate made here.
  service::VerifierOptions o;
  o.ek_trust_pem =
      ReadText(SourcePath("service/verifier/testdata/unrelated-root.pem"));
  o.core.issuer = "https://verifier.test";
  ASSERT_OK_AND_ASSIGN(auto v,
                       service::Verifier::Create(o, &SystemClock::Get()));
  EXPECT_THAT(
      v->enroller().Begin(d->Hello()),
      StatusIs(absl::StatusCode::kUnauthenticated,
               HasSubstr("EK certificate does not chain to the trust bundle")));
  // Without a certificate, only if the configuration allows it.
  v1::AgentHello bare = d->Hello();
  bare.clear_ek_certificates();
  EXPECT_THAT(v->enroller().Begin(bare),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("no certificate")));
  EXPECT_THAT(v->metrics().registry().Render(),
              HasSubstr("vigil_enrolments_total{step=\"challenge\","
                        "result=\"refused\"} 2"));
}

TEST_F(VerifierCoreTest,
       UncertifiedEkEnrolsButTheDefaultPolicyRequiresAValidAik) {
  ASSERT_OK_AND_ASSIGN(auto d, Device::Boot(kLinuxLog));
  service::VerifierOptions o;
  o.ek_trust_pem = ReadText(ca_->root_cert_path());
  o.allow_uncertified_ek = true;
  o.core.issuer = "https://verifier.test";
  ASSERT_OK_AND_ASSIGN(auto v,
                       service::Verifier::Create(o, &SystemClock::Get()));
  v1::AgentHello bare = d->Hello();
  bare.clear_ek_certificates();
  ASSERT_OK_AND_ASSIGN(service::EnrollmentChallenge c,
                       v->enroller().Begin(bare));
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> secret, d->Activate(c.credential));
  ASSERT_OK_AND_ASSIGN(service::EnrolledDevice e,
                       v->enroller().Complete(bare, c.ticket, secret));
  EXPECT_FALSE(e.aik_validated);
  ASSERT_OK(v->registry().Enroll(e));
  ASSERT_OK_AND_ASSIGN(service::IssuedNonce n, v->nonces().Issue(e.device_id));
  ASSERT_OK_AND_ASSIGN(v1::Evidence ev, d->Evidence(n.bytes));
  service::AttestationOutcome out = v->core().Attest(e, ev);
  EXPECT_FALSE(out.permitted);
  ASSERT_FALSE(out.reasons.empty());
  EXPECT_EQ(out.reasons[0].code, "aik_not_validated");
  EXPECT_EQ(out.ClaimsSummary()["aikValidated"], false);
}

// The log cache (service/verifier/replay_cache.h): once a log replayed, the
// device may name it by its SHA-256; the held log is still replayed against
// every round's quoted PCRs, so a PCR extended since is caught, and a digest
// the verifier does not hold is refused with a reason the agent acts on.
TEST_F(VerifierCoreTest, HeldLogIsNamedByDigestAndStillMustReplayToTheQuote) {
  ASSERT_OK_AND_ASSIGN(auto d, Device::Boot(kWindowsLog));
  auto v = MakeVerifier(kSecureBootPolicy);
  ASSERT_OK_AND_ASSIGN(service::EnrolledDevice e, Enrol(*v, *d));
  auto attest = [&](bool send_log, const std::string& digest)
      -> absl::StatusOr<service::AttestationOutcome> {
    ASSIGN_OR_RETURN(service::IssuedNonce n, v->nonces().Issue(e.device_id));
    ASSIGN_OR_RETURN(v1::Evidence ev, d->Evidence(n.bytes));
    if (!send_log) {
      ev.clear_event_log();
      ev.set_event_log_sha256(digest);
    }
    return v->core().Attest(e, ev);
  };
  ASSERT_OK_AND_ASSIGN(tpm::Digest sha,
                       tpm::Hash(tpm::HashAlg::kSha256, d->log));
  const std::string digest(sha.begin(), sha.end());

  // A digest before the verifier ever saw the log: refused, nothing kept.
  ASSERT_OK_AND_ASSIGN(service::AttestationOutcome unknown,
                       attest(false, digest));
  EXPECT_FALSE(unknown.permitted);
  ASSERT_FALSE(unknown.reasons.empty());
  EXPECT_EQ(unknown.reasons[0].stage, "eventlog");
  EXPECT_EQ(unknown.reasons[0].code, "log_unknown");
  EXPECT_EQ(v->core().FindVerdict(digest), nullptr);

  // The log sent: replayed, held under its digest.
  ASSERT_OK_AND_ASSIGN(service::AttestationOutcome first, attest(true, ""));
  ASSERT_TRUE(first.permitted) << first.reasons[0].ToString();
  ASSERT_NE(first.replay, nullptr);
  EXPECT_EQ(first.replay->log_digest, digest);
  EXPECT_EQ(v->core().FindVerdict(digest), first.replay);

  // Named by digest: the same replay serves (same PCR values), same claims.
  ASSERT_OK_AND_ASSIGN(service::AttestationOutcome held, attest(false, digest));
  ASSERT_TRUE(held.permitted) << held.reasons[0].ToString();
  EXPECT_EQ(held.replay, first.replay);
  EXPECT_EQ(held.ClaimsSummary(), first.ClaimsSummary());
  // Same device, same replay: the same source key, so the control plane
  // need not serialise the claims again.
  EXPECT_EQ(first.claims_key.size(), 32u);
  EXPECT_EQ(held.claims_key, first.claims_key);

  // PCR 23 (not in the log, not required) extended: the log still replays
  // but against other PCR values, so the `pcrs` claim and the key move.
  ASSERT_OK(tpm::ExtendPcr(*d->ctx, 23,
                           {{tpm::HashAlg::kSha256, tpm::Digest(32, 0x23)}}));
  ASSERT_OK_AND_ASSIGN(service::AttestationOutcome moved, attest(true, ""));
  ASSERT_TRUE(moved.permitted) << moved.reasons[0].ToString();
  EXPECT_NE(moved.replay, first.replay);
  EXPECT_EQ(moved.claims_key.size(), 32u);
  EXPECT_NE(moved.claims_key, first.claims_key);
  ASSERT_OK_AND_ASSIGN(held, attest(false, digest));
  ASSERT_TRUE(held.permitted) << held.reasons[0].ToString();
  EXPECT_EQ(held.claims_key, moved.claims_key);

  // PCR 7 (Secure Boot policy, in the log) extended behind the log's back:
  // the held log no longer replays to the quote, whether named or sent.
  const tpm::Digest junk(32, 0x42);
  ASSERT_OK(tpm::ExtendPcr(*d->ctx, 7, {{tpm::HashAlg::kSha256, junk}}));
  for (bool send_log : {false, true}) {
    ASSERT_OK_AND_ASSIGN(service::AttestationOutcome after,
                         attest(send_log, digest));
    EXPECT_FALSE(after.permitted) << "send_log=" << send_log;
    ASSERT_FALSE(after.reasons.empty());
    EXPECT_EQ(after.reasons[0].stage, "replay");
    EXPECT_EQ(after.reasons[0].code, "pcr_mismatch");
    EXPECT_EQ(after.reasons[0].pcr, 7);
    EXPECT_EQ(after.replay, nullptr);
  }
  // The held entry is still the last good replay, against its values.
  EXPECT_EQ(v->core().FindVerdict(digest), moved.replay);
}

// A verifier holds every device's verdict but only as many logs as room
// allows (replay_cache.h): a round whose PCR values and policy decision it
// has is decided without the log; one that needs the log (a policy not yet
// decided for these claims, PCR values the verdict is not for) is refused
// with eventlog/log_unknown, never decided over partial claims.
TEST_F(VerifierCoreTest, AHeldVerdictDecidesWithoutTheLogUntilTheLogIsNeeded) {
  ASSERT_OK_AND_ASSIGN(auto d, Device::Boot(kWindowsLog));
  ASSERT_GT(d->log.size() * service::kChargePerLogByte, 64u << 10);
  // 64 KiB for verdicts, 64 KiB for logs: this log's replay does not fit.
  auto v = MakeVerifier(kSecureBootPolicy,
                        service::AttestationCoreOptions().decision_memo_bytes,
                        /*replay_cache_bytes=*/128u << 10);
  ASSERT_OK_AND_ASSIGN(service::EnrolledDevice e, Enrol(*v, *d));
  const metrics::Counter& evaluations = v->metrics().policy_evaluations();
  ASSERT_OK_AND_ASSIGN(tpm::Digest sha,
                       tpm::Hash(tpm::HashAlg::kSha256, d->log));
  const std::string digest(sha.begin(), sha.end());

  ASSERT_OK_AND_ASSIGN(service::AttestationOutcome first,
                       AttestOnce(*v, *d, e));
  ASSERT_TRUE(first.permitted) << first.reasons[0].ToString();
  EXPECT_EQ(evaluations.Value(), 1u);
  ASSERT_NE(v->core().FindVerdict(digest), nullptr);
  EXPECT_EQ(v->core().FindHeldLog(digest), nullptr);

  // Named: decided from the verdict and the memoized decision.
  ASSERT_OK_AND_ASSIGN(service::AttestationOutcome named,
                       AttestOnce(*v, *d, e, digest));
  ASSERT_TRUE(named.permitted) << named.reasons[0].ToString();
  EXPECT_EQ(evaluations.Value(), 1u);
  EXPECT_EQ(named.replay, first.replay);
  EXPECT_EQ(named.ClaimsSummary(), first.ClaimsSummary());
  EXPECT_EQ(named.claims_key, first.claims_key);
  EXPECT_EQ(named.issued, first.issued);
  ASSERT_NE(named.claim_set, nullptr);
  auto has = [](const policy::ClaimSet& set, const std::string& type) {
    for (const policy::Claim& c : set.claims()) {
      if (c.type == type) return true;
    }
    return false;
  };
  EXPECT_FALSE(has(*named.claim_set, "events"));  // no log to render
  EXPECT_TRUE(has(*named.claim_set, "pcrs"));
  EXPECT_TRUE(has(*first.claim_set, "events"));

  // Another policy: nothing memoized for it, and the claims lack `events`
  // (which a policy may read): the log is asked for, nothing evaluated.
  constexpr char kReadsEvents[] = R"(version=1.0;
authorizationrules
{
    c:[type=="events", issuer=="AttestationService"] => permit();
};
issuancerules
{
};
)";
  ASSERT_OK(v->policies().Set("Tpm", kReadsEvents, "test.policy", absl::Now()));
  // A caller that will ask for the log (a stream whose request named it)
  // gets no decision, nothing observed, only the ask counted.
  int observed = 0;
  v->core().SetObserver(
      [&observed](const service::AttestationOutcome&) { ++observed; });
  const metrics::Counter& asked = v->metrics().logs_asked();
  ASSERT_OK_AND_ASSIGN(
      service::AttestationOutcome ask,
      AttestOnce(*v, *d, e, digest, v->core().FindVerdict(digest),
                 /*may_ask_for_log=*/true));
  EXPECT_EQ(ask.log_needed, service::AttestationOutcome::LogNeeded::kUndecided);
  EXPECT_FALSE(ask.permitted);
  EXPECT_EQ(observed, 0);
  EXPECT_EQ(asked.Value(), 1u);
  // Otherwise it is a denial that says what to do.
  ASSERT_OK_AND_ASSIGN(service::AttestationOutcome needs,
                       AttestOnce(*v, *d, e, digest));
  EXPECT_EQ(needs.log_needed, service::AttestationOutcome::LogNeeded::kNo);
  EXPECT_EQ(observed, 1);
  EXPECT_FALSE(needs.permitted);
  ASSERT_FALSE(needs.reasons.empty());
  EXPECT_EQ(needs.reasons[0].stage, "eventlog");
  EXPECT_EQ(needs.reasons[0].code, "log_unknown");
  EXPECT_THAT(needs.reasons[0].message, HasSubstr("send the event log"));
  EXPECT_EQ(needs.replay, nullptr);
  EXPECT_EQ(needs.claim_set, nullptr);
  EXPECT_TRUE(needs.token.empty());
  EXPECT_EQ(evaluations.Value(), 1u);
  // With the log sent: evaluated (the policy reads `events`, which is
  // there), and from then on decided without it again.
  ASSERT_OK_AND_ASSIGN(service::AttestationOutcome sent, AttestOnce(*v, *d, e));
  ASSERT_TRUE(sent.permitted) << sent.reasons[0].ToString();
  EXPECT_EQ(evaluations.Value(), 2u);
  ASSERT_OK_AND_ASSIGN(named, AttestOnce(*v, *d, e, digest));
  EXPECT_TRUE(named.permitted);
  EXPECT_EQ(evaluations.Value(), 2u);

  // PCR 23 extended: the verdict is for other values, and without the log
  // there is nothing to replay.
  ASSERT_OK(tpm::ExtendPcr(*d->ctx, 23,
                           {{tpm::HashAlg::kSha256, tpm::Digest(32, 0x23)}}));
  ASSERT_OK_AND_ASSIGN(
      service::AttestationOutcome moved,
      AttestOnce(*v, *d, e, digest, v->core().FindVerdict(digest),
                 /*may_ask_for_log=*/true));
  EXPECT_EQ(moved.log_needed,
            service::AttestationOutcome::LogNeeded::kOtherPcrValues);
  EXPECT_EQ(asked.Value(), 2u);
  ASSERT_OK_AND_ASSIGN(moved, AttestOnce(*v, *d, e, digest));
  EXPECT_FALSE(moved.permitted);
  ASSERT_FALSE(moved.reasons.empty());
  EXPECT_EQ(moved.reasons[0].code, "log_unknown");
  EXPECT_THAT(moved.reasons[0].message, HasSubstr("other PCR values"));
  EXPECT_EQ(moved.replay, nullptr);
  ASSERT_OK_AND_ASSIGN(moved, AttestOnce(*v, *d, e));
  ASSERT_TRUE(moved.permitted) << moved.reasons[0].ToString();
  EXPECT_NE(moved.claims_key, first.claims_key);
  ASSERT_OK_AND_ASSIGN(named, AttestOnce(*v, *d, e, digest));
  EXPECT_TRUE(named.permitted);
  EXPECT_EQ(named.claims_key, moved.claims_key);

  // PCR 23 again: the log never extends it, so its replay depends only on
  // it having moved (eventlog::ValueKeyedPcrs), as IMA's PCR 10 moves
  // between rounds. The verdict serves, and the decision memoized for it
  // too (the policy cannot read `pcrs`): no log, no replay, no evaluation.
  const uint64_t evaluated = evaluations.Value();
  ASSERT_OK(tpm::ExtendPcr(*d->ctx, 23,
                           {{tpm::HashAlg::kSha256, tpm::Digest(32, 0x24)}}));
  ASSERT_OK_AND_ASSIGN(
      service::AttestationOutcome again,
      AttestOnce(*v, *d, e, digest, v->core().FindVerdict(digest),
                 /*may_ask_for_log=*/true));
  ASSERT_TRUE(again.permitted) << again.reasons[0].ToString();
  EXPECT_EQ(again.log_needed, service::AttestationOutcome::LogNeeded::kNo);
  EXPECT_EQ(again.replay, named.replay);
  EXPECT_EQ(evaluations.Value(), evaluated);
  // The `pcrs` claim is the round's: the claims kept for the store move.
  EXPECT_NE(again.claims_key, named.claims_key);
  bool pcr23 = false;
  for (const service::Reason& r : again.reasons) {
    if (r.code == "pcr_not_in_log" && r.pcr == 23) {
      pcr23 = true;
      EXPECT_THAT(r.message, HasSubstr("other than its initial"));
    }
  }
  EXPECT_TRUE(pcr23);
  // A policy that reads `pcrs` is decided for the round's values: evaluated
  // (it cannot read `events`, so without the log) once per value.
  constexpr char kReadsPcrs[] = R"(version=1.0;
authorizationrules
{
    c:[type=="pcrs"] => permit();
};
)";
  ASSERT_OK(v->policies().Set("Tpm", kReadsPcrs, "test.policy", absl::Now()));
  ASSERT_OK_AND_ASSIGN(again, AttestOnce(*v, *d, e, digest));
  ASSERT_TRUE(again.permitted) << again.reasons[0].ToString();
  ASSERT_OK_AND_ASSIGN(again, AttestOnce(*v, *d, e, digest));
  EXPECT_EQ(evaluations.Value(), evaluated + 1);
  ASSERT_OK(tpm::ExtendPcr(*d->ctx, 23,
                           {{tpm::HashAlg::kSha256, tpm::Digest(32, 0x25)}}));
  ASSERT_OK_AND_ASSIGN(again, AttestOnce(*v, *d, e, digest));
  ASSERT_TRUE(again.permitted) << again.reasons[0].ToString();
  EXPECT_EQ(again.replay, named.replay);
  EXPECT_EQ(evaluations.Value(), evaluated + 2);
}

// A policy that cannot read `events` (policy::CompiledPolicy::
// MayReadClaimType) decides as well over a verdict's claims as over the
// whole set, so a round without the log is evaluated when nothing is
// memoized: after a policy change, and with the decision memo off. Before,
// every such round asked for the device's log again.
TEST_F(VerifierCoreTest, APolicyThatCannotReadEventsIsEvaluatedWithoutTheLog) {
  ASSERT_OK_AND_ASSIGN(auto d, Device::Boot(kWindowsLog));
  // The decision memo off; 64 KiB for verdicts, none of the log fits.
  auto v = MakeVerifier(kSecureBootPolicy, /*memo_bytes=*/0,
                        /*replay_cache_bytes=*/128u << 10);
  ASSERT_FALSE(v->policies().Get("Tpm")->reads_events);
  EXPECT_FALSE(v->core().PolicyReadsEvents());
  ASSERT_OK_AND_ASSIGN(service::EnrolledDevice e, Enrol(*v, *d));
  const metrics::Counter& evaluations = v->metrics().policy_evaluations();
  const metrics::Counter& asked = v->metrics().logs_asked();
  ASSERT_OK_AND_ASSIGN(service::AttestationOutcome first,
                       AttestOnce(*v, *d, e));
  ASSERT_TRUE(first.permitted) << first.reasons[0].ToString();
  ASSERT_NE(first.replay, nullptr);
  const std::string digest = first.replay->log_digest;
  EXPECT_EQ(v->core().FindHeldLog(digest), nullptr);

  // Named, nothing memoized: evaluated over the verdict's claims, with the
  // same outcome and issued claims as with the log.
  ASSERT_OK_AND_ASSIGN(
      service::AttestationOutcome named,
      AttestOnce(*v, *d, e, digest, v->core().FindVerdict(digest),
                 /*may_ask_for_log=*/true));
  ASSERT_TRUE(named.permitted) << named.reasons[0].ToString();
  EXPECT_EQ(named.log_needed, service::AttestationOutcome::LogNeeded::kNo);
  EXPECT_EQ(evaluations.Value(), 2u);
  EXPECT_EQ(named.issued, first.issued);
  EXPECT_EQ(named.replay, first.replay);
  EXPECT_EQ(asked.Value(), 0u);

  // A new policy that reads only log claims: evaluated without the log.
  constexpr char kDebugOff[] = R"(version=1.0;
authorizationrules
{
    [type=="bootDebuggingDisabled", value==false] => deny();
    => permit();
};
issuancerules
{
    c:[type=="bootDebuggingDisabled"] => issue(claim=c);
};
)";
  ASSERT_OK(v->policies().Set("Tpm", kDebugOff, "test.policy", absl::Now()));
  ASSERT_OK_AND_ASSIGN(
      named, AttestOnce(*v, *d, e, digest, v->core().FindVerdict(digest),
                        /*may_ask_for_log=*/true));
  ASSERT_TRUE(named.permitted) << named.reasons[0].ToString();
  EXPECT_EQ(evaluations.Value(), 3u);
  EXPECT_EQ(asked.Value(), 0u);
  EXPECT_EQ(named.policy_hash, v->policies().Get("Tpm")->hash);

  // One that reads `events` cannot be: the log is asked for.
  constexpr char kReadsEvents[] = R"(version=1.0;
authorizationrules
{
    c:[type=="events"] => permit();
};
)";
  ASSERT_OK(v->policies().Set("Tpm", kReadsEvents, "test.policy", absl::Now()));
  EXPECT_TRUE(v->core().PolicyReadsEvents());
  ASSERT_OK_AND_ASSIGN(
      named, AttestOnce(*v, *d, e, digest, v->core().FindVerdict(digest),
                        /*may_ask_for_log=*/true));
  EXPECT_EQ(named.log_needed,
            service::AttestationOutcome::LogNeeded::kUndecided);
  EXPECT_EQ(evaluations.Value(), 3u);
  EXPECT_EQ(asked.Value(), 1u);
}

// The verdict a request named is pinned for the round; if another
// device's log evicted it meanwhile, the round still uses it and puts it
// back, so the device's next request names its log again.
TEST_F(VerifierCoreTest, ANamedVerdictEvictedDuringTheRoundIsPutBack) {
  ASSERT_OK_AND_ASSIGN(auto d1, Device::Boot(kWindowsLog));
  ASSERT_OK_AND_ASSIGN(auto d2, Device::Boot(kLinuxLog, /*distinct_ek=*/true));
  // Room for one verdict (~4 KB charged) and no parsed log.
  auto v =
      MakeVerifier("", service::AttestationCoreOptions().decision_memo_bytes,
                   /*replay_cache_bytes=*/2 * 7000);
  ASSERT_OK_AND_ASSIGN(service::EnrolledDevice e1, Enrol(*v, *d1));
  ASSERT_OK_AND_ASSIGN(service::EnrolledDevice e2, Enrol(*v, *d2));
  ASSERT_OK_AND_ASSIGN(service::AttestationOutcome first,
                       AttestOnce(*v, *d1, e1));
  ASSERT_TRUE(first.permitted) << first.reasons[0].ToString();
  ASSERT_NE(first.replay, nullptr);
  const std::string digest = first.replay->log_digest;
  std::shared_ptr<const service::CachedReplay> known =
      v->core().FindVerdict(digest);
  ASSERT_NE(known, nullptr);

  // The request is out; another device's log takes the only place.
  ASSERT_OK_AND_ASSIGN(service::AttestationOutcome other,
                       AttestOnce(*v, *d2, e2));
  ASSERT_TRUE(other.permitted) << other.reasons[0].ToString();
  ASSERT_EQ(v->core().FindVerdict(digest), nullptr);

  ASSERT_OK_AND_ASSIGN(service::AttestationOutcome named,
                       AttestOnce(*v, *d1, e1, digest, known));
  ASSERT_TRUE(named.permitted) << named.reasons[0].ToString();
  EXPECT_EQ(named.replay, known);
  EXPECT_EQ(v->core().FindVerdict(digest), known);
}

// Policy decisions are memoized by (policy hash, claim set): the next round
// of the same boot under the same policy reuses the decision, denials
// included; another policy, or other PCR values, are evaluated afresh; the
// token is new every round (attestation_core.h).
TEST_F(VerifierCoreTest,
       PolicyDecisionsAreReusedOnlyForTheSamePolicyAndClaims) {
  ASSERT_OK_AND_ASSIGN(auto d, Device::Boot(kWindowsLog));
  auto v = MakeVerifier(kSecureBootPolicy);
  ASSERT_OK_AND_ASSIGN(service::EnrolledDevice e, Enrol(*v, *d));
  auto attest = [&] { return AttestOnce(*v, *d, e); };
  const metrics::Counter& evaluations = v->metrics().policy_evaluations();
  const auto& memo = v->core().decision_memo();

  ASSERT_OK_AND_ASSIGN(service::AttestationOutcome first, attest());
  ASSERT_TRUE(first.permitted) << first.reasons[0].ToString();
  EXPECT_EQ(evaluations.Value(), 1u);
  EXPECT_EQ(memo.size(), 1u);
  EXPECT_GT(memo.charged_bytes(), 0u);
  ASSERT_OK_AND_ASSIGN(service::AttestationOutcome again, attest());
  ASSERT_TRUE(again.permitted) << again.reasons[0].ToString();
  EXPECT_EQ(evaluations.Value(), 1u);  // reused
  EXPECT_EQ(again.issued, first.issued);
  EXPECT_EQ(again.issued["secureBootEnabled"], true);
  EXPECT_NE(again.token, first.token);
  EXPECT_NE(again.jti, first.jti);

  // Another policy (another hash): evaluated, and its denial, with the
  // rule and the unmatched condition, is what the next round gets too.
  constexpr char kNeedsWinPe[] = R"(version=1.0;
authorizationrules
{
    [type=="notWinPE", value==false, issuer=="AttestationService"] => permit();
};
issuancerules
{
};
)";
  ASSERT_OK(v->policies().Set("Tpm", kNeedsWinPe, "test.policy", absl::Now()));
  ASSERT_OK_AND_ASSIGN(service::AttestationOutcome denied, attest());
  EXPECT_FALSE(denied.permitted);
  EXPECT_EQ(evaluations.Value(), 2u);
  ASSERT_GE(denied.reasons.size(), 2u);
  EXPECT_EQ(denied.reasons[0].code, "denied");
  EXPECT_EQ(denied.reasons[1].code, "condition_unmatched");
  EXPECT_EQ(denied.reasons[1].rule, "4:5");
  ASSERT_OK_AND_ASSIGN(service::AttestationOutcome denied_again, attest());
  EXPECT_FALSE(denied_again.permitted);
  EXPECT_EQ(evaluations.Value(), 2u);
  ASSERT_EQ(denied_again.reasons.size(), denied.reasons.size());
  for (size_t i = 0; i < denied.reasons.size(); ++i) {
    EXPECT_EQ(denied_again.reasons[i].ToString(), denied.reasons[i].ToString());
    EXPECT_EQ(denied_again.reasons[i].rule, denied.reasons[i].rule);
  }

  // The first policy back: its decision is still held.
  ASSERT_OK(
      v->policies().Set("Tpm", kSecureBootPolicy, "test.policy", absl::Now()));
  ASSERT_OK_AND_ASSIGN(service::AttestationOutcome back, attest());
  EXPECT_TRUE(back.permitted);
  EXPECT_EQ(evaluations.Value(), 2u);
  EXPECT_EQ(memo.size(), 2u);

  // Other PCR values (23 is in no log): another claim set (the `pcrs`
  // claim), evaluated.
  ASSERT_OK(tpm::ExtendPcr(*d->ctx, 23,
                           {{tpm::HashAlg::kSha256, tpm::Digest(32, 0x23)}}));
  ASSERT_OK_AND_ASSIGN(service::AttestationOutcome moved, attest());
  EXPECT_TRUE(moved.permitted);
  EXPECT_EQ(evaluations.Value(), 3u);
  EXPECT_NE(moved.claims_key, back.claims_key);
}

// decision_memo_bytes = 0: every round evaluates the policy.
TEST_F(VerifierCoreTest, WithoutADecisionMemoEveryRoundEvaluates) {
  ASSERT_OK_AND_ASSIGN(auto d, Device::Boot(kWindowsLog));
  auto v = MakeVerifier("", /*decision_memo_bytes=*/0);
  ASSERT_OK_AND_ASSIGN(service::EnrolledDevice e, Enrol(*v, *d));
  for (int round = 1; round <= 2; ++round) {
    ASSERT_OK_AND_ASSIGN(service::AttestationOutcome o, AttestOnce(*v, *d, e));
    EXPECT_TRUE(o.permitted);
    EXPECT_EQ(v->metrics().policy_evaluations().Value(),
              static_cast<uint64_t>(round));
  }
  EXPECT_EQ(v->core().decision_memo().size(), 0u);
}

// The memo is per device (the claim set holds the AK's hash): two devices
// with the same boot log each get their own decision, and a decision taken
// from the memo keeps the token lifetime its policy issued.
TEST_F(VerifierCoreTest,
       MemoizedDecisionsArePerDeviceAndKeepTheirTokenLifetime) {
  constexpr char kPolicy[] = R"(version=1.2;
authorizationrules
{
    => permit();
};
issuancerules
{
    c:[type=="aikPubHash", issuer=="AttestationService"] => issue(claim=c);
    [type=="secureBootEnabled", value==true] => issueproperty(type="report_validity_in_minutes", value=60);
};
)";
  ASSERT_OK_AND_ASSIGN(auto d1, Device::Boot(kWindowsLog));
  ASSERT_OK_AND_ASSIGN(auto d2,
                       Device::Boot(kWindowsLog, /*distinct_ek=*/true));
  auto v = MakeVerifier(kPolicy);
  ASSERT_OK_AND_ASSIGN(service::EnrolledDevice e1, Enrol(*v, *d1));
  ASSERT_OK_AND_ASSIGN(service::EnrolledDevice e2, Enrol(*v, *d2));
  const metrics::Counter& evaluations = v->metrics().policy_evaluations();
  for (int round = 1; round <= 2; ++round) {
    ASSERT_OK_AND_ASSIGN(service::AttestationOutcome o1,
                         AttestOnce(*v, *d1, e1));
    ASSERT_OK_AND_ASSIGN(service::AttestationOutcome o2,
                         AttestOnce(*v, *d2, e2));
    ASSERT_TRUE(o1.permitted) << o1.reasons[0].ToString();
    ASSERT_TRUE(o2.permitted) << o2.reasons[0].ToString();
    EXPECT_EQ(evaluations.Value(), 2u) << "round " << round;
    // Each device's own AK hash, never the other's decision.
    EXPECT_EQ(o1.issued["aikPubHash"], o1.ClaimsSummary()["aikPubHash"]);
    EXPECT_EQ(o2.issued["aikPubHash"], o2.ClaimsSummary()["aikPubHash"]);
    EXPECT_NE(o1.issued["aikPubHash"], o2.issued["aikPubHash"]);
    // issueproperty's lifetime, from the memo too (not the 8-h default).
    const absl::Duration left = o1.expires_at - absl::Now();
    EXPECT_GT(left, absl::Minutes(59)) << "round " << round;
    EXPECT_LE(left, absl::Minutes(60)) << "round " << round;
  }
  EXPECT_EQ(v->core().decision_memo().size(), 2u);
}

// A policy that fails (a function error) is evaluated every round and says
// why each time; one that issues bytes that are not UTF-8 is refused at the
// token with a reason, from the memo as on its first round — the verifier
// goes on serving.
TEST_F(VerifierCoreTest,
       PolicyErrorsAreNotMemoizedAndUnsignableClaimsAreRefused) {
  constexpr char kFails[] = R"(version=1.2;
authorizationrules
{
    => permit();
};
issuancerules
{
    c:[type=="events", issuer=="AttestationService"] => issue(type="first", value=JsonToClaimValue(JmesPath(c.value, "Events[0]")));
};
)";
  ASSERT_OK_AND_ASSIGN(auto d, Device::Boot(kWindowsLog));
  auto v = MakeVerifier(kFails);
  ASSERT_OK_AND_ASSIGN(service::EnrolledDevice e, Enrol(*v, *d));
  auto attest = [&] { return AttestOnce(*v, *d, e); };
  const metrics::Counter& evaluations = v->metrics().policy_evaluations();
  for (uint64_t round = 1; round <= 2; ++round) {
    ASSERT_OK_AND_ASSIGN(service::AttestationOutcome o, attest());
    EXPECT_FALSE(o.permitted);
    ASSERT_FALSE(o.reasons.empty());
    EXPECT_EQ(o.reasons[0].code, "evaluation_error");
    EXPECT_THAT(o.reasons[0].message, HasSubstr("cannot be a claim value"));
    EXPECT_EQ(evaluations.Value(), round);
  }
  EXPECT_EQ(v->core().decision_memo().size(), 0u);

  const std::string latin1 =
      "version=1.0;\nauthorizationrules\n{\n    => permit();\n};\n"
      "issuancerules\n{\n    => issue(type=\"place\", "
      "value=\"caf\xe9\");\n};\n";
  ASSERT_OK(v->policies().Set("Tpm", latin1, "latin1.policy", absl::Now()));
  for (uint64_t round = 1; round <= 2; ++round) {
    ASSERT_OK_AND_ASSIGN(service::AttestationOutcome o, attest());
    EXPECT_FALSE(o.permitted);
    ASSERT_FALSE(o.reasons.empty());
    EXPECT_EQ(o.reasons[0].ToString(),
              "token/internal: token claims: x-ms-policy.place: invalid UTF-8");
    EXPECT_EQ(evaluations.Value(), 3u);  // the second round: from the memo
  }
}

}  // namespace
}  // namespace vigil::testing
