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

/// A probability in (0, 1) (or [0, 1) for `forget`) at `obj[key]`; `fallback` when absent.
double probability_at(const json& obj, const char* key, const std::string& where,
                      double fallback, bool may_be_zero) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return fallback;
  }
  double v = it->is_number() ? it->get<double>() : -1;
  if (!(v < 1) || !(may_be_zero ? v >= 0 : v > 0)) {
    throw catalog_error{where + "." + key + (may_be_zero ? ": must be a number in [0, 1)"
                                                        : ": must be a number in (0, 1)")};
  }
  return v;
}

/// A skill's BKT parameters: `init`, `learn`, `guess`, `slip` (and `forget`, default 0).
model::learning::bkt_params read_bkt(const json& b, const std::string& where) {
  if (!b.is_object()) {
    throw catalog_error{where + ": must be an object {\"init\", \"learn\", \"guess\", "
                                "\"slip\", \"forget\"}"};
  }
  model::learning::bkt_params p;
  for (const char* key : {"init", "learn", "guess", "slip"}) {
    if (!b.contains(key)) {
      throw catalog_error{where + "." + key + ": is required"};
    }
  }
  p.init = probability_at(b, "init", where, p.init, false);
  p.learn = probability_at(b, "learn", where, p.learn, false);
  p.guess = probability_at(b, "guess", where, p.guess, false);
  p.slip = probability_at(b, "slip", where, p.slip, false);
  p.forget = probability_at(b, "forget", where, 0, true);
  if (p.guess + p.slip >= 1) {
    // Knowing the skill must make a right answer likelier than not knowing it.
    throw catalog_error{where + ".guess: guess + slip must be below 1"};
  }
  return p;
}

learning_catalog parse(const json& root) {
  if (!root.is_object()) {
    throw catalog_error{"the catalogue must be a JSON object"};
  }
  learning_catalog out;
  std::vector<std::string> skills;
  const auto& listed = array_at(root, "skills");
  for (std::size_t i = 0; i < listed.size(); ++i) {
    auto where = "skills[" + std::to_string(i) + "]";
    if (listed[i].is_object()) {  // {"id", "bkt"}: a skill with fitted parameters
      auto id = text_at(listed[i], "id", where, true);
      if (auto b = listed[i].find("bkt"); b != listed[i].end() && !b->is_null()) {
        if (!out.skill_bkt.emplace(id, read_bkt(*b, where + ".bkt")).second) {
          throw catalog_error{where + ".id: \"" + id + "\" has parameters twice"};
        }
      }
      skills.push_back(std::move(id));
      continue;
    }
    if (!listed[i].is_string() || listed[i].get_ref<const std::string&>().empty()) {
      throw catalog_error{where + ": must be a non-empty string or an object {\"id\", \"bkt\"}"};
    }
    skills.push_back(listed[i].get<std::string>());
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
  lc.skill_bkt = std::move(catalog.skill_bkt);
  return std::make_shared<const model::learning::learning_engine>(
    std::move(lc), std::move(catalog.graph), std::move(catalog.items));
}

} // namespace aia::runtime
