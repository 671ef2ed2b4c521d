// File: service/http/admin_routes.h
// -----------------------------------------------------------------------------
// The REST mirror of vigil.v1.PolicyAdmin on the relying-party HTTPS
// endpoint (issue #6 §1), in Azure Attestation's data-plane shape
// (maa-spec.md §0.1, §5) for tools that speak REST:
//
//   GET  /policies/{type}           {"token": JWT {"x-ms-policy": JWS}}
//   PUT  /policies/{type}           body: the policy JWS (text/plain, or a
//                                   JSON string); {"token": PolicyResult}
//   POST /policies/{type}:reset     body: the reset JWS; {"token": ...}
//   GET  /policies/{type}/history   Vigil's: {"entries": [...]}, newest
//                                   first (?limit=1..1000, default 50)
//   GET  /certificates              {"token": JWT {"x-ms-policy-certificates"}}
//   POST /certificates:add          body: the certificate-change JWS
//   POST /certificates:remove       (text or a JSON string); {"token": ...}
//
// Every route authenticates the request like the gRPC admin listener does
// (auth::CallerAuthenticator: an OIDC bearer token in Authorization, or a
// client certificate the TLS handshake verified against admin_client_ca)
// and audits an unauthenticated call; roles and modes are the
// PolicyManager's. Statuses: 400 malformed (InvalidParameter), 401 no or a
// bad credential (WWW-Authenticate: Bearer), 403 role or mode refusal, 404
// unknown type, 405 wrong method (Allow), 409 a conflict (ABORTED, or
// FAILED_PRECONDITION: removing the last certificate), 413 a body over
// admin::kMaxAdminJwsBytes, 503 the store is unavailable (Retry-After);
// errors as {"error": {"code": "...", "message": "one line"}}.
// `?api-version=` may be absent or a version whose wire format this mirrors
// (kAdminApiVersions); another is refused with 400 rather than answered in
// a shape the client does not expect.
#ifndef VIGIL_SERVICE_HTTP_ADMIN_ROUTES_H_
#define VIGIL_SERVICE_HTTP_ADMIN_ROUTES_H_

#include <string>

#include "absl/status/status.h"
#include "service/admin/front_end.h"
#include "service/admin/policy_manager.h"
#include "service/auth/caller_authenticator.h"

namespace httplib {
class Server;
struct Response;
}  // namespace httplib

namespace vigil::service {

// The GA api-versions of Azure Attestation's data plane whose policy and
// certificate wire format the mirror speaks (2018-09-01-preview carried the
// policy text raw and is refused).
inline constexpr const char* kAdminApiVersions[] = {
    "2020-10-01", "2022-08-01", "2022-09-01-preview", "2025-06-01"};

// What the admin routes need; all null: no control plane, no routes (404).
struct AdminApi {
  admin::PolicyManager* manager = nullptr;                   // must outlive
  const auth::CallerAuthenticator* authenticator = nullptr;  // the server
};

// Registers the routes above on `server`. Requires both pointers of `api`.
// The server's payload limit must be at least kMaxAdminBodyBytes so that
// an oversized JWS is answered by the route (413) with its reason.
void RegisterAdminRoutes(httplib::Server& server, const AdminApi& api);

// The largest request body read: a JWS of kMaxAdminJwsBytes as a JSON
// string, with room for whitespace.
inline constexpr size_t kMaxAdminBodyBytes = admin::kMaxAdminJwsBytes + 64;

// Writes `status` as the endpoint's error answer: the HTTP status of its
// code, {"error": {"code", "message"}} with the message on one line
// (internal errors are logged and not shown), and Retry-After for 503.
void WriteErrorResponse(const absl::Status& status, httplib::Response& res);
// The same with the HTTP status and code given (answers no canonical code
// names: 411, 415, httplib's own 404 and 413).
void WriteErrorResponse(int http_status, absl::string_view code,
                        absl::string_view message, httplib::Response& res);

}  // namespace vigil::service

#endif  // VIGIL_SERVICE_HTTP_ADMIN_ROUTES_H_
