// Consent of one user, per purpose, versioned: what the user (or the embedding application on
// the user's behalf) granted or withdrew, when, and through which source. Plain C++, no actors:
// the session actor holds one and checks it before any processing; the store keeps it sealed as
// the user's record of kind "consent".
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aia::privacy {

/// The purposes a user consents to, one by one (GDPR Art. 6(1)(a), CCPA opt-out of sale).
enum class purpose : std::uint8_t {
  personalization,     ///< estimating the user's state and adapting the interface to it
  analytics,           ///< the user's data in aggregate statistics
  experimentation,     ///< the user in A/B experiments
  federated_learning,  ///< the user's data in federated model training
  marketing,           ///< sale or sharing for marketing (CCPA "Do Not Sell or Share")
};

inline constexpr std::array<purpose, 5> all_purposes{
  purpose::personalization, purpose::analytics, purpose::experimentation,
  purpose::federated_learning, purpose::marketing};

/// Wire name of a purpose: "personalization", "analytics", ...
[[nodiscard]] std::string_view to_string(purpose p) noexcept;

/// The purpose named `name`, or nullopt.
[[nodiscard]] std::optional<purpose> parse_purpose(std::string_view name) noexcept;

/// How a user without a recorded choice counts (privacy.consent_mode).
enum class consent_mode : std::uint8_t {
  /// The embedding application collected consent to personalization in its own UI: a user
  /// counts as consenting to personalization until withdrawn. Every other purpose needs an
  /// explicit grant.
  implied,
  /// Nothing counts as granted before the user's explicit grant.
  explicit_grant,
};

/// Wire name of a mode: "implied" or "explicit".
[[nodiscard]] std::string_view to_string(consent_mode m) noexcept;

/// One change of a user's consent: its version, when, through what, and the purposes it set.
struct consent_change {
  std::uint64_t version = 0;
  double at = 0;                                  ///< seconds since the epoch
  std::string source;                             ///< e.g. "api", "admin:<subject>"
  std::vector<std::pair<purpose, bool>> set;      ///< purposes named, in purpose order
};

/// A user's consent: the explicit choices so far and their history.
class consent_state {
public:
  /// Whether `p` is granted now under `mode`.
  [[nodiscard]] bool granted(purpose p, consent_mode mode) const noexcept;

  /// The recorded choice for `p`, if the user made one.
  [[nodiscard]] std::optional<bool> choice(purpose p) const noexcept;

  /// Version of the newest change; 0 if none.
  [[nodiscard]] std::uint64_t version() const noexcept {
    return history_.empty() ? 0 : history_.back().version;
  }

  /// Every change, oldest first.
  [[nodiscard]] const std::vector<consent_change>& history() const noexcept { return history_; }

  /// Records a change setting `set` (purposes not named stay as they are) as the next version.
  /// Throws std::invalid_argument if `set` is empty or names a purpose twice.
  const consent_change& apply(std::vector<std::pair<purpose, bool>> set, double at,
                              std::string source);

  /// Serialized form (msgpack) for the store.
  [[nodiscard]] std::vector<std::uint8_t> encode() const;

  /// Parses encode()'s output; nullopt if it is not one.
  [[nodiscard]] static std::optional<consent_state> decode(const std::uint8_t* data,
                                                           std::size_t size);

private:
  std::array<std::optional<bool>, all_purposes.size()> current_{};
  std::vector<consent_change> history_;
};

} // namespace aia::privacy
