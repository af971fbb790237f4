// Consent state: the current choice per purpose follows from the history of changes.
#include "privacy/consent.hpp"

#include <msgpack.hpp>

#include <algorithm>
#include <stdexcept>

namespace aia::privacy {

namespace {

constexpr std::array<std::string_view, all_purposes.size()> purpose_names{
  "personalization", "analytics", "experimentation", "federated_learning", "marketing"};

std::size_t index_of(purpose p) noexcept { return static_cast<std::size_t>(p); }

// The stored form: [[version, at, source, [[purpose, granted], ...]], ...]. Purposes travel by
// name, so a later purpose list still reads old records.
using wire_change = std::tuple<std::uint64_t, double, std::string,
                               std::vector<std::pair<std::string, bool>>>;

} // namespace

std::string_view to_string(purpose p) noexcept { return purpose_names[index_of(p)]; }

std::optional<purpose> parse_purpose(std::string_view name) noexcept {
  for (auto p : all_purposes) {
    if (purpose_names[index_of(p)] == name) {
      return p;
    }
  }
  return std::nullopt;
}

std::string_view to_string(consent_mode m) noexcept {
  return m == consent_mode::implied ? "implied" : "explicit";
}

bool consent_state::granted(purpose p, consent_mode mode) const noexcept {
  if (auto c = current_[index_of(p)]) {
    return *c;
  }
  return mode == consent_mode::implied && p == purpose::personalization;
}

std::optional<bool> consent_state::choice(purpose p) const noexcept {
  return current_[index_of(p)];
}

const consent_change& consent_state::apply(std::vector<std::pair<purpose, bool>> set, double at,
                                           std::string source) {
  if (set.empty()) {
    throw std::invalid_argument("a consent change must name at least one purpose");
  }
  std::array<bool, all_purposes.size()> named{};
  for (auto& [p, value] : set) {
    if (named[index_of(p)]) {
      throw std::invalid_argument("a consent change names " + std::string{to_string(p)}
                                  + " twice");
    }
    named[index_of(p)] = true;
  }
  std::sort(set.begin(), set.end());
  for (auto& [p, value] : set) {
    current_[index_of(p)] = value;
  }
  history_.push_back(consent_change{version() + 1, at, std::move(source), std::move(set)});
  return history_.back();
}

std::vector<std::uint8_t> consent_state::encode() const {
  std::vector<wire_change> wire;
  wire.reserve(history_.size());
  for (const auto& c : history_) {
    std::vector<std::pair<std::string, bool>> set;
    for (auto& [p, value] : c.set) {
      set.emplace_back(std::string{to_string(p)}, value);
    }
    wire.emplace_back(c.version, c.at, c.source, std::move(set));
  }
  msgpack::sbuffer buf;
  msgpack::pack(buf, wire);
  return {reinterpret_cast<const std::uint8_t*>(buf.data()),
          reinterpret_cast<const std::uint8_t*>(buf.data()) + buf.size()};
}

std::optional<consent_state> consent_state::decode(const std::uint8_t* data, std::size_t size) {
  try {
    auto oh = msgpack::unpack(reinterpret_cast<const char*>(data), size);
    auto wire = oh.get().as<std::vector<wire_change>>();
    consent_state st;
    for (auto& [version, at, source, set] : wire) {
      if (version != st.version() + 1) {
        return std::nullopt;  // versions are 1, 2, 3, ...
      }
      std::vector<std::pair<purpose, bool>> parsed;
      for (auto& [name, value] : set) {
        if (auto p = parse_purpose(name)) {
          parsed.emplace_back(*p, value);
        }  // a purpose this build does not know is left out, not an error
      }
      if (parsed.empty()) {
        st.history_.push_back(consent_change{version, at, std::move(source), {}});
        continue;
      }
      st.apply(std::move(parsed), at, std::move(source));
    }
    return st;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

} // namespace aia::privacy
