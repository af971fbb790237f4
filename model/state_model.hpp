// User-state models: feature vectors in, estimated user states out (behind one interface).
#pragma once

#include "model/features.hpp"
#include "model/user_state.hpp"

#include <memory>
#include <string_view>
#include <vector>

namespace aia::model {

/// Which analyses are switched on (the spec's `features.*` settings). A switched-off dimension is
/// reported at its neutral value with confidence 0.
struct analysis_switches {
  bool emotional_analysis = true;
  bool cognitive_load_assessment = true;
};

/// A user-state model. Implementations are immutable after construction and thread-safe for
/// concurrent predict() calls.
class state_model {
public:
  virtual ~state_model() = default;

  /// The version string reported as `model_version`.
  [[nodiscard]] virtual std::string_view version() const noexcept = 0;

  /// Predicts one state per feature vector, in order (micro-batched inference). Fills every field
  /// of user_state except `updated_at` and `interaction_count`, which the caller owns.
  virtual void predict(const std::vector<feature_vector>& in,
                       std::vector<user_state>& out) const = 0;
};

/// The documented, deterministic baseline model (see model/README.md).
[[nodiscard]] std::unique_ptr<state_model> make_baseline_model(analysis_switches switches = {});

} // namespace aia::model
