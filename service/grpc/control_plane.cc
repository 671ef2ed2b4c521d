#include "service/grpc/control_plane.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/encoding.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "service/http/https_fetch.h"
#include "service/store/postgres_store.h"
#include "service/store/sqlite_store.h"
#include "service/token/x509_certificate.h"
#include "service/verifier/claims_builder.h"
#include "service/verifier/ek_trust.h"

namespace vigil::service {
namespace {

// At most this many attestation records wait for the database.
constexpr size_t kMaxQueuedRecords = 10000;
// Attestation records written per store transaction (RunRecorder).
constexpr size_t kMaxRecordsPerBatch = 1000;
// Queued records that carry their claims, at most: a device's claims with
// `pcrs` take ~20 KB of memory. Beyond this many (the store is behind),
// records queue without them; a device's next attestation brings them
// again, and unchanged ones would not have been rewritten anyway.
constexpr size_t kMaxQueuedClaims = 1000;

absl::StatusOr<std::vector<token::X509Certificate>> LoadSigners(
    const std::string& path) {
  if (path.empty()) return std::vector<token::X509Certificate>{};
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy_signers ", path, ": cannot read"));
  }
  std::stringstream buf;
  buf << in.rdbuf();
  absl::StatusOr<std::vector<token::X509Certificate>> certs =
      token::X509Certificate::ParsePem(buf.str());
  if (!certs.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("policy_signers ", path, ": ", certs.status().message()));
  }
  return certs;
}

// The DER certificates of a PEM text or, when it has no PEM block, of one
// DER certificate (vendors publish EK roots as DER .cer/.crt files).
absl::Status AppendCertificates(const std::string& bytes,
                                const std::string& what,
                                std::vector<std::string>* out) {
  if (absl::StrContains(bytes, "-----BEGIN")) {
    absl::StatusOr<std::vector<token::X509Certificate>> certs =
        token::X509Certificate::ParsePem(bytes);
    if (!certs.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": ", certs.status().message()));
    }
    for (const token::X509Certificate& c : *certs) out->push_back(c.der());
    return absl::OkStatus();
  }
  absl::StatusOr<token::X509Certificate> cert =
      token::X509Certificate::ParseDer(bytes);
  if (!cert.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", cert.status().message()));
  }
  out->push_back(cert->der());
  return absl::OkStatus();
}

// The trust material of the configuration as it is on disk now (what an
// export carries and an import compares with): the EK trust bundle's
// certificates (the files EkTrustStore reads, or the PEM the verifier was
// given) and the policy_signers pins.
absl::StatusOr<admin::TrustMaterial> ReadTrustMaterial(
    const std::string& ek_trust_dir, const std::string& ek_trust_pem,
    const std::string& policy_signers) {
  admin::TrustMaterial out;
  if (!ek_trust_dir.empty()) {
    ASSIGN_OR_RETURN(std::vector<std::filesystem::path> files,
                     EkTrustBundleFiles(ek_trust_dir));
    for (const auto& path : files) {
      std::ifstream in(path, std::ios::binary);
      std::stringstream buf;
      buf << in.rdbuf();
      RETURN_IF_ERROR(AppendCertificates(
          buf.str(), absl::StrCat("ek_trust_dir ", path.string()),
          &out.ek_roots));
    }
  } else if (!ek_trust_pem.empty()) {
    RETURN_IF_ERROR(
        AppendCertificates(ek_trust_pem, "ek_trust_pem", &out.ek_roots));
  }
  ASSIGN_OR_RETURN(std::vector<token::X509Certificate> signers,
                   LoadSigners(policy_signers));
  for (const token::X509Certificate& c : signers) {
    out.policy_signers.push_back(c.der());
  }
  return out;
}

nlohmann::json ReasonsJson(const std::vector<Reason>& reasons) {
  nlohmann::json out = nlohmann::json::array();
  for (const Reason& r : reasons) {
    nlohmann::json j = {
        {"stage", r.stage}, {"code", r.code}, {"message", r.message}};
    if (!r.rule.empty()) j["rule"] = r.rule;
    if (r.pcr >= 0) j["pcr"] = r.pcr;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ControlPlane>> ControlPlane::Open(
    const ControlPlaneConfig& config, const Clock& clock) {
  std::unique_ptr<store::Store> store;
  if (absl::StartsWith(config.store, "sqlite:")) {
    store::SqliteStoreOptions o;
    o.path = config.store.substr(7);
    ASSIGN_OR_RETURN(store, store::SqliteStore::Open(o));
  } else if (absl::StartsWith(config.store, "postgres:")) {
    store::PostgresStoreOptions o;
    o.conninfo = config.store.substr(9);
    ASSIGN_OR_RETURN(store, store::PostgresStore::Open(o));
  } else {
    return absl::InvalidArgumentError(
        "store: want sqlite:/path.db or postgres:<conninfo>");
  }
  return std::unique_ptr<ControlPlane>(
      new ControlPlane(config, clock, std::move(store)));
}

ControlPlane::~ControlPlane() { Shutdown(); }

absl::Status ControlPlane::Start(Verifier* verifier,
                                 const std::string& tls_cert,
                                 const std::string& tls_key) {
  ASSIGN_OR_RETURN(std::vector<token::X509Certificate> signers,
                   LoadSigners(config_.policy_signers));
  admin::ManagerOptions mo;
  mo.mode = config_.mode;
  mo.issuer = verifier->options().core.issuer;
  mo.trust_material = [dir = verifier->options().ek_trust_dir,
                       pem = verifier->options().ek_trust_pem,
                       signers = config_.policy_signers] {
    return ReadTrustMaterial(dir, pem, signers);
  };
  // The store keeps no `events` (costly to render, rarely read); while the
  // verifier still holds the parsed log the claims came from (replayed
  // against the same PCR values), a dry run gets them rendered from it, as
  // the attestation would have.
  mo.events_from_log =
      [core = &verifier->core()](
          const std::string& log_hex,
          const std::string& pcrs_hex) -> std::optional<policy::Value> {
    absl::StatusOr<std::vector<uint8_t>> digest = HexDecode(log_hex);
    absl::StatusOr<std::vector<uint8_t>> pcrs = HexDecode(pcrs_hex);
    if (!digest.ok() || !pcrs.ok()) return std::nullopt;
    std::shared_ptr<const HeldLog> held =
        core->FindHeldLog(LogDigest(digest->begin(), digest->end()));
    if (held == nullptr ||
        held->pcrs_key != std::string(pcrs->begin(), pcrs->end())) {
      return std::nullopt;  // evicted, or replayed against other PCRs
    }
    return EventsClaim(held->replayed);
  };
  ASSIGN_OR_RETURN(manager_,
                   admin::PolicyManager::Create(
                       mo, store_.get(), &verifier->policies(),
                       &verifier->key_ring(), clock_, std::move(signers)));
  ASSIGN_OR_RETURN(
      auth::RoleMap roles,
      auth::RoleMap::Parse(config_.admin_readers, config_.admin_contributors));
  if (!config_.oidc.issuer.empty()) {
    ASSIGN_OR_RETURN(oidc_,
                     auth::OidcAuthenticator::Create(config_.oidc, clock_));
  }
  authenticator_ = std::make_unique<auth::CallerAuthenticator>(std::move(roles),
                                                               oidc_.get());
  service_ =
      std::make_unique<AdminServiceImpl>(manager_.get(), authenticator_.get());
  AdminListenerOptions lo;
  lo.address = config_.admin_listen;
  lo.tls_cert_file = tls_cert;
  lo.tls_key_file = tls_key;
  lo.tls_client_ca_file = config_.admin_client_ca;
  ASSIGN_OR_RETURN(server_, StartAdminServer(service_.get(), lo));
  metrics::Registry& registry = verifier->metrics().registry();
  metrics::CounterFamily& records = registry.AddCounterFamily(
      "vigil_attestation_records_total",
      "Attestation records (audit event + latest attestation) by fate: "
      "stored, dropped (queue full: the store is too slow) or failed (the "
      "store refused the batch).",
      {"result"});
  records_stored_ = &records.With({"stored"});
  records_dropped_ = &records.With({"dropped"});
  records_failed_ = &records.With({"failed"});
  registry.AddGaugeCallback("vigil_attestation_records_queued",
                            "Attestation records waiting for the store.",
                            [this] {
                              absl::MutexLock lock(&mu_);
                              return static_cast<double>(queue_.size());
                            });
  RETURN_IF_ERROR(registry.status());
  verifier->core().SetObserver(
      [this](const AttestationOutcome& o) { Record(o); });
  sync_ = std::thread([this] { RunSync(); });
  recorder_ = std::thread([this] { RunRecorder(); });
  if (oidc_ != nullptr) oidc_keys_ = std::thread([this] { RunOidcKeys(); });
  return absl::OkStatus();
}

void ControlPlane::Record(const AttestationOutcome& outcome) {
  if (outcome.device_id.empty()) return;
  Pending p;
  p.device_id = outcome.device_id;
  p.time = clock_.Now();
  p.permitted = outcome.permitted;
  p.policy_hash = outcome.policy_hash;
  p.jti = outcome.jti;
  p.reasons = outcome.reasons;
  if (outcome.claim_set != nullptr) {
    // The claims that are kept, sharing their values (a list of pointers,
    // no data copied): the lazily rendered ones (`events`) are never kept,
    // and one a policy did render (~0.5 MB) must not wait in the queue.
    auto kept = std::make_shared<policy::ClaimSet>();
    bool has_events = false;
    for (const policy::Claim& c : outcome.claim_set->claims()) {
      has_events |= c.type == "events";
      if (c.value.lazy()) {
        p.omitted.push_back(c.type);
      } else {
        kept->Add(c);
      }
    }
    // A round decided from a held verdict had no log to make `events`
    // from (BuiltClaims::events_absent): omitted all the same, so a dry run
    // rebuilds it while the log is held and otherwise says it is missing.
    if (!has_events) p.omitted.push_back("events");
    p.claims = std::move(kept);
    p.claims_key = outcome.claims_key;
  }
  if (outcome.replay != nullptr) {
    p.log_digest = outcome.replay->log_digest;
    p.log_pcrs_key = outcome.replay->pcrs_key;
  }
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    records_dropped_->Increment();  // decided while the verifier stopped
    return;
  }
  if (queue_.size() >= kMaxQueuedRecords) {
    ++dropped_;
    records_dropped_->Increment();
    return;
  }
  if (p.claims != nullptr) {
    if (queued_claims_ < kMaxQueuedClaims) {
      ++queued_claims_;
    } else {
      p.claims.reset();  // the device's next attestation brings them again
    }
  }
  queue_.push_back(std::move(p));
}

void ControlPlane::RunRecorder() {
  absl::Time last_drop_report = absl::InfinitePast();
  absl::Time last_prune = absl::InfinitePast();
  while (true) {
    std::vector<Pending> batch;
    int64_t dropped = 0;
    bool last = false;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(
          absl::Condition(
              +[](ControlPlane* cp) ABSL_EXCLUSIVE_LOCKS_REQUIRED(cp->mu_) {
                return cp->stopping_ || !cp->queue_.empty();
              },
              this),
          absl::Seconds(60));
      if (queue_.empty() && stopping_) return;
      if (dropped_ > 0 && clock_.Now() - last_drop_report > absl::Minutes(1)) {
        dropped = std::exchange(dropped_, 0);
      }
      // Whatever queued up while the last batch committed goes in the next
      // one: at fleet rates a batch holds hundreds of attestations per
      // commit, at low rates each is written at once.
      while (!queue_.empty() && batch.size() < kMaxRecordsPerBatch) {
        if (queue_.front().claims != nullptr) --queued_claims_;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      last = stopping_ && queue_.empty();
    }
    const absl::Time now = clock_.Now();
    if (dropped > 0) {
      last_drop_report = now;
      std::cerr << "vigil-verifier: store too slow: " << dropped
                << " attestation records dropped (audit and latest "
                   "attestation)\n";
    }
    if (config_.audit_retention > absl::ZeroDuration() &&
        now - last_prune > absl::Hours(1)) {
      last_prune = now;
      absl::StatusOr<int64_t> pruned =
          store_->PruneAudit(now - config_.audit_retention);
      if (!pruned.ok()) {
        std::cerr << "vigil-verifier: audit retention: "
                  << pruned.status().message() << "\n";
      }
    }
    std::vector<store::Store::AttestationWrite> writes;
    std::vector<store::ClaimsSource> sources;
    writes.reserve(batch.size());
    sources.reserve(batch.size());
    for (Pending& o : batch) {
      store::Store::AttestationWrite w;
      store::AttestationRecord& r = w.record;
      r.device_id = o.device_id;
      r.time = o.time;
      r.permitted = o.permitted;
      r.attestation_type = std::string(kAttestationTypeTpm);
      r.policy_hash = o.policy_hash;
      r.token_id = o.permitted ? o.jti : "";
      // Built once, for the record and (when denied) the audit detail.
      nlohmann::json reasons = ReasonsJson(o.reasons);
      r.reasons_json = reasons.dump();
      store::AuditEvent& e = w.audit;
      e.time = o.time;
      e.actor = {absl::StrCat("device:", o.device_id), auth::Role::kAgent};
      e.action = store::AuditAction::kAttestation;
      e.attestation_type = r.attestation_type;
      e.policy_hash = o.policy_hash;
      e.result = o.permitted ? store::AuditResult::kSuccess
                             : store::AuditResult::kDenied;
      nlohmann::json detail = {{"jti", o.jti}};
      if (!o.permitted) {
        detail["reasons"] = std::move(reasons);
      }
      e.detail_json = detail.dump();
      store::ClaimsSource& source = sources.emplace_back();
      if (o.claims != nullptr) {
        // Several KB of JSON each, serialised only when the store does not
        // keep them already (KeptClaimsMemo).
        source.source_key = o.claims_key;
        source.render = [&o] {
          return store::DeviceClaims{policy::WriteClaimsJson(*o.claims).text,
                                     o.omitted,
                                     HexEncode(AsBytes(o.log_digest)),
                                     HexEncode(AsBytes(o.log_pcrs_key))};
        };
      }
      writes.push_back(std::move(w));
    }
    claims_memo_.Fill(*store_, absl::MakeSpan(writes), sources);
    if (!writes.empty()) {
      absl::StatusOr<int64_t> skipped = store_->RecordAttestations(writes);
      (skipped.ok() ? records_stored_ : records_failed_)
          ->Increment(writes.size());
      if (!skipped.ok()) {
        std::cerr << "vigil-verifier: " << writes.size()
                  << " attestation record(s) not stored: "
                  << skipped.status().message() << "\n";
      } else if (*skipped > 0) {
        std::cerr << "vigil-verifier: " << *skipped
                  << " attestation record(s) for devices no longer enrolled "
                     "kept in the audit trail only\n";
      }
    }
    if (last) return;
  }
}

void ControlPlane::RunSync() {
  absl::StatusOr<int64_t> seen = store_->Generation();
  int64_t generation = seen.ok() ? *seen : 0;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    absl::StatusOr<int64_t> next =
        store_->WaitForGeneration(generation, absl::Seconds(1));
    if (!next.ok()) {
      std::cerr << "vigil-verifier: store: " << next.status().message() << "\n";
      absl::SleepFor(absl::Seconds(1));
      continue;
    }
    if (*next == generation) continue;
    generation = *next;
    if (absl::Status s = manager_->Sync(); !s.ok()) {
      std::cerr << "vigil-verifier: " << s.message() << "\n";
    }
  }
}

absl::Status ControlPlane::RefreshOidcKeys() {
  http::FetchOptions fetch;
  fetch.ca_file = config_.oidc_ca;
  ASSIGN_OR_RETURN(http::ProviderJwks keys,
                   http::FetchProviderJwks(config_.oidc.issuer,
                                           config_.oidc_jwks_url, fetch));
  absl::StatusOr<token::Jwks> jwks = token::Jwks::Parse(keys.json);
  if (!jwks.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(keys.uri, ": ", jwks.status().message()));
  }
  return oidc_->SetJwks(*std::move(jwks));
}

void ControlPlane::RunOidcKeys() {
  while (true) {
    const absl::Status s = RefreshOidcKeys();
    if (!s.ok()) {
      std::cerr << "vigil-verifier: OIDC keys not refreshed: " << s.message()
                << "\n";
    }
    const absl::Duration wait =
        oidc_->has_keys() ? absl::Minutes(10) : absl::Seconds(30);
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait)) return;
  }
}

void ControlPlane::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (server_ != nullptr) server_->Shutdown();
  if (sync_.joinable()) sync_.join();
  if (recorder_.joinable()) recorder_.join();
  if (oidc_keys_.joinable()) oidc_keys_.join();
}

}  // namespace vigil::service
