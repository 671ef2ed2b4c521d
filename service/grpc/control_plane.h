// File: service/grpc/control_plane.h
// -----------------------------------------------------------------------------
// The control plane as vigil-verifier runs it (issue #6): the store
// (SQLite or PostgreSQL), the policy manager over the verifier's policies,
// the admin gRPC listener, and three background jobs:
//   * sync: waits for the store's generation to move (a change made by any
//     replica; PostgreSQL wakes within milliseconds through NOTIFY, SQLite
//     polls every 200 ms) and puts the stored policies in force;
//   * attestation records: every attestation outcome becomes an audit event
//     and the device's latest attestation (with its incoming claims, kept
//     for dry runs, rewritten only when they change and serialised only
//     when the store does not keep them already: store::KeptClaimsMemo),
//     written by one thread from a bounded queue so a slow database never
//     slows attestation; whatever queued while one batch committed is the
//     next batch (up to 1,000 per transaction: one commit, not two per
//     attestation). When the queue is full, records are dropped and counted
//     in the log and in vigil_attestation_records_total{result="dropped"};
//   * retention: audit events older than audit_retention are pruned hourly;
//   * OIDC keys (when oidc_issuer is set): the identity provider's JWKS,
//     fetched over verified HTTPS at start and every 10 minutes (every 30 s
//     until the first success; bearer calls until then are refused with
//     "no keys from the identity provider yet").
#ifndef VIGIL_SERVICE_GRPC_CONTROL_PLANE_H_
#define VIGIL_SERVICE_GRPC_CONTROL_PLANE_H_

#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "grpcpp/server.h"
#include "service/admin/policy_manager.h"
#include "service/config/server_config.h"
#include "service/grpc/admin_service_impl.h"
#include "service/store/kept_claims_memo.h"
#include "service/store/store.h"
#include "service/store/store_device_registry.h"
#include "service/verifier/verifier.h"

namespace vigil::service {

class ControlPlane {
 public:
  // Opens the store config.store names (migrating its schema). Fails with
  // kInvalidArgument (malformed store URL), or as the store.
  static absl::StatusOr<std::unique_ptr<ControlPlane>> Open(
      const ControlPlaneConfig& config, const Clock& clock);
  ~ControlPlane();

  // For VerifierOptions::device_registry: enrolled devices live in the store.
  DeviceRegistry* registry() { return &registry_; }

  // Builds the policy manager over `verifier` (its policies, token key
  // ring), starts the admin listener and the background jobs, and records
  // every attestation. `tls_cert`/`tls_key` serve a TCP admin listener.
  // Adds the recorder's metrics to verifier->metrics(); one of them reads
  // this object, so the registry must not be rendered after it is gone.
  // Fails as PolicyManager::Create (isolated without signers, unusable
  // certificates), kInvalidArgument (policy_signers unreadable, role rules)
  // or kUnavailable (cannot bind the admin listener).
  absl::Status Start(Verifier* verifier, const std::string& tls_cert,
                     const std::string& tls_key);

  const std::string& admin_address() const { return config_.admin_listen; }

  // After Start: the core and the caller authenticator, for the REST mirror
  // on the HTTPS endpoint (service/http/admin_routes.h). Null before.
  admin::PolicyManager* manager() { return manager_.get(); }
  const auth::CallerAuthenticator* authenticator() const {
    return authenticator_.get();
  }

  // Stops the listener and the jobs, flushing queued attestation records.
  void Shutdown();

 private:
  ControlPlane(ControlPlaneConfig config, const Clock& clock,
               std::unique_ptr<store::Store> store)
      : config_(std::move(config)),
        clock_(clock),
        store_(std::move(store)),
        registry_(store_.get()) {}

  // What an attestation leaves for the store: the fields the audit event
  // and the latest-attestation record need, not the whole outcome (its
  // claims, trace and token are copied on the attesting thread otherwise).
  struct Pending {
    std::string device_id;
    absl::Time time;  // when it was decided, not when it was written
    bool permitted = false;
    std::string policy_hash;
    std::string jti;
    // Serialised on the recorder thread, once for the record and the audit
    // detail.
    std::vector<Reason> reasons;
    // The incoming claims that are kept (null: none were built, or too
    // many records with claims are queued) with the types left out, and
    // the log they came from; serialised on the recorder thread, not the
    // attesting one.
    std::shared_ptr<const policy::ClaimSet> claims;
    std::string claims_key;  // AttestationOutcome::claims_key
    std::vector<std::string> omitted;
    std::string log_digest;  // raw SHA-256; empty when unknown
    std::string log_pcrs_key;
  };
  void Record(const AttestationOutcome& outcome);
  void RunSync();
  void RunRecorder();
  void RunOidcKeys();
  // Fetches the provider's JWKS (discovering its URL when not configured)
  // and installs it.
  absl::Status RefreshOidcKeys();

  const ControlPlaneConfig config_;
  const Clock& clock_;
  std::unique_ptr<store::Store> store_;
  store::StoreDeviceRegistry registry_;
  std::unique_ptr<admin::PolicyManager> manager_;
  std::unique_ptr<auth::OidcAuthenticator> oidc_;
  std::unique_ptr<auth::CallerAuthenticator> authenticator_;
  std::unique_ptr<AdminServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::thread sync_;
  std::thread recorder_;
  std::thread oidc_keys_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  int64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  size_t queued_claims_ ABSL_GUARDED_BY(mu_) = 0;  // queue_ entries with claims
  store::KeptClaimsMemo claims_memo_;              // the recorder thread's
  // In the verifier's metrics registry (set by Start).
  metrics::Counter* records_stored_ = nullptr;
  metrics::Counter* records_dropped_ = nullptr;
  metrics::Counter* records_failed_ = nullptr;
};

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_GRPC_CONTROL_PLANE_H_
