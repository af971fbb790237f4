// A budget's window, ledger and composition.
#include "privacy/budget.hpp"

#include <msgpack.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

namespace aia::privacy {

namespace {

// [window_start, [[operation, purpose, kind, epsilon, delta, sigma, sensitivity, at], ...]]
using wire_entry = std::tuple<std::string, std::string, std::uint8_t, double, double, double,
                              double, double>;
using wire_budget = std::tuple<double, std::vector<wire_entry>>;

ledger_bound compose(const std::vector<ledger_entry>& ledger, double target_delta) {
  if (ledger.empty()) {
    return ledger_bound{};
  }
  std::vector<dp_release> releases;
  releases.reserve(ledger.size());
  for (const auto& e : ledger) {
    releases.push_back(e.release);
  }
  if (target_delta <= 0) {
    // A pure budget (δ = 0): only basic composition keeps δ at 0.
    ledger_bound b;
    for (const auto& r : releases) {
      b.epsilon += r.epsilon;
      b.delta += r.delta;
    }
    b.basic_epsilon = b.epsilon;
    b.advanced_epsilon = b.rdp_epsilon = std::numeric_limits<double>::infinity();
    return b;
  }
  return compose_ledger(releases, target_delta);
}

bool fits(const ledger_bound& b, const budget_limits& l) {
  // A small relative slack absorbs the rounding of sums of doubles (spending exactly the
  // limit in n equal parts must fit).
  return b.epsilon <= l.epsilon * (1 + 1e-12) && b.delta <= l.delta * (1 + 1e-12);
}

} // namespace

void privacy_budget::roll(double now) {
  if (limits_.window_seconds <= 0) {
    return;
  }
  if (window_start_ == 0) {
    window_start_ = now;
  }
  if (now >= window_start_ + limits_.window_seconds) {
    auto windows = std::floor((now - window_start_) / limits_.window_seconds);
    window_start_ += windows * limits_.window_seconds;
    ledger_.clear();
  }
}

ledger_bound privacy_budget::spent() const {
  return compose(ledger_, limits_.delta);
}

std::variant<ledger_bound, budget_exhausted> privacy_budget::try_spend(ledger_entry e,
                                                                       double now) {
  roll(now);
  if (!(e.release.epsilon > 0) || !std::isfinite(e.release.epsilon) || e.release.delta < 0) {
    return budget_exhausted{spent(), resets_at()};
  }
  ledger_.push_back(std::move(e));
  auto total = spent();
  if (!fits(total, limits_)) {
    ledger_.pop_back();
    return budget_exhausted{spent(), resets_at()};
  }
  return total;
}

double privacy_budget::utilisation() const {
  if (ledger_.empty() || limits_.epsilon <= 0) {
    return 0;
  }
  return std::clamp(spent().epsilon / limits_.epsilon, 0.0, 1.0);
}

std::vector<std::uint8_t> privacy_budget::encode() const {
  std::vector<wire_entry> entries;
  for (const auto& e : ledger_) {
    entries.emplace_back(e.operation, e.purpose, static_cast<std::uint8_t>(e.release.kind),
                         e.release.epsilon, e.release.delta, e.release.sigma,
                         e.release.sensitivity, e.at);
  }
  msgpack::sbuffer buf;
  msgpack::pack(buf, wire_budget{window_start_, std::move(entries)});
  return {reinterpret_cast<const std::uint8_t*>(buf.data()),
          reinterpret_cast<const std::uint8_t*>(buf.data()) + buf.size()};
}

std::optional<privacy_budget> privacy_budget::decode(const std::uint8_t* data, std::size_t size,
                                                     budget_limits limits) {
  try {
    auto oh = msgpack::unpack(reinterpret_cast<const char*>(data), size);
    auto [start, entries] = oh.get().as<wire_budget>();
    privacy_budget b{limits};
    b.window_start_ = start;
    for (auto& [op, purpose, kind, eps, delta, sigma, sens, at] : entries) {
      if (kind > static_cast<std::uint8_t>(mechanism_kind::gaussian)) {
        return std::nullopt;
      }
      b.ledger_.push_back(ledger_entry{
        std::move(op), std::move(purpose),
        dp_release{static_cast<mechanism_kind>(kind), eps, delta, sigma, sens}, at});
    }
    return b;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

} // namespace aia::privacy
