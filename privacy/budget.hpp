// One privacy budget (a user's, or the global one): its limit, the releases charged to it in the
// current window, and what they add up to under the tightest valid composition
// (privacy/dp_accounting.hpp). Plain C++: the privacy-accountant actor holds budgets, writes each
// one to the store before it answers a spend (write-ahead), and releases nothing unaccounted.
#pragma once

#include "privacy/dp_accounting.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace aia::privacy {

/// A budget's limit and reset policy.
struct budget_limits {
  double epsilon = 1.0;        ///< total ε per window
  double delta = 1e-5;         ///< total δ per window (also the δ the composition is read at)
  double window_seconds = 0;   ///< fixed window length; 0 = never resets
};

/// One charge of the ledger: what was released, why, when.
struct ledger_entry {
  std::string operation;       ///< e.g. "analytics.aggregate"
  std::string purpose;         ///< the consent purpose it serves, e.g. "analytics"
  dp_release release;
  double at = 0;               ///< seconds since the epoch
};

/// A refused spend: the budget would be exceeded; it resets at `resets_at` (0 = never).
struct budget_exhausted {
  ledger_bound spent;          ///< what is spent already
  double resets_at = 0;
};

/// A budget and its ledger for the current window.
class privacy_budget {
public:
  explicit privacy_budget(budget_limits limits = {}) : limits_(limits) {}

  [[nodiscard]] const budget_limits& limits() const noexcept { return limits_; }

  /// Starts a new window if the current one ended by `now` (a fixed-window reset policy).
  void roll(double now);

  /// What the ledger adds up to now (ε at the limit's δ; zero for an empty ledger).
  [[nodiscard]] ledger_bound spent() const;

  /// Charges `e` if the ledger with it still fits the limit, and returns the new total;
  /// otherwise changes nothing and says when the budget resets. Rolls the window first.
  std::variant<ledger_bound, budget_exhausted> try_spend(ledger_entry e, double now);

  /// Spent ε over the limit's ε, in [0, 1] (the spec's budget utilisation).
  [[nodiscard]] double utilisation() const;

  /// When the current window ends (0 = never).
  [[nodiscard]] double resets_at() const noexcept {
    return limits_.window_seconds > 0 ? window_start_ + limits_.window_seconds : 0;
  }

  [[nodiscard]] const std::vector<ledger_entry>& ledger() const noexcept { return ledger_; }

  /// Stored form (msgpack): the window and the ledger; the limits come from the configuration.
  [[nodiscard]] std::vector<std::uint8_t> encode() const;

  /// Parses encode()'s output under `limits`; nullopt if it is not one.
  [[nodiscard]] static std::optional<privacy_budget> decode(const std::uint8_t* data,
                                                            std::size_t size,
                                                            budget_limits limits);

private:
  budget_limits limits_;
  double window_start_ = 0;
  std::vector<ledger_entry> ledger_;
};

} // namespace aia::privacy
