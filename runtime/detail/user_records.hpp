// How every store backend seals and names user records (runtime/store.hpp user_record): one
// definition for sqlite_store.cpp, sqlite_reseal.cpp and redis_store.cpp.
#pragma once

#include <string>
#include <string_view>

namespace aia::runtime::detail {

/// The records' column: each value is sealed under "records.data:<kind>", so a value copied to
/// another user's or another kind's record does not open.
inline constexpr std::string_view record_column = "records.data";

/// The sealing purpose of a record of `kind`.
inline std::string record_purpose(std::string_view kind) {
  return std::string{record_column} + ":" + std::string{kind};
}

/// Whether `kind` is a record kind: [a-z_]{1,32}.
inline bool valid_kind(std::string_view kind) {
  return !kind.empty() && kind.size() <= 32
         && kind.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string_view::npos;
}

} // namespace aia::runtime::detail
