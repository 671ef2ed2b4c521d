// File: policy/value.h
// -----------------------------------------------------------------------------
// The value of a claim or of a policy expression (maa-spec.md §1.2): Boolean,
// Integer (int64), String, Set (several values of one claim type, v1.2) or
// Empty (JsonToClaimValue("null"); adding it is a no-op). A value also
// carries the read-only mark of §1.2/§1.7.
//
// Strings are shared, not copied, so the large JSON-valued evidence claims
// (`events`, `pcrs`) cost nothing to pass around. A string holding JSON text
// may also carry its parsed document, so JmesPath() never parses it again.
// Such a JSON-valued String is made from its document alone: its text (the
// compact serialisation) is produced on first use of string_value() and then
// kept, so a JmesPath() result that only feeds the next JmesPath() or
// JsonToClaimValue() is never serialised (maa-spec.md §1.7 still holds: the
// value *is* that text wherever it is observed).
//
//   Value a = Value::Bool(true);
//   Value e = Value::JsonDocument(std::move(events_json));  // document; text
//   lazily Value s = Value::Set({Value::Int(1), Value::Int(2)});

#ifndef VIGIL_POLICY_VALUE_H_
#define VIGIL_POLICY_VALUE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "policy/jmespath/jmespath.h"
#include "policy/jmespath/json_util.h"

namespace vigil::policy {

class Value {
 public:
  enum class Kind : uint8_t { kEmpty, kBool, kInt, kString, kSet };

  // An Empty value.
  Value() = default;

  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value String(std::string s);
  static Value String(std::shared_ptr<const std::string> s);
  // A String whose text is the compact serialisation of `document`, with the
  // document kept for JmesPath(). Values nesting deeper than
  // jmespath::kMaxValueDepth cannot be serialised and give an Empty value.
  static Value JsonDocument(jmespath::Json document);
  // The same for a shared document or JMESPath result (not copied). Fails
  // with kResourceExhausted when it nests deeper than kMaxValueDepth.
  static absl::StatusOr<Value> FromJson(
      std::shared_ptr<const jmespath::Json> document);
  static absl::StatusOr<Value> FromResult(jmespath::Result document);
  // A String holding `text`, with its already parsed `document` (caller
  // guarantees they agree).
  static Value JsonText(std::shared_ptr<const std::string> text,
                        std::shared_ptr<const jmespath::Json> document);
  // A String whose document is made by `make` the first time anybody looks
  // at it (document(), string_value(), equality), then kept. For evidence
  // claims that are costly to render and that most policies never read (the
  // `events` claim: ~1 ms of X.509 and SIPA decoding per attestation, while
  // Microsoft's default and most customer policies never touch it). `make`
  // runs at most once, on whichever thread asks first, and must be
  // thread-safe with respect to what it captures (capture shared, immutable
  // data by value: the value may outlive the caller's frame). It must return
  // a document nesting at most jmespath::kMaxValueDepth deep; a deeper one
  // is replaced by JSON null (it cannot be refused later, the value exists).
  // `when_kept`: whether callers that keep claims leave the value out
  // (kOmit: lazy() is true) or render it like any document (kRender: for a
  // value cheap enough to keep but not worth making for every evaluation,
  // the `pcrs` claim).
  enum class WhenKept { kOmit, kRender };
  static Value LazyJsonDocument(std::function<jmespath::Json()> make,
                                WhenKept when_kept = WhenKept::kOmit);
  // A Set of the scalar values in `members` (sets are flat: a Set member of
  // `members` contributes its own members; Empty members are dropped).
  static Value Set(std::vector<Value> members);

  Kind kind() const { return kind_; }
  bool is_empty() const { return kind_ == Kind::kEmpty; }
  bool is_scalar() const {
    return kind_ == Kind::kBool || kind_ == Kind::kInt ||
           kind_ == Kind::kString;
  }

  // Accessors; each requires the matching kind().
  bool bool_value() const { return b_; }
  int64_t int_value() const { return i_; }
  // For a JSON-valued String the first call serialises the document
  // (thread-safe; later calls and copies of the value share the text).
  const std::string& string_value() const { return *shared_string(); }
  const std::shared_ptr<const std::string>& shared_string() const {
    return json_ != nullptr ? json_->Text() : s_;
  }
  // The parsed JSON document of a String value, or null when not known yet.
  const jmespath::Result* document() const {
    return json_ != nullptr ? &json_->document() : nullptr;
  }
  // document() when it is a single Json (not an array of shared parts).
  const jmespath::Json* json() const {
    return json_ != nullptr ? json_->document().json() : nullptr;
  }
  const std::vector<Value>& set_members() const { return *set_; }

  // Whether this is a LazyJsonDocument made with WhenKept::kOmit (made or
  // not yet): a value its producer renders at a cost, which callers that
  // keep claims (the control plane's record of a device's claims) leave out
  // rather than render.
  bool lazy() const { return json_ != nullptr && json_->lazy(); }

  // Read-only values come from service evidence (§1.2) and propagate through
  // JmesPath, JsonToClaimValue, AppendString and NegateBool.
  bool read_only() const { return read_only_; }
  Value& set_read_only(bool read_only) {
    read_only_ = read_only;
    return *this;
  }

  // Scalar equality: same kind and same value (true != 1, "1" != 1). Sets
  // compare as multisets; Empty equals only Empty. Read-only is ignored.
  friend bool operator==(const Value& a, const Value& b);

  // ToJson(): Boolean -> true/false, Integer -> number, String -> string (a
  // JSON text is NOT re-parsed, maa-spec.md §1.9), Set -> array, Empty -> null.
  jmespath::Json ToJson() const;

  // "Boolean", "Integer", "String", "Set", "Empty" (the valueType names).
  static absl::string_view KindName(Kind kind);

  // DebugString(): true, 15, "text" (quoted, long strings shortened to
  // `max_string` characters with the full length noted), [1, 2], empty.
  std::string DebugString(size_t max_string = 80) const;

 private:
  // A JSON-valued String: the document, and its text once somebody asked
  // for it (or from the start, when the caller supplied it).
  class JsonRep {
   public:
    JsonRep(jmespath::Result document, std::shared_ptr<const std::string> text)
        : document_(std::move(document)),
          text_(std::move(text)),
          text_given_(text_ != nullptr) {}
    JsonRep(std::function<jmespath::Json()> make, bool omit_when_kept)
        : make_(std::move(make)),
          text_given_(false),
          omit_when_kept_(omit_when_kept) {}

    // Made on first use when the rep was built from a producer.
    const jmespath::Result& document() const {
      if (make_ != nullptr) MakeDocument();
      return document_;
    }
    const std::shared_ptr<const std::string>& Text() const;
    // Whether the text is the serialisation of the document (not a text
    // the caller supplied), so equal documents mean equal texts.
    bool text_derived() const { return !text_given_; }
    bool lazy() const { return make_ != nullptr && omit_when_kept_; }

   private:
    void MakeDocument() const;

    // The producer of a lazy document (never changed after construction, so
    // reading it needs no lock); empty for an eager one.
    const std::function<jmespath::Json()> make_;
    mutable absl::once_flag make_once_;
    mutable jmespath::Result document_;
    mutable absl::once_flag once_;
    mutable std::shared_ptr<const std::string> text_;
    bool text_given_;
    bool omit_when_kept_ = false;
  };

  Kind kind_ = Kind::kEmpty;
  bool read_only_ = false;
  bool b_ = false;
  int64_t i_ = 0;
  std::shared_ptr<const std::string> s_;  // a String without a document
  std::shared_ptr<const JsonRep> json_;   // a String with a document
  std::shared_ptr<const std::vector<Value>> set_;
};

}  // namespace vigil::policy

#endif  // VIGIL_POLICY_VALUE_H_
