// Learning paths: a prerequisite DAG of skills, from config or inferred from response sequences.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace aia::model::learning {

/// Mastery per skill, 0..1 (e.g. a BKT posterior). A skill missing from the map has mastery 0.
using mastery_map = std::unordered_map<std::string, double>;

/// Mastery of `skill` in `m`, 0 if absent or NaN.
[[nodiscard]] double mastery_of(const mastery_map& m, std::string_view skill) noexcept;

/// One prerequisite edge: `before` must be mastered before `after` is taught.
struct skill_edge {
  std::string before;
  std::string after;
};

/// Why a graph was refused.
enum class skill_graph_errc : std::uint8_t { cycle = 1, self_loop, empty_name };

/// Wire name of an error code (`cycle`, ...).
[[nodiscard]] const char* to_string(skill_graph_errc code) noexcept;

/// A refused graph: the code plus the offending skills (for a cycle, in order, first repeated).
struct skill_graph_error {
  skill_graph_errc code = skill_graph_errc::cycle;
  std::vector<std::string> skills;
  /// Human-readable form, e.g. "prerequisite cycle: a -> b -> a".
  [[nodiscard]] std::string message() const;
};

class skill_graph;
using skill_graph_result = std::variant<skill_graph, skill_graph_error>;

/// An immutable prerequisite DAG. Skills keep the order in which they were first named (the
/// `skills` list, then the edges); every order returned breaks ties by it, so results are
/// deterministic.
class skill_graph {
public:
  /// An empty graph.
  skill_graph() = default;

  /// Builds the graph from `edges` (duplicates ignored) plus `skills` (may name isolated ones);
  /// refuses cycles, self-loops and empty names.
  [[nodiscard]] static skill_graph_result from_edges(const std::vector<skill_edge>& edges,
                                                     const std::vector<std::string>& skills = {});

  /// All skills, in first-named order.
  [[nodiscard]] const std::vector<std::string>& skills() const noexcept { return names_; }
  /// All edges, in insertion order.
  [[nodiscard]] std::vector<skill_edge> edges() const;
  [[nodiscard]] bool contains(std::string_view skill) const noexcept;
  /// Direct prerequisites of `skill`; empty for an unknown skill.
  [[nodiscard]] std::vector<std::string> prerequisites(std::string_view skill) const;
  /// Every skill after all its prerequisites (Kahn's algorithm, ties by first-named order).
  [[nodiscard]] std::vector<std::string> topological_order() const;

  /// The skills still to learn on the way to `goal`, prerequisites first: `goal` and its
  /// ancestors with mastery below `threshold`. The search stops at a mastered skill: mastering a
  /// skill is taken as evidence for its own prerequisites (knowledge states are closed under
  /// prerequisites, Doignon & Falmagne 1985), and it is all progression checks. Empty if the goal
  /// is mastered or unknown. Call again whenever mastery changes to re-plan.
  [[nodiscard]] std::vector<std::string> path_to(std::string_view goal, const mastery_map& mastery,
                                                 double threshold = 0.95) const;

private:
  [[nodiscard]] std::ptrdiff_t index_of(std::string_view skill) const noexcept;

  std::vector<std::string> names_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<std::vector<std::size_t>> before_; ///< before_[i]: direct prerequisites of i
  std::vector<std::vector<std::size_t>> after_;  ///< after_[i]: skills that need i
  std::vector<std::size_t> order_;               ///< topological order, computed once
};

// -- inference -------------------------------------------------------------------------------

/// One response of a learner, in the order given.
struct skill_response {
  std::string skill;
  bool correct = false;
};

/// Thresholds of infer_skill_graph().
struct inference_config {
  std::size_t min_learners = 5;     ///< learners who attempted both skills
  double min_order_fraction = 0.7;  ///< share of them who first attempted A before B
  double min_lift = 0.1;            ///< P(correct B | A mastered) - P(correct B | not)
  std::size_t mastery_attempts = 2; ///< attempts at A before B's first, to call A mastered...
  double mastery_accuracy = 0.8;    ///< ...with at least this accuracy
  std::size_t first_b_attempts = 3; ///< B's first attempts scored per learner
};

/// Infers prerequisite edges A -> B from learners' response sequences. A pair is an edge when
///  1. order: at least `min_order_fraction` of the (>= `min_learners`) learners who attempted
///     both attempted A first (curricula and self-paced learners mostly meet prerequisites first);
///  2. lift: accuracy on a learner's first `first_b_attempts` B responses is at least `min_lift`
///     higher when A was mastered before B's first attempt (>= `mastery_attempts` A responses
///     with accuracy >= `mastery_accuracy`) than when it was not; both groups must be non-empty.
/// Edges are added strongest first (order fraction x lift), skipping any that would close a cycle,
/// then reduced transitively (A -> C dropped when A -> B -> C exists). Skills keep their order of
/// first appearance. A heuristic: have a person review an inferred graph before it is used.
[[nodiscard]] skill_graph
infer_skill_graph(const std::vector<std::vector<skill_response>>& learners,
                  const inference_config& cfg = {});

} // namespace aia::model::learning
