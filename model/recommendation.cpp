// Wire names of the recommendation types.
#include "model/recommendation.hpp"

namespace aia::model {

std::string_view to_string(recommendation_type x) noexcept {
  switch (x) {
  case recommendation_type::reduce_cognitive_load:
    return "reduce_cognitive_load";
  case recommendation_type::improve_focus:
    return "improve_focus";
  case recommendation_type::mitigate_fatigue:
    return "mitigate_fatigue";
  case recommendation_type::boost_engagement:
    return "boost_engagement";
  }
  return "unknown";
}

} // namespace aia::model
