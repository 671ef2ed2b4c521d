#include "service/verifier/policy_set.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "policy/claim.h"
#include "policy/evaluator.h"
#include "policy/policy_hash.h"

namespace vigil::service {
namespace {

constexpr absl::string_view kBuiltIn = "built-in default";

absl::StatusOr<std::string> ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path.string(), ": cannot open"));
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace

PolicySet::PolicySet() {
  absl::StatusOr<std::shared_ptr<const ActivePolicy>> def =
      Compile(kAttestationTypeTpm, std::string(kDefaultTpmPolicy),
              std::string(kBuiltIn), absl::UnixEpoch());
  // The built-in text is a constant that the tests compile; it cannot fail.
  if (def.ok()) {
    defaults_[std::string(kAttestationTypeTpm)] = *def;
    policies_[std::string(kAttestationTypeTpm)] = *def;
  }
}

absl::StatusOr<std::shared_ptr<const ActivePolicy>> PolicySet::Compile(
    absl::string_view type, std::string text, std::string source,
    absl::Time now) const {
  policy::CompileOptions options;
  options.source_name = source;
  policy::CompileResult r = policy::Compile(text, options);
  if (!r.ok()) {
    return absl::InvalidArgumentError(
        std::string(absl::StripTrailingAsciiWhitespace(r.FormatIssues())));
  }
  ASSIGN_OR_RETURN(std::string hash, policy::PolicyHash(text));
  // Configuration rules over an empty claim set: the properties the agent
  // must know before it quotes.
  policy::EvaluateOptions eval;
  eval.explain = false;
  absl::StatusOr<policy::EvaluationResult> config =
      policy::Evaluate(r.policy(), policy::ClaimSet(), eval);
  auto p = std::make_shared<ActivePolicy>(ActivePolicy{
      std::string(type), std::move(text), std::move(source), r.policy(),
      std::move(hash), policy::PolicyProperties(), false, 0, now});
  p->reads_events = p->compiled.MayReadClaimType("events");
  p->reads_pcrs = p->compiled.MayReadClaimType("pcrs");
  if (config.ok()) {
    p->properties = config->properties;
    for (const policy::OutputClaim& c : config->issued_properties) {
      if (c.type == policy::kReportValidityInMinutes)
        p->report_validity_set = true;
    }
  }
  return p;
}

void PolicySet::Update(const std::function<void()>& change,
                       const std::vector<std::string>& types, absl::Time now) {
  std::vector<std::string> changed;
  std::vector<std::function<void(const std::string&)>> callbacks;
  {
    absl::MutexLock lock(&mu_);
    change();
    bool bumped = false;
    for (const std::string& type : types) {
      std::shared_ptr<const ActivePolicy> want;
      if (auto m = managed_.find(type); m != managed_.end()) {
        want = m->second;
      } else if (auto d = defaults_.find(type); d != defaults_.end()) {
        want = d->second;
      }
      auto cur = policies_.find(type);
      const bool same = cur == policies_.end()
                            ? want == nullptr
                            : want != nullptr &&
                                  cur->second->text == want->text &&
                                  cur->second->source == want->source;
      if (same) continue;
      if (!bumped) {
        ++generation_;
        bumped = true;
      }
      if (want == nullptr) {
        policies_.erase(type);
      } else {
        auto copy = std::make_shared<ActivePolicy>(*want);
        copy->generation = generation_;
        copy->loaded_at = now;
        policies_[type] = std::move(copy);
      }
      changed.push_back(type);
    }
    callbacks = callbacks_;
  }
  for (const std::string& t : changed) {
    for (const auto& cb : callbacks) cb(t);
  }
}

absl::Status PolicySet::Set(absl::string_view type, std::string text,
                            std::string source, absl::Time now) {
  ASSIGN_OR_RETURN(auto p,
                   Compile(type, std::move(text), std::move(source), now));
  const std::string key(type);
  Update([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { managed_[key] = p; }, {key},
         now);
  return absl::OkStatus();
}

void PolicySet::Reset(absl::string_view type, absl::Time now) {
  const std::string key(type);
  Update([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { managed_.erase(key); }, {key},
         now);
}

std::shared_ptr<const ActivePolicy> PolicySet::Default(
    absl::string_view type) const {
  absl::MutexLock lock(&mu_);
  auto it = defaults_.find(type);
  return it == defaults_.end() ? nullptr : it->second;
}

bool PolicySet::IsManaged(absl::string_view type) const {
  absl::MutexLock lock(&mu_);
  return managed_.find(type) != managed_.end();
}

absl::Status PolicySet::Load(const std::string& path, absl::Time now) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::pair<std::string, fs::path>> files;  // type, path
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      if (!entry.is_regular_file() || entry.path().extension() != ".policy") {
        continue;
      }
      files.emplace_back(entry.path().stem().string(), entry.path());
    }
    if (ec)
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", ec.message()));
  } else if (fs::is_regular_file(path, ec)) {
    files.emplace_back(std::string(kAttestationTypeTpm), fs::path(path));
  } else {
    return absl::NotFoundError(
        absl::StrCat("policy path ", path, ": not found"));
  }
  std::sort(files.begin(), files.end());
  std::vector<std::shared_ptr<const ActivePolicy>> built;
  std::vector<std::string> errors;
  for (const auto& [type, file] : files) {
    absl::StatusOr<std::string> text = ReadText(file);
    if (!text.ok()) {
      errors.emplace_back(text.status().message());
      continue;
    }
    absl::StatusOr<std::shared_ptr<const ActivePolicy>> p =
        Compile(type, *std::move(text), file.string(), now);
    if (!p.ok()) {
      errors.emplace_back(p.status().message());
      continue;
    }
    built.push_back(*std::move(p));
  }
  if (!errors.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("policies not loaded (the ones in force stay):\n",
                     absl::StrJoin(errors, "\n")));
  }
  PolicyMap next;
  for (auto& p : built) next[p->attestation_type] = std::move(p);
  if (next.find(kAttestationTypeTpm) == next.end()) {
    absl::StatusOr<std::shared_ptr<const ActivePolicy>> def =
        Compile(kAttestationTypeTpm, std::string(kDefaultTpmPolicy),
                std::string(kBuiltIn), now);
    if (def.ok()) next[std::string(kAttestationTypeTpm)] = *def;
  }
  // Every type the old or new defaults name; Update leaves a type whose
  // policy in force keeps its text and source as it is (no new generation,
  // no re-attestation of every agent on a SIGHUP that changed nothing).
  std::vector<std::string> types;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [type, p] : defaults_) types.push_back(type);
  }
  for (const auto& [type, p] : next) types.push_back(type);
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  Update([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { defaults_ = std::move(next); },
         types, now);
  return absl::OkStatus();
}

std::shared_ptr<const ActivePolicy> PolicySet::Get(
    absl::string_view type) const {
  absl::MutexLock lock(&mu_);
  auto it = policies_.find(type);
  return it == policies_.end() ? nullptr : it->second;
}

void PolicySet::OnChange(std::function<void(const std::string&)> callback) {
  absl::MutexLock lock(&mu_);
  callbacks_.push_back(std::move(callback));
}

uint64_t PolicySet::generation() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

}  // namespace vigil::service
