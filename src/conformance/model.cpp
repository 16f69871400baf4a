#include "conformance/model.h"

namespace cable::conformance {

Result<std::string> IdentifierSpec::Render(const RenderContext& ctx) const {
  auto v = value.Render(ctx);
  if (!v.ok()) return v.error();
  if (v->is_string()) return v->get<std::string>();
  return Dump(*v);
}

}  // namespace cable::conformance
