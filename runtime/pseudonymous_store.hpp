// Maximum privacy's store: a decorator that puts every user's data under a keyed pseudonym, so
// the store (SQLite file or Redis) never holds a user id.
#pragma once

#include "privacy/pseudonym.hpp"
#include "runtime/store.hpp"

#include <memory>

namespace aia::runtime {

/// Wraps `inner`: every user id a call names is replaced by pseudonyms.stored_id(id) before it
/// reaches `inner`, and the answers to calls about one user carry the id asked for again. Ids
/// beginning with '#' (the accountant's global budget) are system ids and pass unchanged. A scan
/// lists pseudonyms: nothing downstream of a scan (aggregates, compliance) needs an id. The
/// sealing inside `inner` binds values to the pseudonym, so data stored under raw ids (the node
/// ran at another level before) is not visible through this store.
[[nodiscard]] std::unique_ptr<store> make_pseudonymous_store(std::unique_ptr<store> inner,
                                                             privacy::pseudonymizer pseudonyms);

} // namespace aia::runtime
