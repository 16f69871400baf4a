#include "conformance/selection.h"

#include <regex>

namespace cable::conformance {
namespace {

Result<std::vector<std::regex>> Compile(const std::vector<std::string>& patterns,
                                        const char* flag) {
  std::vector<std::regex> out;
  for (const auto& p : patterns) {
    if (p.size() > 1024) return Error{"bad_regex", std::string(flag) + ": pattern too long"};
    try {
      out.emplace_back(p, std::regex::ECMAScript | std::regex::icase);
    } catch (const std::regex_error& e) {
      return Error{"bad_regex", std::string(flag) + " \"" + p + "\": " + e.what()};
    }
  }
  return out;
}

}  // namespace

Result<std::vector<const Scenario*>> Select(const std::vector<Scenario>& all,
                                            const SelectionOptions& options) {
  auto only = Compile(options.only, "--only");
  if (!only.ok()) return only.error();
  auto except = Compile(options.except, "--except");
  if (!except.ok()) return except.error();
  std::vector<std::string> filters;
  if (!options.filter.empty()) filters.push_back(options.filter);
  auto filter = Compile(filters, "--filter");
  if (!filter.ok()) return filter.error();

  std::vector<const Scenario*> out;
  for (const auto& s : all) {
    const std::string& path = s.pos.file;
    bool keep = only->empty();
    for (const auto& r : *only) keep = keep || std::regex_search(path, r);
    for (const auto& r : *except) keep = keep && !std::regex_search(path, r);
    for (const auto& r : *filter) keep = keep && std::regex_search(s.id(), r);
    if (keep) out.push_back(&s);
  }
  return out;
}

std::string SkipReason(const Scenario& s, const Capabilities& caps) {
  // Features the profile explains come first, each with its reason; the
  // rest are listed together.
  std::string explained, missing;
  for (const auto& f : s.requires_features) {
    if (caps.features.count(f)) continue;
    if (auto why = caps.unclaimed_reasons.find(f); why != caps.unclaimed_reasons.end())
      explained += (explained.empty() ? "" : "; ") + ("needs " + f + " (" + why->second + ")");
    else
      missing += (missing.empty() ? "" : ", ") + f;
  }
  if (!explained.empty())
    return explained + (missing.empty() ? "" : "; target does not claim " + missing);
  if (!missing.empty()) return "target does not claim " + missing;
  if (s.uses_restart && !caps.can_restart) return "restarts the server: needs --command";
  if (s.uses_secret && !caps.has_jwt_secret && !caps.has_streams_secret)
    return "signs tokens or streams: needs --secret";
  return {};
}

std::string ListScenarios(const std::vector<const Scenario*>& selected, const Capabilities& caps) {
  std::string out;
  int run = 0, skipped = 0;
  for (const Scenario* s : selected) {
    std::string needs;
    for (const auto& f : s->requires_features) needs += (needs.empty() ? "" : ", ") + f;
    std::string why = SkipReason(*s, caps);
    (why.empty() ? run : skipped)++;
    out +=
        (why.empty() ? "run   " : "skip  ") + s->pos.str() + "  " + s->id() + "  [" + needs + "]\n";
    if (!why.empty()) out += "      " + why + "\n";
  }
  out += std::to_string(selected.size()) + " scenarios: " + std::to_string(run) + " run, " +
         std::to_string(skipped) + " skipped\n";
  return out;
}

}  // namespace cable::conformance
