// The adaptive learning engine of a node, from its config and catalogue file.
#pragma once

#include "model/learning/learner.hpp"
#include "runtime/config.hpp"

#include <map>
#include <memory>
#include <string>
#include <variant>

namespace aia::runtime {

/// Skills, prerequisites, items and fitted BKT parameters read from a catalogue file.
struct learning_catalog {
  model::learning::skill_graph graph;
  std::vector<model::learning::catalog_item> items;
  std::map<std::string, model::learning::bkt_params, std::less<>> skill_bkt;
};

/// Reads a catalogue: a JSON object with optional `skills` (names, or `{"id", "bkt"}` objects
/// whose `bkt` holds the skill's fitted `init`, `learn`, `guess`, `slip` in (0, 1), with guess +
/// slip below 1, and `forget` in [0, 1), default 0), `prerequisites`
/// (`{"before","after"}` edges) and `items` (`{"id","skill","difficulty","modality"}`; id and
/// skill required, difficulty a logit offset in -10..10, modality a learning style). The error
/// names the file and the element at fault.
[[nodiscard]] std::variant<learning_catalog, std::string>
read_learning_catalog(const std::string& path);

/// The engine the sessions of a node share. Throws std::invalid_argument naming the key and the
/// file for an unreadable catalogue (the node refuses to start, exit code 2).
[[nodiscard]] std::shared_ptr<const model::learning::learning_engine>
make_learning_engine(const node_config& cfg);

} // namespace aia::runtime
