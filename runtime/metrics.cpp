// Prometheus metrics registry and its text rendering.
#include "runtime/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace aia::runtime {

namespace {

std::string format_number(double x) {
  if (std::isnan(x)) {
    return "NaN";
  }
  if (std::isinf(x)) {
    return x > 0 ? "+Inf" : "-Inf";
  }
  // The shortest form that reads back as the same double.
  char buf[64];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, x);
    if (std::strtod(buf, nullptr) == x) {
      break;
    }
  }
  return buf;
}

std::string escape_label(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string render_labels(const labels& l, const std::string& extra = {}) {
  if (l.empty() && extra.empty()) {
    return {};
  }
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : l) {
    out += (first ? "" : ",") + k + "=\"" + escape_label(v) + "\"";
    first = false;
  }
  if (!extra.empty()) {
    out += (first ? "" : ",") + extra;
  }
  return out + "}";
}

void atomic_add(std::atomic<double>& a, double x) noexcept {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + x, std::memory_order_relaxed)) {
  }
}

} // namespace

void gauge::add(double x) noexcept {
  atomic_add(value_, x);
}

histogram::histogram(std::vector<double> bounds)
  : bounds_(std::move(bounds)),
    buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    buckets_[i].store(0);
  }
}

void histogram::observe(double x) noexcept {
  std::size_t i = 0;
  while (i < bounds_.size() && x > bounds_[i]) {
    ++i;
  }
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, x);
}

std::uint64_t histogram::cumulative(std::size_t i) const noexcept {
  std::uint64_t total = 0;
  for (std::size_t j = 0; j <= i && j <= bounds_.size(); ++j) {
    total += buckets_[j].load(std::memory_order_relaxed);
  }
  return total;
}

metrics_registry::family& metrics_registry::get_family(const std::string& name,
                                                       const std::string& help, kind type) {
  auto [it, added] = families_.try_emplace(name);
  if (added) {
    it->second.type = type;
    it->second.help = help;
  } else if (it->second.type != type) {
    throw std::logic_error("metric " + name + " registered with two types");
  }
  return it->second;
}

counter& metrics_registry::get_counter(const std::string& name, const std::string& help,
                                       const labels& l) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& slot = get_family(name, help, kind::counter).counters[l];
  if (!slot) {
    slot = std::make_unique<counter>();
  }
  return *slot;
}

gauge& metrics_registry::get_gauge(const std::string& name, const std::string& help,
                                   const labels& l) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& slot = get_family(name, help, kind::gauge).gauges[l];
  if (!slot) {
    slot = std::make_unique<gauge>();
  }
  return *slot;
}

histogram& metrics_registry::get_histogram(const std::string& name, const std::string& help,
                                           std::vector<double> bounds) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& fam = get_family(name, help, kind::histogram);
  if (!fam.hist) {
    fam.hist = std::make_unique<histogram>(std::move(bounds));
  }
  return *fam.hist;
}

void metrics_registry::add_callback_gauge(const std::string& name, const std::string& help,
                                          std::function<double()> fn) {
  std::lock_guard<std::mutex> guard{mutex_};
  get_family(name, help, kind::gauge).callback = std::move(fn);
}

std::string metrics_registry::render() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::string out;
  for (const auto& [name, fam] : families_) {
    static constexpr const char* type_names[] = {"counter", "gauge", "histogram"};
    out += "# HELP " + name + " " + fam.help + "\n";
    out += "# TYPE " + name + " " + type_names[static_cast<int>(fam.type)] + "\n";
    for (const auto& [l, c] : fam.counters) {
      out += name + render_labels(l) + " " + std::to_string(c->value()) + "\n";
    }
    for (const auto& [l, g] : fam.gauges) {
      out += name + render_labels(l) + " " + format_number(g->value()) + "\n";
    }
    if (fam.callback) {
      out += name + " " + format_number(fam.callback()) + "\n";
    }
    if (fam.hist) {
      const auto& h = *fam.hist;
      for (std::size_t i = 0; i < h.bounds().size(); ++i) {
        out += name + "_bucket{le=\"" + format_number(h.bounds()[i]) + "\"} "
               + std::to_string(h.cumulative(i)) + "\n";
      }
      auto total = h.cumulative(h.bounds().size());
      out += name + "_bucket{le=\"+Inf\"} " + std::to_string(total) + "\n";
      out += name + "_sum " + format_number(h.sum()) + "\n";
      out += name + "_count " + std::to_string(total) + "\n";
    }
  }
  return out;
}

std::vector<double> latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1.0,    2.5};
}

} // namespace aia::runtime
