// The JSON text form of Paillier keys: flat objects of numbers as 0x-hex strings, as
// paillier-bigint writes and reads them. Only privacy/paillier.cpp uses it.
#pragma once

#include "privacy/big_integer.hpp"

#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aia::privacy::detail {

/// The numbers of a flat JSON object {"name":"value",...} without escapes (values in hex or
/// decimal, see big_integer::parse), in the order of `names`: each name exactly once, no other.
/// The parsed text is cleared before it is released. Throws paillier_error(malformed).
[[nodiscard]] std::vector<big_integer> read_numbers(std::string_view json,
                                                    std::initializer_list<std::string_view> names);

/// {"name":"0x…",...} in the given order. Reserves room for numbers of up to modulus_bits bits
/// up front, so no reallocation leaves a copy of a secret behind; each hex copy is cleared.
[[nodiscard]] std::string
write_numbers(std::span<const std::pair<const char*, const big_integer*>> fields,
              int modulus_bits);

} // namespace aia::privacy::detail
