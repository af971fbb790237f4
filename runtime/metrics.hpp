// Prometheus metrics: counters, gauges and histograms with lock-free updates, rendered as text.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace aia::runtime {

/// Label pairs of one series, e.g. {{"route", "/interaction"}, {"status", "200"}}.
using labels = std::vector<std::pair<std::string, std::string>>;

/// A monotonically increasing count.
class counter {
public:
  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t value() const noexcept {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<std::uint64_t> value_{0};
};

/// A value that goes up and down.
class gauge {
public:
  void set(double x) noexcept { value_.store(x, std::memory_order_relaxed); }
  void add(double x) noexcept;
  [[nodiscard]] double value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<double> value_{0};
};

/// A distribution over fixed bucket bounds (upper bounds, ascending).
class histogram {
public:
  explicit histogram(std::vector<double> bounds);
  void observe(double x) noexcept;
  [[nodiscard]] const std::vector<double>& bounds() const noexcept { return bounds_; }
  /// Cumulative count of observations <= bounds()[i]; i == bounds().size() gives the total.
  [[nodiscard]] std::uint64_t cumulative(std::size_t i) const noexcept;
  [[nodiscard]] double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

/// The node's metrics. Families are created on first use and live as long as the registry;
/// the returned references stay valid, so hot paths look a series up once and keep it.
class metrics_registry {
public:
  counter& get_counter(const std::string& name, const std::string& help, const labels& l = {});
  gauge& get_gauge(const std::string& name, const std::string& help, const labels& l = {});
  histogram& get_histogram(const std::string& name, const std::string& help,
                           std::vector<double> bounds);
  /// A gauge computed when rendered (e.g. memory per active user).
  void add_callback_gauge(const std::string& name, const std::string& help,
                          std::function<double()> fn);

  /// The Prometheus text exposition format (version 0.0.4).
  [[nodiscard]] std::string render() const;

private:
  enum class kind { counter, gauge, histogram };
  struct family {
    kind type;
    std::string help;
    std::map<labels, std::unique_ptr<counter>> counters;
    std::map<labels, std::unique_ptr<gauge>> gauges;
    std::unique_ptr<histogram> hist;
    std::function<double()> callback;
  };
  family& get_family(const std::string& name, const std::string& help, kind type);

  mutable std::mutex mutex_;
  std::map<std::string, family> families_;
};

/// Default latency buckets in seconds (0.1 ms .. 2.5 s).
[[nodiscard]] std::vector<double> latency_buckets();

} // namespace aia::runtime
