#include "tools/vigilctl/eventlog_command.h"

#include <fstream>
#include <iostream>
#include <iterator>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/encoding.h"
#include "eventlog/claims.h"
#include "eventlog/event_types.h"
#include "eventlog/maa_json.h"
#include "eventlog/parser.h"
#include "eventlog/replay.h"
#include "tools/vigilctl/args.h"
#include "tools/vigilctl/eventlog_summary.h"
#include "tools/vigilctl/output.h"
#include "tools/vigilctl/pcr_expectation.h"

namespace vigil::vigilctl {
namespace {

using json = nlohmann::ordered_json;

constexpr char kUsage[] =
    "usage: vigilctl eventlog show LOG [--format yaml|json]\n"
    "       vigilctl eventlog replay LOG [--expect FILE] [--format json|yaml]\n"
    "       vigilctl eventlog claims LOG [--expect FILE] [--format json|yaml]\n"
    "       vigilctl eventlog events-json LOG [--expect FILE]\n"
    "       vigilctl eventlog summary LOG [--expect FILE]\n";

// Reads the whole file into memory first: sysfs event logs report size 0 and
// may not be re-readable in place (tpm2-tools#1975).
absl::StatusOr<std::vector<uint8_t>> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return bytes;
}

struct Loaded {
  eventlog::EventLog log;
  std::vector<tpm::PcrBank> expected;  // empty without --expect
};

// Loads LOG (args.positional[0]) and --expect; prints the error and returns
// nullopt with *exit_code set on failure.
std::optional<Loaded> Load(const ParsedArgs& args, int* exit_code) {
  if (args.positional.size() != 1) {
    *exit_code = FailWith(kExitBadInput, "expected exactly one LOG argument");
    std::cerr << kUsage;
    return std::nullopt;
  }
  const std::string& path = args.positional[0];
  absl::StatusOr<std::vector<uint8_t>> bytes = ReadAll(path);
  if (!bytes.ok()) {
    *exit_code = FailWith(kExitBadInput, std::string(bytes.status().message()));
    return std::nullopt;
  }
  absl::StatusOr<eventlog::EventLog> log = eventlog::Parse(*bytes);
  if (!log.ok()) {
    *exit_code = FailWith(kExitBadInput,
                          absl::StrCat(path, ": ", log.status().message()));
    return std::nullopt;
  }
  Loaded out{*std::move(log), {}};
  if (std::optional<std::string> expect = args.Value("expect")) {
    absl::StatusOr<std::vector<uint8_t>> text = ReadAll(*expect);
    if (!text.ok()) {
      *exit_code =
          FailWith(kExitBadInput, std::string(text.status().message()));
      return std::nullopt;
    }
    absl::StatusOr<std::vector<tpm::PcrBank>> banks =
        ParsePcrExpectations(absl::string_view(
            reinterpret_cast<const char*>(text->data()), text->size()));
    if (!banks.ok()) {
      *exit_code = FailWith(
          kExitBadInput, absl::StrCat(*expect, ": ", banks.status().message()));
      return std::nullopt;
    }
    out.expected = *std::move(banks);
  }
  return out;
}

std::optional<std::string> Format(const ParsedArgs& args,
                                  const std::string& default_format,
                                  int* exit_code) {
  std::string f = args.Value("format").value_or(default_format);
  if (f != "json" && f != "yaml") {
    *exit_code = FailWith(kExitBadInput, absl::StrCat("--format: got \"", f,
                                                      "\", want json or yaml"));
    return std::nullopt;
  }
  return f;
}

void Print(const json& value, const std::string& format) {
  std::cout << (format == "yaml" ? ToYaml(value) : ToJson(value));
}

json EventRef(const eventlog::EventLog& log, std::optional<size_t> index) {
  if (!index) return nullptr;
  const eventlog::RawEvent& ev = log.events[*index];
  json j;
  j["index"] = ev.index;
  j["offset"] = ev.offset;
  j["type"] = std::string(
      eventlog::EventTypeName(ev.untrusted_type)
          .value_or(absl::StrCat("0x", absl::Hex(ev.untrusted_type))));
  return j;
}

// Replays against every --expect entry, each separately, so several
// candidate sets for one bank can be checked.
absl::StatusOr<std::vector<eventlog::ReplayedLog>> ReplayAll(const Loaded& in) {
  std::vector<eventlog::ReplayedLog> out;
  for (const tpm::PcrBank& bank : in.expected) {
    absl::StatusOr<eventlog::ReplayedLog> r = eventlog::Replay(in.log, {bank});
    if (!r.ok()) return r.status();
    out.push_back(*std::move(r));
  }
  return out;
}

int RunReplay(const ParsedArgs& args) {
  int code = kExitOk;
  std::optional<Loaded> in = Load(args, &code);
  if (!in) return code;
  std::optional<std::string> format = Format(args, "json", &code);
  if (!format) return code;
  absl::StatusOr<std::vector<eventlog::BankReplay>> banks =
      eventlog::ReplayDigests(in->log);
  if (!banks.ok())
    return FailWith(kExitInternal, std::string(banks.status().message()));
  // Without --expect there is nothing to compare: the banks are the answer.
  std::vector<eventlog::ReplayedLog> none;
  absl::StatusOr<std::vector<eventlog::ReplayedLog>> replayed =
      in->expected.empty() ? std::move(none) : ReplayAll(*in);
  if (!replayed.ok()) {
    return FailWith(kExitBadInput, std::string(replayed.status().message()));
  }

  json out;
  json& jbanks = out["banks"] = json::object();
  for (const eventlog::BankReplay& b : *banks) {
    json pcrs = json::object();
    for (uint32_t p = 0; p < tpm::kNumPcrs; ++p) {
      if (b.event_count[p] > 0)
        pcrs[std::to_string(p)] = HexEncode(b.values[p]);
    }
    jbanks[std::string(tpm::HashAlgName(b.alg))] = std::move(pcrs);
  }
  json quirks = json::array();
  json mismatches = json::array();
  std::set<std::string> seen_quirks;
  for (size_t i = 0; i < replayed->size(); ++i) {
    const eventlog::ReplayedLog& r = (*replayed)[i];
    for (const eventlog::AppliedQuirk& q : r.quirks()) {
      std::string key =
          absl::StrCat(q.id, "/", tpm::HashAlgName(q.alg), "/", q.pcr);
      if (!seen_quirks.insert(key).second) continue;
      quirks.push_back({{"id", q.id},
                        {"alg", std::string(tpm::HashAlgName(q.alg))},
                        {"pcr", q.pcr}});
    }
    for (const eventlog::PcrMismatch& m : r.mismatches()) {
      json jm;
      if (in->expected.size() > 1) jm["entry"] = i;
      jm["alg"] = std::string(tpm::HashAlgName(m.alg));
      jm["pcr"] = m.pcr;
      jm["expected"] = HexEncode(m.expected);
      jm["replayed"] = HexEncode(m.replayed);
      jm["lastEvent"] = EventRef(in->log, m.last_event);
      mismatches.push_back(std::move(jm));
    }
    for (tpm::HashAlg alg : r.unreplayable_banks()) {
      std::cerr << "vigilctl: warning: the log has no " << tpm::HashAlgName(alg)
                << " digests; that expected bank was not checked\n";
    }
  }
  out["quirks"] = std::move(quirks);
  const bool any_mismatch = !mismatches.empty();
  out["mismatches"] = std::move(mismatches);
  Print(out, *format);
  return any_mismatch ? kExitMismatch : kExitOk;
}

// The replay used for facts: against --expect when given, else the log
// itself, with a note on stderr when `note_unverified` (the summary says it
// in its own text instead).
std::optional<eventlog::ReplayedLog> ReplayForFacts(
    const Loaded& in, int* exit_code, bool note_unverified = true) {
  absl::StatusOr<eventlog::ReplayedLog> r =
      in.expected.empty() ? eventlog::InsecureReplayWithoutQuote(in.log)
                          : eventlog::Replay(in.log, in.expected);
  if (!r.ok()) {
    *exit_code = FailWith(kExitBadInput, std::string(r.status().message()));
    return std::nullopt;
  }
  if (in.expected.empty() && note_unverified) {
    std::cerr << "vigilctl: note: no --expect PCR values; facts below trust "
                 "the log as recorded\n";
  }
  return *std::move(r);
}

int RunShow(const ParsedArgs& args) {
  int code = kExitOk;
  std::optional<Loaded> in = Load(args, &code);
  if (!in) return code;
  std::optional<std::string> format = Format(args, "yaml", &code);
  if (!format) return code;
  std::optional<eventlog::ReplayedLog> r = ReplayForFacts(*in, &code);
  if (!r) return code;
  Print(eventlog::RenderLogDump(*r), *format);
  return kExitOk;
}

int RunClaims(const ParsedArgs& args) {
  int code = kExitOk;
  std::optional<Loaded> in = Load(args, &code);
  if (!in) return code;
  std::optional<std::string> format = Format(args, "json", &code);
  if (!format) return code;
  std::optional<eventlog::ReplayedLog> r = ReplayForFacts(*in, &code);
  if (!r) return code;
  eventlog::DerivedClaims claims = eventlog::DeriveClaims(*r);
  Print(eventlog::ClaimsToJson(claims), *format);
  for (const auto& [reason, names] : claims.UnderivableByReason()) {
    std::cerr << "vigilctl: not derived: " << absl::StrJoin(names, ", ") << " ("
              << reason << ")\n";
  }
  return kExitOk;
}

int RunSummary(const ParsedArgs& args) {
  if (args.Value("format")) {
    return FailWith(kExitBadInput,
                    "summary is text for people; use claims/replay for JSON");
  }
  int code = kExitOk;
  std::optional<Loaded> in = Load(args, &code);
  if (!in) return code;
  std::optional<eventlog::ReplayedLog> r =
      ReplayForFacts(*in, &code, /*note_unverified=*/false);
  if (!r) return code;
  std::cout << RenderEventlogSummary(args.positional[0], *r);
  return r->mismatches().empty() ? kExitOk : kExitMismatch;
}

int RunEventsJson(const ParsedArgs& args) {
  if (args.Value("format")) {
    return FailWith(kExitBadInput,
                    "events-json always prints JSON; drop --format");
  }
  int code = kExitOk;
  std::optional<Loaded> in = Load(args, &code);
  if (!in) return code;
  std::optional<eventlog::ReplayedLog> r = ReplayForFacts(*in, &code);
  if (!r) return code;
  std::cout << eventlog::RenderEventsJson(*r).dump(
                   -1, ' ', false, json::error_handler_t::replace)
            << "\n";
  return kExitOk;
}

}  // namespace

int RunEventlogCommand(const std::vector<std::string>& args) {
  static const Subcommand kSubcommands[] = {
      {"show", {"format"}, {}, RunShow},
      {"replay", {"format", "expect"}, {}, RunReplay},
      {"claims", {"format", "expect"}, {}, RunClaims},
      // --format is accepted only to say why it is not wanted.
      {"events-json", {"format", "expect"}, {}, RunEventsJson},
      {"summary", {"format", "expect"}, {}, RunSummary},
  };
  return RunSubcommand("eventlog", kUsage, kSubcommands, args);
}

}  // namespace vigil::vigilctl
