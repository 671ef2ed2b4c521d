#include "service/token/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <limits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/encoding.h"
#include "common/status_macros.h"
#include "service/token/internal/openssl_util.h"
#include "service/token/x509_certificate.h"

namespace vigil::token {
namespace {

using internal::EvpPkeyPtr;
using internal::OpenSslError;

constexpr size_t kP256CoordinateSize = 32;
constexpr int kMaxJwksDepth = 8;

struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

// Unsigned big-endian, as RFC 7518 §6.3.1.1 "Base64urlUInt": the minimum
// number of octets (BN_bn2bin gives exactly that).
absl::StatusOr<std::string> BigNumParam(EVP_PKEY* key, const char* name,
                                        int pad_to) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) {
    return OpenSslError(
        absl::StatusCode::kInternal,
        absl::StrCat("cannot read public key parameter ", name));
  }
  BnPtr bn(raw);
  const int size = pad_to > 0 ? pad_to : BN_num_bytes(bn.get());
  std::string out(static_cast<size_t>(size), '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()),
                   size) < 0) {
    return OpenSslError(absl::StatusCode::kInternal,
                        "public key parameter too large");
  }
  return Base64UrlEncode(AsBytes(out));
}

// A JWK member that must be a base64url string; `fixed_size` > 0 demands that
// many octets (RFC 7518 §6.2.1.2: "x" and "y" are the full coordinate size).
absl::StatusOr<std::string> Base64UrlMember(const Json& jwk, const char* name,
                                            size_t fixed_size) {
  auto it = jwk.find(name);
  if (it == jwk.end())
    return absl::InvalidArgumentError(absl::StrCat(name, " is missing"));
  if (!it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(name, " is not a string"));
  }
  absl::StatusOr<std::vector<uint8_t>> bytes =
      Base64UrlDecode(it->get_ref<const std::string&>());
  if (!bytes.ok()) return ::vigil::internal::Annotate(bytes.status(), name);
  if (fixed_size > 0 && bytes->size() != fixed_size) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " is ", bytes->size(), " bytes, want ", fixed_size));
  }
  if (fixed_size == 0 && (bytes->empty() || (*bytes)[0] == 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        name, " is empty or has a leading zero octet (RFC 7518 §6.3.1)"));
  }
  return std::string(bytes->begin(), bytes->end());
}

absl::StatusOr<EvpPkeyPtr> FromParams(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  std::unique_ptr<EVP_PKEY_CTX, internal::OpenSslFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  const bool ok =
      params != nullptr && ctx != nullptr &&
      EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) == 1;
  OSSL_PARAM_free(params);
  EvpPkeyPtr key(raw);
  if (!ok)
    return OpenSslError(absl::StatusCode::kInvalidArgument, "not a valid key");
  std::unique_ptr<EVP_PKEY_CTX, internal::OpenSslFree> check(
      EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "public key fails its consistency check");
  }
  return key;
}

struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};

// RFC 7518 §6.2.1.
absl::StatusOr<EvpPkeyPtr> EcKey(const Json& jwk) {
  auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string()) {
    return absl::InvalidArgumentError("crv is missing");
  }
  if (*crv != "P-256") {
    return absl::InvalidArgumentError(absl::StrCat(
        "crv ", DumpJson(*crv), " is not supported; want \"P-256\""));
  }
  ASSIGN_OR_RETURN(const std::string x,
                   Base64UrlMember(jwk, "x", kP256CoordinateSize));
  ASSIGN_OR_RETURN(const std::string y,
                   Base64UrlMember(jwk, "y", kP256CoordinateSize));
  const std::string point = absl::StrCat("\x04", x, y);  // SEC 1 §2.3.3
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                      "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       point.data(), point.size()) != 1) {
    return OpenSslError(absl::StatusCode::kInternal, "cannot build an EC key");
  }
  absl::StatusOr<EvpPkeyPtr> key = FromParams("EC", bld.get());
  if (!key.ok())
    return absl::InvalidArgumentError("x/y is not a point on P-256");
  return key;
}

// RFC 7518 §6.3.1.
absl::StatusOr<EvpPkeyPtr> RsaKey(const Json& jwk) {
  ASSIGN_OR_RETURN(const std::string n, Base64UrlMember(jwk, "n", 0));
  ASSIGN_OR_RETURN(const std::string e, Base64UrlMember(jwk, "e", 0));
  if (n.size() * 8 > static_cast<size_t>(internal::kMaxRsaBits) ||
      e.size() > 8) {
    return absl::InvalidArgumentError("n or e is too large");
  }
  auto bn = [](const std::string& s) {
    return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(s.data()),
                           static_cast<int>(s.size()), nullptr));
  };
  BnPtr bn_n = bn(n);
  BnPtr bn_e = bn(e);
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (bn_n == nullptr || bn_e == nullptr || bld == nullptr ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) !=
          1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) !=
          1) {
    return OpenSslError(absl::StatusCode::kInternal, "cannot build an RSA key");
  }
  return FromParams("RSA", bld.get());
}

// RFC 7517 §4.7: standard base64 DER certificates, leaf first; the leaf's key.
absl::StatusOr<EvpPkeyPtr> X5cLeafKey(const Json& x5c) {
  if (!x5c.is_array() || x5c.empty() || !x5c.front().is_string()) {
    return absl::InvalidArgumentError(
        "x5c is not a non-empty array of strings");
  }
  absl::StatusOr<std::vector<uint8_t>> der =
      Base64Decode(x5c.front().get_ref<const std::string&>());
  if (!der.ok()) return ::vigil::internal::Annotate(der.status(), "x5c[0]");
  absl::StatusOr<X509Certificate> cert =
      X509Certificate::ParseDer(absl::string_view(
          reinterpret_cast<const char*>(der->data()), der->size()));
  if (!cert.ok()) return ::vigil::internal::Annotate(cert.status(), "x5c[0]");
  EVP_PKEY* key = cert->public_key();
  if (key == nullptr || EVP_PKEY_up_ref(key) != 1) {
    return OpenSslError(absl::StatusCode::kInvalidArgument,
                        "x5c[0] has no usable public key");
  }
  return EvpPkeyPtr(key);
}

// One JWK -> a VerificationKey's parts, or the reason it is not usable.
absl::Status ReadJwk(const Json& jwk, std::string* kid, std::string* kty,
                     JwsAlgorithm* alg, EvpPkeyPtr* key) {
  if (!jwk.is_object()) return absl::InvalidArgumentError("not a JSON object");
  auto member = [&](const char* name) -> const Json* {
    auto it = jwk.find(name);
    return it == jwk.end() ? nullptr : &*it;
  };
  const Json* kty_v = member("kty");
  if (kty_v == nullptr || !kty_v->is_string()) {
    return absl::InvalidArgumentError("kty is missing");
  }
  *kty = kty_v->get<std::string>();
  if (*kty != "EC" && *kty != "RSA") {
    return absl::InvalidArgumentError(
        absl::StrCat("kty ", DumpJson(*kty_v), " is not supported"));
  }
  const Json* kid_v = member("kid");
  if (kid_v == nullptr || !kid_v->is_string() || kid_v->empty()) {
    return absl::InvalidArgumentError("kid is missing");
  }
  *kid = kid_v->get<std::string>();
  if (const Json* use = member("use"); use != nullptr && *use != "sig") {
    return absl::InvalidArgumentError(
        absl::StrCat("use ", DumpJson(*use), " is not \"sig\""));
  }
  if (const Json* ops = member("key_ops"); ops != nullptr) {
    bool verify = false;
    if (ops->is_array()) {
      for (const Json& op : *ops) verify = verify || op == "verify";
    }
    if (!verify) return absl::InvalidArgumentError("key_ops lacks \"verify\"");
  }
  const bool has_members = member(*kty == "EC" ? "x" : "n") != nullptr;
  const Json* x5c = member("x5c");
  if (has_members) {
    ASSIGN_OR_RETURN(*key, *kty == "EC" ? EcKey(jwk) : RsaKey(jwk));
  }
  if (x5c != nullptr) {
    ASSIGN_OR_RETURN(EvpPkeyPtr leaf, X5cLeafKey(*x5c));
    if (!has_members) {
      *key = std::move(leaf);
    } else if (EVP_PKEY_eq(leaf.get(), key->get()) != 1) {
      return OpenSslError(absl::StatusCode::kInvalidArgument,
                          "x5c[0] is for another key than the JWK members "
                          "(RFC 7517 §4.7)");
    }
  }
  if (*key == nullptr) {
    return absl::InvalidArgumentError(*kty == "EC" ? "x is missing"
                                                   : "n is missing");
  }
  ASSIGN_OR_RETURN(*alg, internal::AlgorithmForKey(key->get()));
  if ((*alg == JwsAlgorithm::kEs256) != (*kty == "EC")) {
    return absl::InvalidArgumentError("kty does not match the x5c key type");
  }
  if (const Json* alg_v = member("alg");
      alg_v != nullptr && *alg_v != std::string(JwsAlgorithmName(*alg))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "alg ", DumpJson(*alg_v), " does not fit this key (want \"",
        JwsAlgorithmName(*alg), "\")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Json> PublicJwk(const SigningKey& key) {
  ASSIGN_OR_RETURN(EvpPkeyPtr pub,
                   internal::ParseSubjectPublicKeyInfo(key.public_key_der()));
  Json jwk = Json::object();
  if (key.algorithm() == JwsAlgorithm::kEs256) {
    jwk["kty"] = "EC";
    jwk["crv"] = "P-256";
    ASSIGN_OR_RETURN(jwk["x"], BigNumParam(pub.get(), OSSL_PKEY_PARAM_EC_PUB_X,
                                           kP256CoordinateSize));
    ASSIGN_OR_RETURN(jwk["y"], BigNumParam(pub.get(), OSSL_PKEY_PARAM_EC_PUB_Y,
                                           kP256CoordinateSize));
  } else {
    jwk["kty"] = "RSA";
    ASSIGN_OR_RETURN(jwk["n"],
                     BigNumParam(pub.get(), OSSL_PKEY_PARAM_RSA_N, 0));
    ASSIGN_OR_RETURN(jwk["e"],
                     BigNumParam(pub.get(), OSSL_PKEY_PARAM_RSA_E, 0));
  }
  jwk["kid"] = key.kid();
  jwk["use"] = "sig";  // RFC 7517 §4.2
  jwk["alg"] = std::string(JwsAlgorithmName(key.algorithm()));  // §4.4
  if (!key.certificate_chain().empty()) {
    Json x5c = Json::array();
    for (const std::string& der : key.certificate_chain()) {
      x5c.push_back(Base64Encode(AsBytes(der)));
    }
    jwk["x5c"] = std::move(x5c);
  }
  return jwk;
}

std::string RenderJwks(absl::Span<const Json> jwks) {
  Json set = Json::object();
  set["keys"] = Json::array();
  for (const Json& jwk : jwks) set["keys"].push_back(jwk);
  return DumpJson(set);
}

absl::Status VerificationKey::Verify(JwsAlgorithm alg,
                                     absl::string_view signing_input,
                                     absl::string_view signature) const {
  if (alg != alg_) {
    return absl::UnauthenticatedError(absl::StrCat(
        "header: alg ", JwsAlgorithmName(alg), " does not fit key \"", kid_,
        "\" (kty ", kty_, ", verifies ", JwsAlgorithmName(alg_), " only)"));
  }
  return internal::VerifyJws(alg, key_.get(), signing_input, signature);
}

absl::StatusOr<Jwks> Jwks::Parse(absl::string_view json) {
  if (json.size() > kMaxJsonSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("JWKS: larger than ", kMaxJsonSize, " bytes"));
  }
  absl::StatusOr<Json> set = ParseJsonObject(json, kMaxJwksDepth);
  if (!set.ok()) return ::vigil::internal::Annotate(set.status(), "JWKS");
  auto keys = set->find("keys");
  if (keys == set->end() || !keys->is_array()) {
    return absl::InvalidArgumentError(
        "JWKS: \"keys\" is not an array (RFC 7517 §5.1)");
  }
  if (keys->size() > kMaxKeys) {
    return absl::InvalidArgumentError(
        absl::StrCat("JWKS: ", keys->size(), " keys, at most ", kMaxKeys));
  }
  Jwks out;
  absl::flat_hash_set<std::string> kids;
  size_t i = 0;
  for (const Json& jwk : *keys) {
    const std::string where = absl::StrCat("keys[", i++, "]");
    VerificationKey vk;
    EvpPkeyPtr key;
    absl::Status s = ReadJwk(jwk, &vk.kid_, &vk.kty_, &vk.alg_, &key);
    if (!s.ok()) {
      out.skipped_.push_back(absl::StrCat(where, ": ", s.message()));
      continue;
    }
    if (!kids.insert(vk.kid_).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("JWKS: ", where, ": kid \"", vk.kid_,
                       "\" is used by an earlier key"));
    }
    vk.key_ = std::shared_ptr<EVP_PKEY>(key.release(), EVP_PKEY_free);
    out.keys_.push_back(std::move(vk));
  }
  return out;
}

const VerificationKey* Jwks::Find(absl::string_view kid) const {
  for (const VerificationKey& k : keys_) {
    if (k.kid() == kid) return &k;
  }
  return nullptr;
}

}  // namespace vigil::token
