// Replaces user ids by keyed pseudonyms on the way in and back on the way out.
#include "runtime/pseudonymous_store.hpp"

namespace aia::runtime {

namespace {

class pseudonymous_store final : public store {
public:
  pseudonymous_store(std::unique_ptr<store> inner, privacy::pseudonymizer p)
    : inner_(std::move(inner)), p_(std::move(p)) {}

  std::optional<store_error> write(const std::vector<stored_event>& events,
                                   const std::vector<snapshot_record>& snapshots) override {
    auto evs = events;
    for (auto& e : evs) {
      e.user_id = hide(e.user_id);
    }
    auto snaps = snapshots;
    for (auto& s : snaps) {
      s.user_id = hide(s.user_id);
    }
    return inner_->write(evs, snaps);
  }

  user_history load(const std::string& user_id) override {
    auto h = inner_->load(hide(user_id));
    if (h.snapshot) {
      h.snapshot->user_id = user_id;
    }
    for (auto& e : h.events) {
      e.user_id = user_id;
    }
    for (auto& r : h.records) {
      r.user_id = user_id;
    }
    return h;
  }

  std::variant<std::vector<stored_event>, store_error>
  read_events(const std::string& user_id, std::uint64_t after_seq, std::uint64_t limit) override {
    auto r = inner_->read_events(hide(user_id), after_seq, limit);
    if (auto* evs = std::get_if<std::vector<stored_event>>(&r)) {
      for (auto& e : *evs) {
        e.user_id = user_id;
      }
    }
    return r;
  }

  std::uint64_t user_count() override { return inner_->user_count(); }

  std::variant<user_page, store_error> scan_users(const std::string& after,
                                                  std::uint64_t limit) override {
    return inner_->scan_users(after, limit);
  }

  std::optional<store_error> put_record(const user_record& r) override {
    auto copy = r;
    copy.user_id = hide(r.user_id);
    return inner_->put_record(copy);
  }

  std::variant<erase_counts, store_error> erase_user(const std::string& user_id) override {
    return inner_->erase_user(hide(user_id));
  }

  std::variant<std::uint64_t, store_error> expire_events(double cutoff,
                                                         std::uint64_t limit) override {
    return inner_->expire_events(cutoff, limit);
  }

  const char* backend() const noexcept override { return inner_->backend(); }

  std::optional<store_error> check() override { return inner_->check(); }

private:
  [[nodiscard]] std::string hide(const std::string& id) const {
    return !id.empty() && id.front() == '#' ? id : p_.stored_id(id);
  }

  std::unique_ptr<store> inner_;
  privacy::pseudonymizer p_;
};

} // namespace

std::unique_ptr<store> make_pseudonymous_store(std::unique_ptr<store> inner,
                                               privacy::pseudonymizer pseudonyms) {
  return std::make_unique<pseudonymous_store>(std::move(inner), std::move(pseudonyms));
}

} // namespace aia::runtime
