// Open connections per client address, with a limit: a slot is held for a connection's life.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace aia::net::detail {

class address_slots;

/// One connection's place in the count of its address; released when destroyed. Movable, so an
/// HTTP connection upgraded to a WebSocket keeps its place.
class address_slot {
public:
  address_slot() = default;
  address_slot(address_slots* owner, std::string address)
    : owner_(owner), address_(std::move(address)) {}
  address_slot(address_slot&& o) noexcept
    : owner_(std::exchange(o.owner_, nullptr)), address_(std::move(o.address_)) {}
  address_slot& operator=(address_slot&& o) noexcept {
    if (this != &o) {
      release();
      owner_ = std::exchange(o.owner_, nullptr);
      address_ = std::move(o.address_);
    }
    return *this;
  }
  address_slot(const address_slot&) = delete;
  address_slot& operator=(const address_slot&) = delete;
  ~address_slot() { release(); }

  /// The client's IP address, as text.
  const std::string& address() const { return address_; }

private:
  inline void release();

  address_slots* owner_ = nullptr;
  std::string address_;
};

/// The count of open connections per address, shared by the io threads.
class address_slots {
public:
  /// `per_address`: connections an address may hold at once (0 = no limit).
  explicit address_slots(std::size_t per_address) : limit_(per_address) {}

  /// Puts a slot for a new connection from `address` in `slot`; false (and `slot` untouched) if
  /// the address holds its limit already.
  bool take(const std::string& address, address_slot& slot) {
    if (limit_ != 0) {
      std::lock_guard lock{mutex_};
      auto& n = open_[address];
      if (n >= limit_) {
        return false;
      }
      ++n;
      slot = address_slot{this, address};
    } else {
      slot = address_slot{nullptr, address};
    }
    return true;
  }

  /// Open connections from `address`.
  std::size_t open(const std::string& address) const {
    std::lock_guard lock{mutex_};
    auto it = open_.find(address);
    return it == open_.end() ? 0 : it->second;
  }

  std::size_t limit() const { return limit_; }

private:
  friend class address_slot;
  void give_back(const std::string& address) {
    std::lock_guard lock{mutex_};
    auto it = open_.find(address);
    if (it != open_.end() && --it->second == 0) {
      open_.erase(it);
    }
  }

  std::size_t limit_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> open_;
};

inline void address_slot::release() {
  if (owner_ != nullptr) {
    owner_->give_back(address_);
    owner_ = nullptr;
  }
}

} // namespace aia::net::detail
