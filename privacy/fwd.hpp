// Forward declarations of the privacy layer.
#pragma once

namespace aia::privacy {

class pseudonymizer;

} // namespace aia::privacy
