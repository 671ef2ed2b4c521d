#include "eventlog/extract/uefi/processed_data.h"

#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/encoding.h"
#include "eventlog/event_types.h"
#include "eventlog/extract/uefi/boot_events.h"
#include "eventlog/extract/uefi/device_path.h"
#include "eventlog/extract/uefi/efi_signature_list.h"
#include "eventlog/uefi_variable.h"
#include "tpm/types/hash_alg.h"

namespace vigil::eventlog {
namespace {

using Json = nlohmann::ordered_json;

// Offsets in "malformed: offset N" summaries are relative to the event data:
// a RawEvent alone does not say where its data starts in the log.
size_t DataOffset(const RawEvent&) { return 0; }

// PK and KEK live under EFI_GLOBAL_VARIABLE, db and dbx under
// EFI_IMAGE_SECURITY_DATABASE_GUID (UEFI 2.10 §3.3, §32.6.1).
bool IsSignatureDatabase(const UefiVariableData& v) {
  if (v.vendor_guid == EfiGlobalVariableGuid()) {
    return v.name_utf8 == "PK" || v.name_utf8 == "KEK";
  }
  if (v.vendor_guid == EfiImageSecurityDatabaseGuid()) {
    return v.name_utf8 == "db" || v.name_utf8 == "dbx";
  }
  return false;
}

Json SignatureListsJson(const std::vector<EfiSignatureList>& lists) {
  Json out = Json::array();
  for (const EfiSignatureList& l : lists) {
    Json list;
    list["SignatureType"] = l.signature_type.ToString();
    std::optional<absl::string_view> name = SignatureTypeName(l.signature_type);
    list["SignatureTypeString"] =
        name.has_value() ? Json(std::string(*name)) : Json(nullptr);
    Json sigs = Json::array();
    for (const EfiSignatureData& s : l.signatures) {
      Json sig;
      sig["SignatureOwner"] = s.owner.ToString();
      sig["SignatureData"] = Base64UrlEncode(s.data);
      sigs.push_back(std::move(sig));
    }
    list["Signatures"] = std::move(sigs);
    out.push_back(std::move(list));
  }
  return out;
}

std::optional<Json> VariableJson(const RawEvent& ev) {
  absl::StatusOr<UefiVariableData> v =
      ParseUefiVariableData(ev.data, DataOffset(ev));
  if (!v.ok()) return std::nullopt;
  Json out;
  out["UnicodeName"] = v->name_utf8;
  out["VariableGuid"] = v->vendor_guid.ToString();
  if (IsSignatureDatabase(*v)) {
    absl::StatusOr<std::vector<EfiSignatureList>> lists =
        ParseEfiSignatureLists(v->variable_data);
    if (lists.ok()) {
      out["VariableData"] = SignatureListsJson(*lists);
      return out;
    }
  }
  out["VariableData"] = Base64UrlEncode(v->variable_data);
  return out;
}

std::optional<Json> AuthorityJson(const RawEvent& ev) {
  absl::StatusOr<UefiVariableData> v =
      ParseUefiVariableData(ev.data, DataOffset(ev));
  if (!v.ok()) return std::nullopt;
  Json out;
  absl::StatusOr<EfiSignatureData> sig =
      ParseEfiSignatureData(v->variable_data);
  if (!sig.ok()) {
    out["VariableData"] = Base64UrlEncode(v->variable_data);
    return out;
  }
  Json data;
  data["SignatureOwner"] = sig->owner.ToString();
  data["SignatureData"] = Base64UrlEncode(sig->data);
  out["VariableData"] = std::move(data);
  return out;
}

std::optional<Json> SeparatorJson(const RawEvent& ev) {
  if (ev.digests.empty()) return std::nullopt;
  Json out;
  for (const EventDigest& d : ev.digests) {
    out[absl::StrCat("CappedHash[", tpm::HashAlgMaaName(d.alg), "]")] =
        Base64UrlEncode(d.value);
  }
  return out;
}

std::optional<Json> ActionJson(const RawEvent& ev) {
  Json out;
  out["Data"] = DecodeEventText(ev.data).text;
  return out;
}

std::optional<Json> BlobJson(const RawEvent& ev, bool blob2) {
  absl::StatusOr<FirmwareBlob> b = blob2
                                       ? ParseFirmwareBlob2(ev.data, DataOffset(ev))
                                       : ParseFirmwareBlob(ev.data, DataOffset(ev));
  if (!b.ok()) return std::nullopt;
  Json out;
  if (b->description.has_value()) out["BlobDescription"] = *b->description;
  out["BlobBase"] = b->blob_base;
  out["BlobLength"] = b->blob_length;
  return out;
}

std::optional<Json> ImageLoadJson(const RawEvent& ev) {
  absl::StatusOr<UefiImageLoadEvent> img =
      ParseUefiImageLoadEvent(ev.data, DataOffset(ev));
  if (!img.ok()) return std::nullopt;
  Json out;
  out["ImageLocationInMemory"] = img->image_location_in_memory;
  out["ImageLengthInMemory"] = img->image_length_in_memory;
  out["ImageLinkTimeAddress"] = img->image_link_time_address;
  out["DevicePath"] = DevicePathMaaJson(img->device_path);
  return out;
}

std::optional<Json> GptJson(const RawEvent& ev) {
  absl::StatusOr<GptData> g = ParseGptData(ev.data, DataOffset(ev));
  if (!g.ok()) return std::nullopt;
  Json header;
  header["Signature"] = g->signature;
  header["Revision"] = g->revision;
  header["HeaderSize"] = g->header_size;
  header["CRC32"] = g->header_crc32;
  Json table;
  table["Header"] = std::move(header);
  table["MyLBA"] = g->my_lba;
  table["AlternateLBA"] = g->alternate_lba;
  table["FirstUsableLBA"] = g->first_usable_lba;
  table["LastUsableLBA"] = g->last_usable_lba;
  table["DiskGUID"] = g->disk_guid.ToString();
  table["PartitionEntryLBA"] = g->partition_entry_lba;
  table["NumberOfPartitionEntries"] = g->number_of_partition_entries;
  table["SizeOfPartitionEntry"] = g->size_of_partition_entry;
  table["PartitionEntryArrayCRC32"] = g->partition_entry_array_crc32;
  Json parts = Json::array();
  for (const GptPartitionEntry& p : g->partitions) {
    Json part;
    part["PartitionTypeGUID"] = p.partition_type_guid.ToString();
    part["UniquePartitionGUID"] = p.unique_partition_guid.ToString();
    part["StartingLBA"] = p.starting_lba;
    part["EndingLBA"] = p.ending_lba;
    part["Attributes"] = p.attributes;
    part["PartitionName"] = p.partition_name;
    parts.push_back(std::move(part));
  }
  Json out;
  out["UEFIPartitionHeader"] = std::move(table);
  out["Partitions"] = std::move(parts);
  return out;
}

// ---- one-line descriptions -------------------------------------------------

std::string Malformed(const absl::Status& s) {
  return absl::StrCat("malformed: ", s.message());
}

std::string DescribeSignatureLists(const std::vector<EfiSignatureList>& lists) {
  std::vector<std::string> parts;
  for (const EfiSignatureList& l : lists) {
    std::optional<absl::string_view> name = SignatureTypeName(l.signature_type);
    std::string kind = name.has_value() ? std::string(*name)
                                        : l.signature_type.ToString();
    if (l.signature_type == EfiCertX509Guid()) {
      for (const EfiSignatureData& s : l.signatures) {
        parts.push_back(s.x509.has_value()
                            ? absl::StrCat("X.509 ", s.x509->subject)
                            : absl::StrCat("X.509 (undecodable: ",
                                           s.x509_error, ")"));
      }
    } else {
      parts.push_back(absl::StrCat(l.signatures.size(), " x ", kind));
    }
  }
  if (parts.empty()) return "empty";
  return absl::StrJoin(parts, "; ");
}

std::string DescribeVariable(const RawEvent& ev) {
  absl::StatusOr<UefiVariableData> v =
      ParseUefiVariableData(ev.data, DataOffset(ev));
  if (!v.ok()) return Malformed(v.status());
  const std::string& name = v->name_utf8;
  if (IsSignatureDatabase(*v)) {
    absl::StatusOr<std::vector<EfiSignatureList>> lists =
        ParseEfiSignatureLists(v->variable_data);
    if (!lists.ok()) return absl::StrCat(name, ": ", Malformed(lists.status()));
    return absl::StrCat(name, ": ", DescribeSignatureLists(*lists));
  }
  if (v->vendor_guid == EfiGlobalVariableGuid()) {
    if (name == "BootOrder") {
      absl::StatusOr<std::vector<uint16_t>> order =
          ParseBootOrder(v->variable_data);
      if (!order.ok()) return absl::StrCat(name, ": ", Malformed(order.status()));
      return absl::StrCat(
          name, " = ",
          absl::StrJoin(*order, ",", [](std::string* out, uint16_t n) {
            absl::StrAppend(out, absl::StrFormat("%04X", n));
          }));
    }
    if (IsBootOptionName(name)) {
      absl::StatusOr<EfiLoadOption> opt = ParseEfiLoadOption(v->variable_data);
      // EDK2 firmware often measures EV_EFI_VARIABLE_BOOT with a truncated
      // or empty option; show the raw size rather than fail the line.
      if (!opt.ok()) return absl::StrCat(name, ": ", Malformed(opt.status()));
      std::string path;
      if (!opt->file_path_list.empty()) {
        path = DevicePathToText(opt->file_path_list.front());
      }
      return absl::StrCat(name, " = \"", opt->description, "\" ", path);
    }
  }
  if (v->variable_data.empty()) return absl::StrCat(name, " = (empty)");
  if (v->variable_data.size() <= 8) {
    return absl::StrCat(name, " = ", HexEncode(v->variable_data));
  }
  return absl::StrCat(name, " (", v->variable_data.size(), " bytes)");
}

std::string DescribeAuthority(const RawEvent& ev) {
  absl::StatusOr<UefiVariableData> v =
      ParseUefiVariableData(ev.data, DataOffset(ev));
  if (!v.ok()) return Malformed(v.status());
  absl::StatusOr<EfiSignatureData> sig = ParseEfiSignatureData(v->variable_data);
  if (sig.ok() && sig->x509.has_value()) {
    return absl::StrCat(v->name_utf8, ": X.509 ", sig->x509->subject);
  }
  EventText text = DecodeEventText(v->variable_data);
  if (text.encoding != EventText::Encoding::kBinary && text.text.size() < 200) {
    // One line: SbatLevel is CSV with newlines.
    return absl::StrCat(v->name_utf8, " = \"",
                        absl::StrReplaceAll(text.text, {{"\n", "\\n"}, {"\r", "\\r"}}),
                        "\"");
  }
  return absl::StrCat(v->name_utf8, " (", v->variable_data.size(), " bytes)");
}

std::string DescribeImageLoad(const RawEvent& ev) {
  absl::StatusOr<UefiImageLoadEvent> img =
      ParseUefiImageLoadEvent(ev.data, DataOffset(ev));
  if (!img.ok()) return Malformed(img.status());
  std::string file = DevicePathFileName(img->device_path);
  std::string full = DevicePathToText(img->device_path);
  if (file.empty()) return full;
  return absl::StrCat(file, " [", full, "]");
}

}  // namespace

std::optional<nlohmann::ordered_json> UefiProcessedData(const RawEvent& ev) {
  switch (ev.untrusted_type) {
    case EV_EFI_VARIABLE_DRIVER_CONFIG:
    case EV_EFI_VARIABLE_BOOT:
    case EV_EFI_VARIABLE_BOOT2:
      return VariableJson(ev);
    case EV_EFI_VARIABLE_AUTHORITY:
      return AuthorityJson(ev);
    case EV_SEPARATOR:
      return SeparatorJson(ev);
    case EV_EFI_ACTION:
    case EV_ACTION:
      return ActionJson(ev);
    case EV_EFI_PLATFORM_FIRMWARE_BLOB:
      return BlobJson(ev, /*blob2=*/false);
    case EV_EFI_PLATFORM_FIRMWARE_BLOB2:
      return BlobJson(ev, /*blob2=*/true);
    case EV_EFI_BOOT_SERVICES_APPLICATION:
    case EV_EFI_BOOT_SERVICES_DRIVER:
    case EV_EFI_RUNTIME_SERVICES_DRIVER:
      return ImageLoadJson(ev);
    case EV_EFI_GPT_EVENT:
    case EV_EFI_GPT_EVENT2:
      return GptJson(ev);
    default:
      return std::nullopt;
  }
}

std::string DescribeUefiEvent(const RawEvent& ev) {
  switch (ev.untrusted_type) {
    case EV_EFI_VARIABLE_DRIVER_CONFIG:
    case EV_EFI_VARIABLE_BOOT:
    case EV_EFI_VARIABLE_BOOT2:
      return DescribeVariable(ev);
    case EV_EFI_VARIABLE_AUTHORITY:
      return DescribeAuthority(ev);
    case EV_EFI_BOOT_SERVICES_APPLICATION:
    case EV_EFI_BOOT_SERVICES_DRIVER:
    case EV_EFI_RUNTIME_SERVICES_DRIVER:
      return DescribeImageLoad(ev);
    case EV_SEPARATOR: {
      absl::StatusOr<Separator> s = ParseSeparator(ev.data, DataOffset(ev));
      if (!s.ok()) return DecodeEventText(ev.data).text;  // "WBCL"
      return s->is_error ? "error separator (0xFFFFFFFF)"
                         : absl::StrFormat("0x%08X", s->value);
    }
    case EV_EFI_PLATFORM_FIRMWARE_BLOB:
    case EV_EFI_PLATFORM_FIRMWARE_BLOB2: {
      absl::StatusOr<FirmwareBlob> b =
          ev.untrusted_type == EV_EFI_PLATFORM_FIRMWARE_BLOB
              ? ParseFirmwareBlob(ev.data, DataOffset(ev))
              : ParseFirmwareBlob2(ev.data, DataOffset(ev));
      if (!b.ok()) return Malformed(b.status());
      return absl::StrFormat("%sbase 0x%X length 0x%X",
                             b->description.has_value()
                                 ? absl::StrCat("\"", *b->description, "\" ")
                                 : "",
                             b->blob_base, b->blob_length);
    }
    case EV_EFI_HANDOFF_TABLES:
    case EV_EFI_HANDOFF_TABLES2: {
      absl::StatusOr<HandoffTables> t =
          ev.untrusted_type == EV_EFI_HANDOFF_TABLES
              ? ParseHandoffTables(ev.data, DataOffset(ev))
              : ParseHandoffTables2(ev.data, DataOffset(ev));
      if (!t.ok()) return Malformed(t.status());
      std::vector<std::string> guids;
      for (const HandoffTables::Entry& e : t->tables) {
        guids.push_back(e.vendor_guid.ToString());
      }
      return absl::StrCat(t->tables.size(), " table(s): ",
                          absl::StrJoin(guids, ", "));
    }
    case EV_EFI_GPT_EVENT:
    case EV_EFI_GPT_EVENT2: {
      absl::StatusOr<GptData> g = ParseGptData(ev.data, DataOffset(ev));
      if (!g.ok()) return Malformed(g.status());
      return absl::StrCat("disk ", g->disk_guid.ToString(), ", ",
                          g->partitions.size(), " partition(s)");
    }
    case EV_EFI_ACTION:
    case EV_ACTION:
    case EV_S_CRTM_VERSION:
    case EV_IPL:
    case EV_POST_CODE:
    case EV_S_CRTM_CONTENTS:
    case EV_PLATFORM_CONFIG_FLAGS:
    case EV_COMPACT_HASH:
    case EV_OMIT_BOOT_DEVICE_EVENTS: {
      EventText t = DecodeEventText(ev.data);
      if (t.encoding == EventText::Encoding::kBinary) {
        return t.text.size() > 64 ? absl::StrCat(t.text.substr(0, 64), "...")
                                  : t.text;
      }
      return absl::StrCat("\"", t.text, "\"");
    }
    default:
      return "";
  }
}

}  // namespace vigil::eventlog
