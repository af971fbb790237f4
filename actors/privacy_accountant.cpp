// Budgets by name, each loaded once, charged in order, written before any grant is answered.
#include "actors/privacy_accountant.hpp"

#include "actors/messages/privacy.hpp"
#include "actors/messages/session.hpp"
#include "actors/messages/store.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"
#include "runtime/wall_clock.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <unordered_map>

namespace aia::actors {

namespace {

constexpr std::string_view budget_kind = "budget";

struct waiting_spend {
  spend_request request;
  caf::typed_response_promise<budget_report> promise;
};

struct budget_slot {
  std::uint64_t epoch = 0;   ///< this slot's life: answers meant for an older one leave it alone
  bool loaded = false;
  bool loading = false;
  bool forgetting = false;   ///< dropped once `writes` is 0; spends wait for the reload meanwhile
  std::size_t writes = 0;    ///< ledger writes in flight
  privacy::privacy_budget staged;  ///< every spend granted or being written
  std::uint64_t version = 0;       ///< the record version of `staged`
  std::optional<double> published; ///< the utilisation the user gauges count for it
  std::vector<waiting_spend> waiting;  ///< spends that came while it was loading or forgetting
  std::vector<caf::typed_response_promise<bool>> forgotten;  ///< answered once it is dropped
};

/// The utilisations of the cached user budgets, for their mean and maximum.
struct utilisation_set {
  std::multiset<double> values;
  double sum = 0;

  void remove(std::optional<double>& entry) {
    if (entry) {
      values.erase(values.find(*entry));
      sum = values.empty() ? 0 : sum - *entry;
      entry.reset();
    }
  }
  void put(std::optional<double>& entry, double x) {
    remove(entry);
    values.insert(x);
    sum += x;
    entry = x;
  }
  [[nodiscard]] double mean() const {
    return values.empty() ? 0 : sum / static_cast<double>(values.size());
  }
  [[nodiscard]] double max() const { return values.empty() ? 0 : *values.rbegin(); }
};

struct accountant_state {
  static inline const char* name = "privacy_accountant";
  std::unordered_map<std::string, budget_slot> budgets;
  std::uint64_t epochs = 0;
  utilisation_set users;
};

using accountant_ptr = caf::stateful_actor<accountant_state>*;

struct accountant_env {
  caf::actor store;
  accountant_options opt;
  runtime::counter* granted;
  runtime::counter* exhausted;
  runtime::counter* refused;
  runtime::gauge* global_utilisation;  ///< privacy_budget_consumption_rate (the alert's)
  runtime::gauge* global_utilization;  ///< privacy_budget_utilization{scope="global"}
  runtime::gauge* user_mean;
  runtime::gauge* user_max;
};

privacy::budget_limits limits_of(const accountant_env& env, const std::string& budget) {
  return budget == global_budget ? env.opt.global : env.opt.user;
}

/// The report of `b`, whose ledger adds up to `spent` (composing a long ledger is the costly
/// step of a spend: it is done once per spend).
budget_report report_of(const privacy::privacy_budget& b, bool granted,
                        const privacy::ledger_bound& spent) {
  return budget_report{granted,
                       spent.epsilon,
                       spent.delta,
                       b.limits().epsilon,
                       b.limits().delta,
                       b.resets_at(),
                       static_cast<std::uint64_t>(b.ledger().size()),
                       b.ledger().empty() ? "none" : privacy::to_string(spent.method)};
}

budget_report report_of(const privacy::privacy_budget& b, bool granted) {
  return report_of(b, granted, b.spent());
}

/// privacy_budget::utilisation, from the bound already composed.
double utilisation_of(const privacy::privacy_budget& b, const privacy::ledger_bound& spent) {
  if (b.ledger().empty() || b.limits().epsilon <= 0) {
    return 0;
  }
  return std::clamp(spent.epsilon / b.limits().epsilon, 0.0, 1.0);
}

// -- cache ----------------------------------------------------------------------------------

/// The slot of `name`, created (with a new epoch) if there is none.
budget_slot& slot_of(accountant_ptr self, const std::string& name) {
  auto [i, added] = self->state.budgets.try_emplace(name);
  if (added) {
    i->second.epoch = ++self->state.epochs;
  }
  return i->second;
}

/// The slot of `name` if it is still the one of `epoch`.
budget_slot* find_slot(accountant_ptr self, const std::string& name, std::uint64_t epoch) {
  auto i = self->state.budgets.find(name);
  return i != self->state.budgets.end() && i->second.epoch == epoch ? &i->second : nullptr;
}

void set_user_gauges(accountant_ptr self, const accountant_env& env) {
  env.user_mean->set(self->state.users.mean());
  env.user_max->set(self->state.users.max());
}

/// Shows `utilisation` of the budget `name` (held in `slot`) in the gauges.
void publish(accountant_ptr self, const accountant_env& env, const std::string& name,
             budget_slot& slot, double utilisation) {
  if (name == global_budget) {
    env.global_utilisation->set(utilisation);
    env.global_utilization->set(utilisation);
    return;
  }
  self->state.users.put(slot.published, utilisation);
  set_user_gauges(self, env);
}

void load(accountant_ptr self, const accountant_env& env, const std::string& name);

/// Drops the slot of `name`; answers its forget requests. Its waiting spends get `err`, or, if
/// there is none, wait for a fresh load from the store.
void drop(accountant_ptr self, const accountant_env& env, const std::string& name,
          const caf::error& err = {}) {
  auto i = self->state.budgets.find(name);
  if (i == self->state.budgets.end()) {
    return;
  }
  auto slot = std::move(i->second);
  self->state.budgets.erase(i);
  if (slot.published) {
    self->state.users.remove(slot.published);
    set_user_gauges(self, env);
  }
  for (auto& rp : slot.forgotten) {
    rp.deliver(true);
  }
  if (err) {
    for (auto& w : slot.waiting) {
      w.promise.deliver(err);
    }
  } else if (!slot.waiting.empty()) {
    slot_of(self, name).waiting = std::move(slot.waiting);
    load(self, env, name);
  }
}

/// Forget-all: drops every slot without writes in flight now, the others once they finish.
void forget_all(accountant_ptr self, const accountant_env& env) {
  std::vector<std::string> idle;
  for (auto& [name, slot] : self->state.budgets) {
    if (slot.writes == 0) {
      idle.push_back(name);
    } else {
      slot.forgetting = true;
    }
  }
  for (const auto& name : idle) {
    drop(self, env, name);
  }
}

// -- spending -------------------------------------------------------------------------------

/// Charges one spend against a loaded budget: refused at once, or written and then granted.
void charge(accountant_ptr self, const accountant_env& env, const std::string& name,
            spend_request& r, caf::typed_response_promise<budget_report> rp) {
  auto& slot = self->state.budgets[name];
  auto next = slot.staged;
  auto now = runtime::wall_seconds();
  privacy::ledger_entry entry{std::move(r.operation), std::move(r.purpose),
                              privacy::dp_release{static_cast<privacy::mechanism_kind>(
                                                    r.mechanism > 1 ? 0 : r.mechanism),
                                                  r.epsilon, r.delta, r.sigma, r.sensitivity},
                              now};
  auto outcome = next.try_spend(std::move(entry), now);
  if (auto* refused = std::get_if<privacy::budget_exhausted>(&outcome)) {
    env.exhausted->inc();
    env.refused->inc();
    slot.staged = std::move(next);  // a window may have rolled
    if (slot.writes == 0) {
      publish(self, env, name, slot, utilisation_of(slot.staged, refused->spent));
    }
    rp.deliver(report_of(slot.staged, false, refused->spent));
    return;
  }
  auto total = std::get<privacy::ledger_bound>(outcome);
  slot.staged = next;
  auto version = ++slot.version;
  auto epoch = slot.epoch;
  ++slot.writes;
  runtime::user_record rec{name, std::string{budget_kind}, version, next.encode(), now};
  self->request(env.store, caf::infinite, put_record_atom::value, std::move(rec))
    .then(
      [self, env, name, epoch, next, total, rp](bool) mutable {
        env.granted->inc();
        if (auto* s = find_slot(self, name, epoch)) {
          --s->writes;
          publish(self, env, name, *s, utilisation_of(next, total));
          if (s->forgetting && s->writes == 0) {
            drop(self, env, name);
          }
        }
        rp.deliver(report_of(next, true, total));
      },
      [self, env, name, epoch, rp](caf::error& err) mutable {
        // Nothing is released: the caller gets an error. The budget is read again on next use
        // (its other writes in flight fail too: they name versions after this one).
        log::error("accountant.write_failed", {{"errc", caf::to_string(err)}});
        if (find_slot(self, name, epoch) != nullptr) {
          drop(self, env, name);
        }
        rp.deliver(make_error(session_errc::store_failed));
      });
}

void load(accountant_ptr self, const accountant_env& env, const std::string& name) {
  auto& slot = slot_of(self, name);
  slot.loading = true;
  auto epoch = slot.epoch;
  self->request(env.store, caf::infinite, load_atom::value, name)
    .then(
      [self, env, name, epoch](loaded_history& h) {
        auto* slot = find_slot(self, name, epoch);
        if (slot == nullptr) {
          return;  // forgotten meanwhile: its spends wait for a later load
        }
        slot->loading = false;
        slot->loaded = true;
        slot->staged = privacy::privacy_budget{limits_of(env, name)};
        for (const auto& rec : h.records) {
          if (rec.kind != budget_kind) {
            continue;
          }
          auto b = privacy::privacy_budget::decode(rec.data.data(), rec.data.size(),
                                                   limits_of(env, name));
          if (!b) {
            // An unreadable ledger must never count as an empty one: refuse every spend.
            log::error("accountant.ledger_unreadable", {{"version", rec.version}});
            drop(self, env, name, make_error(session_errc::unreadable));
            return;
          }
          slot->staged = std::move(*b);
          slot->version = rec.version;
        }
        publish(self, env, name, *slot, slot->staged.utilisation());
        auto waiting = std::move(slot->waiting);
        for (auto& w : waiting) {
          charge(self, env, name, w.request, w.promise);
        }
      },
      [self, env, name, epoch](caf::error& err) {
        log::error("accountant.load_failed", {{"errc", caf::to_string(err)}});
        if (find_slot(self, name, epoch) != nullptr) {
          drop(self, env, name, make_error(session_errc::store_failed));
        }
      });
}

caf::behavior accountant(accountant_ptr self, accountant_env env) {
  return {
    [self, env](spend_atom, spend_request& r) -> caf::result<budget_report> {
      auto name = r.budget;
      auto rp = self->make_response_promise<budget_report>();
      auto& slot = slot_of(self, name);
      if (slot.loaded && !slot.forgetting) {
        charge(self, env, name, r, rp);
        return rp;
      }
      slot.waiting.push_back({std::move(r), rp});
      if (!slot.loaded && !slot.loading) {
        load(self, env, name);
      }
      return rp;
    },
    [self, env](forget_atom, const std::string& name) -> caf::result<bool> {
      auto i = self->state.budgets.find(name);
      if (i == self->state.budgets.end()) {
        return true;
      }
      if (i->second.writes == 0) {
        drop(self, env, name);
        return true;
      }
      auto rp = self->make_response_promise<bool>();
      i->second.forgetting = true;
      i->second.forgotten.push_back(rp);
      return rp;
    },
    [self, env](forget_atom) {
      forget_all(self, env);
      return true;
    },
    [self, env](budget_atom, const std::string& name) -> caf::result<budget_report> {
      auto i = self->state.budgets.find(name);
      if (i != self->state.budgets.end() && i->second.loaded && !i->second.forgetting) {
        i->second.staged.roll(runtime::wall_seconds());
        return report_of(i->second.staged, false);
      }
      // Not loaded yet: a zero spend would be refused, so load through a look-only path.
      auto rp = self->make_response_promise<budget_report>();
      self->request(env.store, caf::infinite, load_atom::value, name)
        .then(
          [env, name, rp](loaded_history& h) mutable {
            privacy::privacy_budget b{limits_of(env, name)};
            for (const auto& rec : h.records) {
              if (rec.kind == budget_kind) {
                if (auto d = privacy::privacy_budget::decode(rec.data.data(), rec.data.size(),
                                                             limits_of(env, name))) {
                  b = std::move(*d);
                }
              }
            }
            b.roll(runtime::wall_seconds());
            rp.deliver(report_of(b, false));
          },
          [rp](caf::error&) mutable { rp.deliver(make_error(session_errc::store_failed)); });
      return rp;
    },
  };
}

} // namespace

caf::actor spawn_privacy_accountant(caf::actor_system& sys, caf::actor store,
                                    accountant_options opt, runtime::metrics_registry& metrics) {
  const char* utilization_help
    = "Spent epsilon over the limit: the global budget, and the mean and maximum over the user "
      "budgets cached now";
  auto utilization = [&](const char* scope) {
    return &metrics.get_gauge("privacy_budget_utilization", utilization_help,
                              {{"scope", scope}, {"level", opt.level}});
  };
  accountant_env env{
    std::move(store),
    opt,
    &metrics.get_counter("privacy_spends_total", "Differentially private releases charged"),
    &metrics.get_counter("errors_total", "Requests refused, by reason",
                         {{"reason", "privacy_budget_exhausted"}}),
    &metrics.get_counter("privacy_spends_refused_total",
                         "Differentially private releases refused: the budget would be exceeded"),
    &metrics.get_gauge("privacy_budget_consumption_rate",
                       "Share of the global privacy budget's epsilon spent in this window"),
    utilization("global"),
    utilization("user_mean"),
    utilization("user_max")};
  return sys.spawn(accountant, std::move(env));
}

} // namespace aia::actors
