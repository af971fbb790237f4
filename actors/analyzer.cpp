// Micro-batched inference: collect rows, run the model once per batch, answer every row.
#include "actors/analyzer.hpp"

#include "actors/messages/analyzer.hpp"
#include "model/state_model.hpp"
#include "runtime/metrics.hpp"

#include <caf/all.hpp>

namespace aia::actors {

namespace {

using clock = std::chrono::steady_clock;

struct pending_row {
  model::feature_vector features;
  caf::typed_response_promise<analysis> promise;
  clock::time_point enqueued;
};

struct analyzer_state {
  static inline const char* name = "analyzer";
  std::vector<pending_row> pending;
  std::uint64_t generation = 0;  ///< batches run so far; tags timers so stale ones are ignored
  bool flush_queued = false;
  std::vector<model::feature_vector> rows;
  std::vector<model::user_state> out;
};

struct analyzer_metrics {
  runtime::histogram& batch_rows;
  runtime::histogram& inference_seconds;
};

/// Runs the model on every pending row and answers each.
void run_batch(analyzer_state& st, const model::state_model& m, const analyzer_metrics& mx) {
  if (st.pending.empty()) {
    return;
  }
  auto start = clock::now();
  st.rows.clear();
  for (auto& p : st.pending) {
    st.rows.push_back(p.features);
  }
  m.predict(st.rows, st.out);
  auto done = clock::now();
  mx.batch_rows.observe(static_cast<double>(st.pending.size()));
  mx.inference_seconds.observe(std::chrono::duration<double>(done - start).count());
  for (std::size_t i = 0; i < st.pending.size(); ++i) {
    auto waited = std::chrono::duration<double, std::milli>(done - st.pending[i].enqueued);
    st.pending[i].promise.deliver(analysis{std::move(st.out[i]), waited.count()});
  }
  st.pending.clear();
  ++st.generation;
  st.flush_queued = false;
}

caf::behavior analyzer(caf::stateful_actor<analyzer_state>* self,
                       std::shared_ptr<const model::state_model> m, analyzer_options opt,
                       analyzer_metrics mx) {
  return {
    [=](analyze_atom, model::feature_vector& fv) -> caf::typed_response_promise<analysis> {
      auto& st = self->state;
      auto rp = self->make_response_promise<analysis>();
      st.pending.push_back(pending_row{fv, rp, clock::now()});
      // Run now if the batch is full or its oldest row has waited max_wait; otherwise once
      // every request already queued is taken (a flush message behind them), so light load
      // is never delayed. No timer: the bound holds because the flush always follows.
      if (st.pending.size() >= opt.batch_size
          || clock::now() - st.pending.front().enqueued >= opt.max_wait) {
        run_batch(st, *m, mx);
      } else if (!st.flush_queued) {
        st.flush_queued = true;
        self->send(self, flush_atom::value, st.generation);
      }
      return rp;
    },
    [=](flush_atom, std::uint64_t generation) {
      if (generation == self->state.generation) {
        run_batch(self->state, *m, mx);
      }
    },
  };
}

} // namespace

caf::actor spawn_analyzer(caf::actor_system& sys, std::shared_ptr<const model::state_model> m,
                          analyzer_options opt, runtime::metrics_registry& metrics) {
  analyzer_metrics mx{
    metrics.get_histogram("analyzer_batch_rows", "Rows per micro-batch of the analyzers",
                          {1, 2, 4, 8, 16, 32, 64, 128, 256}),
    metrics.get_histogram("model_inference_duration_seconds",
                          "Time of one micro-batch inference", runtime::latency_buckets()),
  };
  return sys.spawn(analyzer, std::move(m), opt, mx);
}

} // namespace aia::actors
