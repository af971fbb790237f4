// The baseline user-state model: one sparse linear layer over centred features (a single Eigen
// product per micro-batch), shrunk towards neutral by the evidence, then squashed into range.
#include "model/state_model.hpp"

#include "model/detail/baseline_weights.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>

namespace aia::model {

namespace {

using namespace detail; // the feature and output indices

// -- the model's constants (see model/README.md) -------------------------------------------------

constexpr std::string_view baseline_version = "baseline-1.0.0";

// The values reported with no evidence, and for a switched-off dimension.
constexpr double neutral_cognitive_load = 0.4; // level 3
constexpr double neutral_focus = 0.65;
constexpr double neutral_engagement = 0.6;
constexpr double neutral_fatigue = 0.2;
constexpr double neutral_activation = 0.5;

// Evidence: outputs are shrunk by n^2 / (n^2 + k^2), so they stay near neutral below ~5 events;
// confidence grows as n / (n + k) and timing-based dimensions also need timing samples.
constexpr double shrink_half_events = 15;
constexpr double confidence_half_events = 30;
constexpr double timing_half_samples = 20;

// The most a dimension's confidence can reach with unlimited evidence. Emotion stays low: mouse
// and keyboard timing carries little emotion signal that holds across people.
constexpr double max_conf_emotion = 0.35;
constexpr double max_conf_cognitive_load = 0.8;
constexpr double max_conf_focus = 0.8;
constexpr double max_conf_engagement = 0.85;
constexpr double max_conf_fatigue = 0.75;
constexpr double max_conf_learning_style = 0.5;

// A style must lead the next one by this much to be primary; otherwise the mix is multimodal.
constexpr double primary_style_margin = 0.05;

using weight_matrix = Eigen::Matrix<double, output_count, feature_count>;
using feature_column = Eigen::Matrix<double, feature_count, 1>;
using output_column = Eigen::Matrix<double, output_count, 1>;

double sigmoid(double z) noexcept {
  return 1 / (1 + std::exp(-z));
}

double logit(double p) noexcept {
  return std::log(p / (1 - p));
}

double unit(double x) noexcept {
  return std::isnan(x) ? 0.0 : std::clamp(x, 0.0, 1.0);
}

/// The interaction count behind a log-scaled evidence feature (the inverse of its scaling).
double evidence_count(double scaled) noexcept {
  return std::expm1(unit(scaled) * std::log1p(evidence_reference));
}

/// How much of the evidence a state can claim: shrink for the outputs, ramps for confidence.
struct support {
  double shrink; // 0..1, multiplies every logit
  double events; // 0..1, n / (n + k)
  double timing; // 0.4..1, how well timing-based dimensions are supported

  explicit support(const feature_vector& f) {
    const double n = evidence_count(f.values[evidence]);
    const double t = evidence_count(f.values[timing_support]);
    shrink = n * n / (n * n + shrink_half_events * shrink_half_events);
    events = n / (n + confidence_half_events);
    timing = 0.4 + 0.6 * t / (t + timing_half_samples);
  }
};

/// The spec's 1..5 level of a 0..1 load.
int level_of(double load) noexcept {
  return static_cast<int>(std::clamp(std::lround(1 + 4 * load), 1L, 5L));
}

weight_matrix make_weights() {
  weight_matrix w = weight_matrix::Zero();
  for (const weight& x : baseline_weights) {
    w(x.row, x.column) += x.value;
  }
  return w;
}

feature_column make_centre() {
  feature_column c;
  for (std::size_t i = 0; i < feature_count; ++i) {
    c(static_cast<Eigen::Index>(i)) = feature_table[i].typical;
  }
  return c;
}

/// Softmax of the five style logits, and the primary style.
void fill_styles(const output_column& z, user_state& s) {
  const auto logits = z.segment<learning_style_count>(out_style_visual);
  const double top = logits.maxCoeff();
  double sum = 0;
  for (int i = 0; i < learning_style_count; ++i) {
    s.style_scores[i] = std::exp(logits(i) - top);
    sum += s.style_scores[i];
  }
  for (double& p : s.style_scores) {
    p /= sum;
  }
  auto sorted = s.style_scores;
  std::sort(sorted.begin(), sorted.end(), std::greater<>{});
  const auto best = std::max_element(s.style_scores.begin(), s.style_scores.end());
  s.primary_style = sorted[0] - sorted[1] < primary_style_margin
                        ? learning_style::multimodal
                        : static_cast<learning_style>(best - s.style_scores.begin());
}

// -- the model -----------------------------------------------------------------------------------

class baseline_model final : public state_model {
public:
  explicit baseline_model(analysis_switches switches)
      : weights_(make_weights()), centre_(make_centre()), switches_(switches) {}

  [[nodiscard]] std::string_view version() const noexcept override { return baseline_version; }

  void predict(const std::vector<feature_vector>& in, std::vector<user_state>& out) const override {
    const auto n = static_cast<Eigen::Index>(in.size());
    Eigen::MatrixXd x(static_cast<Eigen::Index>(feature_count), n);
    for (Eigen::Index j = 0; j < n; ++j) {
      x.col(j) = centred(in[static_cast<std::size_t>(j)]);
    }
    // One product for the whole batch. The coefficient-wise (lazy) product computes every column
    // in the same order whatever the batch size, so a batch equals its rows run one by one.
    Eigen::MatrixXd z(static_cast<Eigen::Index>(output_count), n);
    z.noalias() = weights_.lazyProduct(x);
    out.resize(in.size());
    for (Eigen::Index j = 0; j < n; ++j) {
      const auto i = static_cast<std::size_t>(j);
      decode(z.col(j), support{in[i]}, out[i]);
    }
  }

private:
  /// The features as deviations from typical; unusable values read as typical.
  feature_column centred(const feature_vector& f) const {
    feature_column c;
    for (std::size_t i = 0; i < feature_count; ++i) {
      const double v = f.values[i];
      const auto k = static_cast<Eigen::Index>(i);
      c(k) = std::isfinite(v) ? std::clamp(v, -1.0, 1.0) - centre_(k) : 0.0;
    }
    return c;
  }

  void decode(output_column z, const support& e, user_state& s) const {
    z *= e.shrink;
    decode_emotion(z, e, s);
    decode_cognitive_load(z(out_cognitive_load), e, s);
    s.focus_level = sigmoid(z(out_focus) + logit(neutral_focus));
    s.engagement_score = sigmoid(z(out_engagement) + logit(neutral_engagement));
    s.fatigue_level = sigmoid(z(out_fatigue) + logit(neutral_fatigue));
    fill_styles(z, s);
    s.confidence.focus_level = max_conf_focus * e.events;
    s.confidence.engagement_score = max_conf_engagement * e.events;
    s.confidence.fatigue_level = max_conf_fatigue * e.events * e.timing;
    s.confidence.learning_style = max_conf_learning_style * e.events;
    s.model_version = baseline_version;
  }

  void decode_emotion(const output_column& z, const support& e, user_state& s) const {
    if (!switches_.emotional_analysis) {
      s.emotion = emotional_state{0, 0, 0, neutral_activation};
      s.confidence.emotional_state = 0;
      return;
    }
    s.emotion.valence = std::tanh(z(out_valence));
    s.emotion.arousal = std::tanh(z(out_arousal));
    s.emotion.dominance = std::tanh(z(out_dominance));
    s.emotion.activation = sigmoid(z(out_activation) + logit(neutral_activation));
    s.confidence.emotional_state = max_conf_emotion * e.events;
  }

  void decode_cognitive_load(double z, const support& e, user_state& s) const {
    const bool on = switches_.cognitive_load_assessment;
    s.cognitive_load = on ? sigmoid(z + logit(neutral_cognitive_load)) : neutral_cognitive_load;
    s.cognitive_load_level = level_of(s.cognitive_load);
    s.confidence.cognitive_load = on ? max_conf_cognitive_load * e.events * e.timing : 0.0;
  }

  weight_matrix weights_;
  feature_column centre_;
  analysis_switches switches_;
};

} // namespace

std::unique_ptr<state_model> make_baseline_model(analysis_switches switches) {
  return std::make_unique<baseline_model>(switches);
}

} // namespace aia::model
