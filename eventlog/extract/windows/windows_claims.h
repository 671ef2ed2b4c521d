// File: eventlog/extract/windows/windows_claims.h
// -----------------------------------------------------------------------------
// The Windows boot-configuration claims of Azure Attestation's v1.2 sample
// policies (maa-spec.md §2.3, §2.4; landscape.md §9), derived from the SIPA
// events of a replayed WBCL. Each claim mirrors the JMESPath the sample policy
// runs over the `events` JSON that SipaProcessedData() renders (sipa.h), so a
// policy engine running those samples over Vigil's JSON issues the same
// values, except where this comment says otherwise.
//
// Definitions. "TB(P)" is the list of top-level EVENT_TRUSTBOUNDARY values of
// trusted EV_EVENT_TAG events in PCRs P, in log order (the sample policies'
// `Events[? EventTypeString == 'EV_EVENT_TAG' && PcrIndex in P]
// .ProcessedData.EVENT_TRUSTBOUNDARY`). "set(K)" is the values of key K in
// TB(P) for the claim's PCR set P (`[*].EVENT_K`, absent keys dropped).
// ContainsOnlyValue(s, v) is true iff s is non-empty and every element == v
// (JSON equality: an array, string or object never equals true/false/1).
//
// Claims, with the PCR set each depends on in brackets:
//   codeIntegrityEnabled [B]: ContainsOnlyValue(set(CODEINTEGRITY), true)
//   bootDebuggingDisabled [B]: ContainsOnlyValue(set(BOOTDEBUGGING), false)
//   osKernelDebuggingDisabled [B]: ContainsOnlyValue(set(OSKERNELDEBUG), false)
//   testSigningDisabled [B]: ContainsOnlyValue(set(TESTSIGNING), false)
//   flightSigningNotEnabled [B]: ContainsOnlyValue(set(FLIGHTSIGNING), false)
//   iommuEnabled [B]: ContainsOnlyValue(set(VBS_IOMMU_REQUIRED), true)
//   notSafeMode [B]: ContainsOnlyValue(set(SAFEMODE), false); true when the
//       set is empty
//   notWinPE [B]: as notSafeMode, with WINPE
//   vbsEnabled [S]: ContainsOnlyValue(set(VBS_VSM_REQUIRED) union
//       set(VBS_MANDATORY_ENFORCEMENT), true)
//   hvciEnabled [S]: ContainsOnlyValue(the .Value of the VBS_HVCI_POLICY
//       entries whose String is 'HypervisorEnforcedCodeIntegrityEnable', 1)
//   depPolicy [B]: the last DATAEXECUTIONPREVENTION.Value, else 0
//   bitlockerStatus [S]: the first BITLOCKER_UNLOCK.Value != 0, else 0
//   elamDriverLoaded [B]: some LOADEDMODULE_AGGREGATION entry has
//       IMAGEVALIDATED == true and a FILEPATH equal (ASCII case-insensitively)
//       to \windows\system32\drivers\wdboot.sys or
//       \windows\system32\drivers\wd\wdboot.sys
//   bootMgrSvn [V]: §2.4: the APPLICATION_SVN of the first PCR 12 TB that has
//       one, before the first EV_SEPARATOR in PCR 12/13/14; absent if none
//   bootAppSvn [V]: §2.4 as published in full in the CSP / policy-version-1-2
//       sample (the "full text" the spec cites): from that boot manager
//       record on, the first PCR 12 TB with TRANSFER_CONTROL.Value 1 or 2;
//       after it the first PCR 13 record with a loaded-module MODULE_SVN;
//       after that the first PCR 12 TB APPLICATION_SVN; all before the
//       separator. Absent when any step finds nothing.
//   bootCount [B]: Vigil's own (no sample rule): BOOTCOUNTER from the first
//       TB(B) that has one; underivable if other TB(B) values disagree;
//       absent if none.
// with B = {12, 13, 19, 20}, S = {12, 19} (the samples' "srtmDrtmEventPcr"),
// V = {12, 13, 14}.
//
// Deliberate differences from the published sample text:
//   - elamDriverLoaded: the sample ends its query with `| @ != `null``, which
//     is true for every list, so MAA's sample issues true even when no
//     validated wdboot.sys is in the log. Vigil issues the evident intent
//     (true only when one is) because the literal reading is fail-open. The
//     corpus shows the difference: the Dell Latitude 7520 logs load ESET's
//     eelam.sys, so Vigil says false where the literal sample says true.
//   - vbsEnabled: the sample adds two vbsEnabledSet claims and issues
//     vbsEnabled once per set; Vigil uses their union (true only when both
//     sets agree), the documented meaning in maa-spec.md §2.3/§3.1.
//   - An empty set behaves as an absent claim (JsonToClaimValue of []), which
//     is what makes notSafeMode/notWinPE default to true (§2.3).
//   - Where the sample's JsonToClaimValue would fail (a set element that is
//     itself an array because a key repeated inside one aggregation, see
//     sipa.h), ContainsOnlyValue is false instead of a policy error, and an
//     integer claim whose value is not one integer is underivable.
//
// Trust (landscape.md §10): only events with log.EventTrusted(i) are used,
// and a claim is set only when its PCRs are clean (ReplayedLog::PcrsClean) and
// pass the Windows PCR check below; otherwise it goes to
// out->Underivable(name, reason) and is absent from out->claims. Because
// EventType is not covered by the digest, a record relabeled away from
// EV_EVENT_TAG would silently drop its trust boundary from every query (and
// turn notSafeMode/notWinPE true). So in each claim's PCRs every extended
// record must be either EV_EVENT_TAG whose data parses as SIPA events with at
// most one top-level TRUSTBOUNDARY, or EV_SEPARATOR whose data is one of the
// WBCL separators ("WBCL", 00000000, FFFFFFFF); anything else makes those
// claims underivable ("pcr 12: event 31: EV_ACTION is not a SIPA event ...").
// PCR 19/20 must be verified too: quote them even on machines without DRTM.

#ifndef VIGIL_EVENTLOG_EXTRACT_WINDOWS_WINDOWS_CLAIMS_H_
#define VIGIL_EVENTLOG_EXTRACT_WINDOWS_WINDOWS_CLAIMS_H_

#include "eventlog/claim_set.h"
#include "eventlog/replayed_log.h"

namespace vigil::eventlog {

// DeriveWindowsClaims(log, out): adds the claims in the file comment to
// `out`: each one either Set() (bool or int64) or Underivable() with a
// one-line reason; bootMgrSvn, bootAppSvn and bootCount may also be absent
// (the sample policies issue nothing then). Never fails. `out` must not be
// null. The values are as trustworthy as the PCR values `log` was replayed
// against: for InsecureReplayWithoutQuote logs they are the log's own word.
void DeriveWindowsClaims(const ReplayedLog& log, DerivedClaims* out);

}  // namespace vigil::eventlog

#endif  // VIGIL_EVENTLOG_EXTRACT_WINDOWS_WINDOWS_CLAIMS_H_
