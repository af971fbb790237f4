// Reading the learning catalogue and building the engine.
#include "runtime/learning_catalog.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <set>
#include <stdexcept>

namespace aia::runtime {

namespace {

using json = nlohmann::json;

/// Thrown inside the reader with the element's path; turned into the returned message.
struct catalog_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const json& array_at(const json& root, const char* key) {
  static const json empty = json::array();
  auto it = root.find(key);
  if (it == root.end() || it->is_null()) {
    return empty;
  }
  if (!it->is_array()) {
    throw catalog_error{std::string{key} + ": must be an array"};
  }
  return *it;
}

std::string text_at(const json& obj, const char* key, const std::string& where, bool required) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) {
      throw catalog_error{where + "." + key + ": is required"};
    }
    return {};
  }
  if (!it->is_string() || it->get_ref<const std::string&>().empty()
      || it->get_ref<const std::string&>().size() > 256) {
    throw catalog_error{where + "." + key + ": must be a string of 1 to 256 characters"};
  }
  return it->get<std::string>();
}

learning_catalog parse(const json& root) {
  if (!root.is_object()) {
    throw catalog_error{"the catalogue must be a JSON object"};
  }
  std::vector<std::string> skills;
  const auto& names = array_at(root, "skills");
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!names[i].is_string() || names[i].get_ref<const std::string&>().empty()) {
      throw catalog_error{"skills[" + std::to_string(i) + "]: must be a non-empty string"};
    }
    skills.push_back(names[i].get<std::string>());
  }
  std::vector<model::learning::skill_edge> edges;
  const auto& pre = array_at(root, "prerequisites");
  for (std::size_t i = 0; i < pre.size(); ++i) {
    auto where = "prerequisites[" + std::to_string(i) + "]";
    if (!pre[i].is_object()) {
      throw catalog_error{where + ": must be an object {\"before\", \"after\"}"};
    }
    edges.push_back(
      {text_at(pre[i], "before", where, true), text_at(pre[i], "after", where, true)});
  }
  learning_catalog out;
  std::set<std::string> ids;
  const auto& items = array_at(root, "items");
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto where = "items[" + std::to_string(i) + "]";
    if (!items[i].is_object()) {
      throw catalog_error{where + ": must be an object"};
    }
    model::learning::catalog_item item;
    item.id = text_at(items[i], "id", where, true);
    item.skill = text_at(items[i], "skill", where, true);
    if (!ids.insert(item.id).second) {
      throw catalog_error{where + ".id: \"" + item.id + "\" is given twice"};
    }
    if (auto d = items[i].find("difficulty"); d != items[i].end() && !d->is_null()) {
      if (!d->is_number() || !std::isfinite(d->get<double>()) || std::abs(d->get<double>()) > 10) {
        throw catalog_error{where + ".difficulty: must be a number in -10..10 (logit offset)"};
      }
      item.difficulty = d->get<double>();
    }
    if (auto m = text_at(items[i], "modality", where, false); !m.empty()) {
      auto style = model::parse_learning_style(m);
      if (!style) {
        throw catalog_error{where + ".modality: must be visual, auditory, kinesthetic, "
                                    "reading_writing or multimodal"};
      }
      item.modality = static_cast<std::int8_t>(*style);
    }
    skills.push_back(item.skill);
    out.items.push_back(std::move(item));
  }
  auto graph = model::learning::skill_graph::from_edges(edges, skills);
  if (auto* err = std::get_if<model::learning::skill_graph_error>(&graph)) {
    throw catalog_error{"prerequisites: " + err->message()};
  }
  out.graph = std::get<model::learning::skill_graph>(std::move(graph));
  return out;
}

} // namespace

std::variant<learning_catalog, std::string> read_learning_catalog(const std::string& path) {
  std::ifstream in{path};
  if (!in) {
    return path + ": cannot be read";
  }
  try {
    return parse(json::parse(in));
  } catch (const json::parse_error& e) {
    return path + ": not valid JSON (byte " + std::to_string(e.byte) + ")";
  } catch (const std::exception& e) {
    return path + ": " + e.what();
  }
}

std::shared_ptr<const model::learning::learning_engine>
make_learning_engine(const node_config& cfg) {
  const auto& l = cfg.learning;
  model::learning::learning_config lc;
  lc.bkt = {l.bkt_init, l.bkt_learn, l.bkt_guess, l.bkt_slip, l.bkt_forget};
  lc.progression.band = {l.target_success_low, l.target_success_high};
  lc.progression.mastery_threshold = l.mastery_threshold;
  lc.target_recall = l.target_recall;
  lc.enabled = cfg.features.enable_adaptive_learning;
  learning_catalog catalog;
  if (!l.catalog_file.empty()) {
    auto read = read_learning_catalog(l.catalog_file);
    if (auto* err = std::get_if<std::string>(&read)) {
      throw std::invalid_argument{"learning.catalog_file: " + *err};
    }
    catalog = std::get<learning_catalog>(std::move(read));
  }
  return std::make_shared<const model::learning::learning_engine>(
    std::move(lc), std::move(catalog.graph), std::move(catalog.items));
}

} // namespace aia::runtime
