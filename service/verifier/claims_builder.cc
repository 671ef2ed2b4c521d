#include "service/verifier/claims_builder.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "eventlog/claims.h"
#include "eventlog/maa_json.h"
#include "tpm/types/hash_alg.h"

namespace vigil::service {
namespace {

policy::Value ToPolicyValue(const eventlog::ClaimValue& v) {
  if (const bool* b = std::get_if<bool>(&v)) return policy::Value::Bool(*b);
  if (const int64_t* i = std::get_if<int64_t>(&v))
    return policy::Value::Int(*i);
  return policy::Value::String(std::get<std::string>(v));
}

// The log's part of the claim set, once per replay; null when it was not
// made yet and this round does not have the log to make it from.
std::shared_ptr<const LogClaims> ClaimsOf(const VerifiedEvidence& evidence) {
  const CachedReplay& replay = evidence.replay();
  absl::MutexLock lock(&replay.memo_mu);
  if (replay.memo == nullptr && evidence.shared_log() != nullptr) {
    replay.memo = MakeLogClaims(*evidence.shared_log());
  }
  return replay.memo;
}

// BuiltClaims::source_key (`pcrs_key` = PcrValuesKey of the round's
// banks) and decision_key (the replay's key): every input,
// length-prefixed.
std::string SourceKey(const VerifiedEvidence& evidence, absl::string_view tag,
                      absl::string_view pcrs_key) {
  std::vector<uint8_t> text;
  auto field = [&text](absl::string_view s) {
    const uint32_t n = static_cast<uint32_t>(s.size());
    for (int i = 0; i < 4; ++i)
      text.push_back(static_cast<uint8_t>(n >> (8 * i)));
    text.insert(text.end(), s.begin(), s.end());
  };
  field(tag);
  field(evidence.device().aik_validated ? "1" : "0");
  field(evidence.aik_pub_hash());
  field(evidence.replay().log_digest);
  field(pcrs_key);
  absl::StatusOr<tpm::Digest> d = tpm::Hash(tpm::HashAlg::kSha256, text);
  if (!d.ok()) return "";
  return std::string(d->begin(), d->end());
}

}  // namespace

std::shared_ptr<const LogClaims> MakeLogClaims(
    const eventlog::ReplayedLog& log) {
  auto made = std::make_shared<LogClaims>();
  const eventlog::DerivedClaims derived = eventlog::DeriveClaims(log);
  for (const auto& [name, value] : derived.claims) {
    made->claims.emplace_back(name, ToPolicyValue(value));
  }
  for (const auto& [reason, names] : derived.UnderivableByReason()) {
    made->notes.push_back(Reason::Of(
        "claims", "underivable",
        absl::StrCat(absl::StrJoin(names, ", "), " not derived: ", reason)));
  }
  // Kept for the boot beside every device's verdict: no growth slack
  // (half of a Windows log's LogClaims was spare capacity).
  made->claims.shrink_to_fit();
  made->notes.shrink_to_fit();
  return made;
}

policy::Value EventsClaim(std::shared_ptr<const eventlog::ReplayedLog> log) {
  return policy::Value::LazyJsonDocument(
      [log = std::move(log)] { return eventlog::RenderEventsJson(*log); });
}

BuiltClaims BuildClaims(const VerifiedEvidence& evidence) {
  BuiltClaims out;
  const std::shared_ptr<const LogClaims> log_claims = ClaimsOf(evidence);
  // The three below, the log's, events and pcrs: one allocation, not a
  // doubling chain of moves per round.
  out.claims.Reserve(5 + (log_claims != nullptr ? log_claims->claims.size()
                                                 : 0));
  out.claims.Add("aikValidated",
                 policy::Value::Bool(evidence.device().aik_validated));
  const std::string& aik_hash = evidence.aik_pub_hash();
  if (!aik_hash.empty())
    out.claims.Add("aikPubHash", policy::Value::String(aik_hash));
  out.claims.Add("tpmVersion", policy::Value::Int(2));

  out.log_claims_absent = log_claims == nullptr;
  out.events_absent = evidence.shared_log() == nullptr;
  if (log_claims != nullptr) {
    for (const auto& [name, value] : log_claims->claims) {
      out.claims.Add(name, value);
    }
    out.notes = log_claims->notes;
  }
  // Rendered only if the policy reads it (maa-spec.md §3.3: every event with
  // its ProcessedData, ~1 ms for a Windows log's certificates); most
  // policies never do, and it is not part of the token.
  if (evidence.shared_log() != nullptr) {
    out.claims.Add("events", EventsClaim(evidence.shared_log()));
  }
  // From this round's quote, and only if read (a policy evaluation, or the
  // control plane keeping the claims): 13 KB of JSON per device, too much
  // to keep beside every device's verdict, and ~20 µs to render.
  out.claims.Add(
      "pcrs", policy::Value::LazyJsonDocument(
                  [pcrs = evidence.shared_pcrs()] {
                    return eventlog::RenderPcrsJson(*pcrs);
                  },
                  policy::Value::WhenKept::kRender)
                  .set_read_only(true));
  // Without the log's claims the set is not what the key stands for.
  if (log_claims != nullptr) {
    out.source_key = SourceKey(evidence, "vigil claims 1",
                               PcrValuesKey(evidence.pcrs()));
    out.decision_key =
        SourceKey(evidence, "vigil decision 1", evidence.replay().pcrs_key);
  }
  return out;
}

nlohmann::ordered_json ScalarClaimsJson(const policy::ClaimSet& claims) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const policy::Claim& c : claims.claims()) {
    // By type, not by looking at the value: asking a lazily rendered value
    // for its kind of text would render it.
    if (policy::IsJsonValuedClaimType(c.type)) continue;
    if (c.value.is_scalar()) out[c.type] = c.value.ToJson();
  }
  return out;
}

}  // namespace vigil::service
