// Prerequisite DAG: construction with cycle detection, topological paths, and inference.
#include "model/learning/skill_graph.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>
#include <set>
#include <utility>

namespace aia::model::learning {

double mastery_of(const mastery_map& m, std::string_view skill) noexcept {
  const auto it = m.find(std::string{skill});
  return it == m.end() || std::isnan(it->second) ? 0.0 : it->second;
}

const char* to_string(skill_graph_errc code) noexcept {
  switch (code) {
  case skill_graph_errc::cycle:
    return "cycle";
  case skill_graph_errc::self_loop:
    return "self_loop";
  case skill_graph_errc::empty_name:
    return "empty_name";
  }
  return "unknown";
}

std::string skill_graph_error::message() const {
  std::string out;
  switch (code) {
  case skill_graph_errc::cycle:
    out = "prerequisite cycle: ";
    break;
  case skill_graph_errc::self_loop:
    out = "skill is its own prerequisite: ";
    break;
  case skill_graph_errc::empty_name:
    return "empty skill name";
  }
  for (std::size_t i = 0; i < skills.size(); ++i) {
    out += (i == 0 ? "" : " -> ") + skills[i];
  }
  return out;
}

// -- construction ----------------------------------------------------------------------------

namespace {

/// Finds one cycle by depth-first search; returns it closed (first == last) or empty.
std::vector<std::size_t> find_cycle(const std::vector<std::vector<std::size_t>>& next) {
  enum : std::uint8_t { white, grey, black };
  std::vector<std::uint8_t> colour(next.size(), white);
  std::vector<std::size_t> stack;
  std::vector<std::size_t> cycle;
  std::function<bool(std::size_t)> visit = [&](std::size_t u) {
    colour[u] = grey;
    stack.push_back(u);
    for (const auto v : next[u]) {
      if (colour[v] == grey) {
        const auto from = std::find(stack.begin(), stack.end(), v);
        cycle.assign(from, stack.end());
        cycle.push_back(v);
        return true;
      }
      if (colour[v] == white && visit(v)) {
        return true;
      }
    }
    stack.pop_back();
    colour[u] = black;
    return false;
  };
  for (std::size_t u = 0; u < next.size(); ++u) {
    if (colour[u] == white && visit(u)) {
      return cycle;
    }
  }
  return {};
}

/// True if `to` is reachable from `from` along `next`, optionally ignoring the direct edge.
bool reachable(const std::vector<std::set<std::size_t>>& next, std::size_t from, std::size_t to,
               bool skip_direct) {
  std::vector<bool> seen(next.size(), false);
  std::vector<std::size_t> todo;
  for (const auto v : next[from]) {
    if (!(skip_direct && v == to)) {
      todo.push_back(v);
    }
  }
  while (!todo.empty()) {
    const auto u = todo.back();
    todo.pop_back();
    if (u == to) {
      return true;
    }
    if (!seen[u]) {
      seen[u] = true;
      todo.insert(todo.end(), next[u].begin(), next[u].end());
    }
  }
  return false;
}

} // namespace

skill_graph_result skill_graph::from_edges(const std::vector<skill_edge>& edges,
                                           const std::vector<std::string>& skills) {
  skill_graph g;
  auto add = [&g](const std::string& name) {
    const auto [it, fresh] = g.index_.try_emplace(name, g.names_.size());
    if (fresh) {
      g.names_.push_back(name);
      g.before_.emplace_back();
      g.after_.emplace_back();
    }
    return it->second;
  };
  for (const auto& s : skills) {
    if (s.empty()) {
      return skill_graph_error{skill_graph_errc::empty_name, {}};
    }
    add(s);
  }
  for (const auto& e : edges) {
    if (e.before.empty() || e.after.empty()) {
      return skill_graph_error{skill_graph_errc::empty_name, {}};
    }
    if (e.before == e.after) {
      return skill_graph_error{skill_graph_errc::self_loop, {e.before, e.after}};
    }
    const auto b = add(e.before);
    const auto a = add(e.after);
    if (std::find(g.after_[b].begin(), g.after_[b].end(), a) == g.after_[b].end()) {
      g.after_[b].push_back(a);
      g.before_[a].push_back(b);
    }
  }
  if (const auto cycle = find_cycle(g.after_); !cycle.empty()) {
    skill_graph_error err{skill_graph_errc::cycle, {}};
    for (const auto i : cycle) {
      err.skills.push_back(g.names_[i]);
    }
    return err;
  }
  // Kahn's algorithm; the min-heap of indices breaks ties by first-named order.
  std::vector<std::size_t> indegree(g.names_.size());
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < g.names_.size(); ++i) {
    indegree[i] = g.before_[i].size();
    if (indegree[i] == 0) {
      ready.push(i);
    }
  }
  while (!ready.empty()) {
    const auto u = ready.top();
    ready.pop();
    g.order_.push_back(u);
    for (const auto v : g.after_[u]) {
      if (--indegree[v] == 0) {
        ready.push(v);
      }
    }
  }
  return g;
}

// -- queries ---------------------------------------------------------------------------------

std::ptrdiff_t skill_graph::index_of(std::string_view skill) const noexcept {
  const auto it = index_.find(std::string{skill});
  return it == index_.end() ? -1 : static_cast<std::ptrdiff_t>(it->second);
}

bool skill_graph::contains(std::string_view skill) const noexcept {
  return index_of(skill) >= 0;
}

std::vector<skill_edge> skill_graph::edges() const {
  std::vector<skill_edge> out;
  for (std::size_t b = 0; b < names_.size(); ++b) {
    for (const auto a : after_[b]) {
      out.push_back({names_[b], names_[a]});
    }
  }
  return out;
}

std::vector<std::string> skill_graph::prerequisites(std::string_view skill) const {
  std::vector<std::string> out;
  if (const auto i = index_of(skill); i >= 0) {
    for (const auto b : before_[static_cast<std::size_t>(i)]) {
      out.push_back(names_[b]);
    }
  }
  return out;
}

std::vector<std::string> skill_graph::topological_order() const {
  std::vector<std::string> out;
  out.reserve(order_.size());
  for (const auto i : order_) {
    out.push_back(names_[i]);
  }
  return out;
}

std::vector<std::string> skill_graph::path_to(std::string_view goal, const mastery_map& mastery,
                                              double threshold) const {
  const auto g = index_of(goal);
  if (g < 0) {
    return {};
  }
  // Walk up from the goal through unmastered skills only.
  std::vector<bool> needed(names_.size(), false);
  std::vector<std::size_t> todo{static_cast<std::size_t>(g)};
  while (!todo.empty()) {
    const auto u = todo.back();
    todo.pop_back();
    if (needed[u] || mastery_of(mastery, names_[u]) >= threshold) {
      continue;
    }
    needed[u] = true;
    todo.insert(todo.end(), before_[u].begin(), before_[u].end());
  }
  std::vector<std::string> out;
  for (const auto i : order_) {
    if (needed[i]) {
      out.push_back(names_[i]);
    }
  }
  return out;
}

// -- inference -------------------------------------------------------------------------------

namespace {

/// Counts for one ordered pair (A, B) over learners.
struct pair_stats {
  std::size_t both = 0;    ///< learners who attempted A and B
  std::size_t a_first = 0; ///< of them, first attempted A before B
  double hit_mastered = 0; ///< correct first-B responses when A was mastered before B
  double n_mastered = 0;
  double hit_unmastered = 0;
  double n_unmastered = 0;
};

} // namespace

skill_graph infer_skill_graph(const std::vector<std::vector<skill_response>>& learners,
                              const inference_config& cfg) {
  // Skills in order of first appearance.
  std::vector<std::string> names;
  std::unordered_map<std::string, std::size_t> index;
  for (const auto& seq : learners) {
    for (const auto& r : seq) {
      if (!r.skill.empty() && index.try_emplace(r.skill, names.size()).second) {
        names.push_back(r.skill);
      }
    }
  }
  const auto n = names.size();
  std::vector<pair_stats> stats(n * n);
  for (const auto& seq : learners) {
    // Per skill: positions of its responses and whether each was correct.
    std::vector<std::vector<std::pair<std::size_t, bool>>> by_skill(n);
    for (std::size_t pos = 0; pos < seq.size(); ++pos) {
      if (!seq[pos].skill.empty()) {
        by_skill[index.at(seq[pos].skill)].emplace_back(pos, seq[pos].correct);
      }
    }
    for (std::size_t a = 0; a < n; ++a) {
      for (std::size_t b = 0; b < n; ++b) {
        if (a == b || by_skill[a].empty() || by_skill[b].empty()) {
          continue;
        }
        auto& st = stats[a * n + b];
        const auto first_b = by_skill[b].front().first;
        ++st.both;
        st.a_first += by_skill[a].front().first < first_b ? 1 : 0;
        // A's responses before B's first attempt decide whether A counts as mastered.
        std::size_t tries = 0;
        std::size_t hits = 0;
        for (const auto& [pos, ok] : by_skill[a]) {
          if (pos >= first_b) {
            break;
          }
          ++tries;
          hits += ok ? 1 : 0;
        }
        const bool mastered
            = tries >= cfg.mastery_attempts && tries > 0
              && static_cast<double>(hits) >= cfg.mastery_accuracy * static_cast<double>(tries);
        const auto k = std::min(cfg.first_b_attempts, by_skill[b].size());
        double b_hits = 0;
        for (std::size_t i = 0; i < k; ++i) {
          b_hits += by_skill[b][i].second ? 1 : 0;
        }
        (mastered ? st.hit_mastered : st.hit_unmastered) += b_hits;
        (mastered ? st.n_mastered : st.n_unmastered) += static_cast<double>(k);
      }
    }
  }
  // Candidate edges that pass both tests, strongest first.
  struct candidate {
    double strength;
    std::size_t a;
    std::size_t b;
  };
  std::vector<candidate> candidates;
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t b = 0; b < n; ++b) {
      const auto& st = stats[a * n + b];
      if (a == b || st.both < cfg.min_learners || st.n_mastered == 0 || st.n_unmastered == 0) {
        continue;
      }
      const auto order = static_cast<double>(st.a_first) / static_cast<double>(st.both);
      const auto lift = st.hit_mastered / st.n_mastered - st.hit_unmastered / st.n_unmastered;
      if (order >= cfg.min_order_fraction && lift >= cfg.min_lift) {
        candidates.push_back({order * lift, a, b});
      }
    }
  }
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const auto& x, const auto& y) { return x.strength > y.strength; });
  std::vector<std::set<std::size_t>> next(n);
  for (const auto& c : candidates) {
    if (!reachable(next, c.b, c.a, false)) {
      next[c.a].insert(c.b);
    }
  }
  // Transitive reduction: drop a -> b when another path a -> ... -> b exists.
  std::vector<skill_edge> edges;
  for (std::size_t a = 0; a < n; ++a) {
    for (const auto b : std::set<std::size_t>{next[a]}) {
      if (reachable(next, a, b, true)) {
        next[a].erase(b);
      } else {
        edges.push_back({names[a], names[b]});
      }
    }
  }
  auto built = skill_graph::from_edges(edges, names);
  return std::get<skill_graph>(std::move(built)); // acyclic by construction
}

} // namespace aia::model::learning
