#include "rpc/executor.h"

#include <algorithm>

#include "common/broadcast/publisher.h"

namespace cable::rpc {
namespace {

void Erase(std::vector<std::string>& v, const std::string& s) {
  v.erase(std::remove(v.begin(), v.end(), s), v.end());
}

void AddUnique(std::vector<std::string>& v, std::string s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(std::move(s));
}

class Runner {
 public:
  Runner(Scope& scope, std::string_view identifier, Effects* effects)
      : scope_(scope), identifier_(identifier), fx_(effects) {}

  // Returns false when the handler must stop (rejected).
  Result<bool> Run(const Steps& steps) {
    for (const Step& step : steps) {
      auto r = std::visit([&](const auto& s) { return Do(s); }, step.action);
      if (!r.ok()) {
        // Nested `if` steps already located the error.
        if (r.error().IsStepFailed()) return r.error();
        return Error{codes::kStepFailed, step.where + ": " + r.error().message};
      }
      if (!*r) return false;
    }
    return true;
  }

 private:
  Json& State() { return scope_.Mutable(Root::kState); }

  Result<std::string> StreamName(const Template& t, const char* step) {
    std::string name = t.RenderString(scope_);
    if (name.empty()) {
      return Error{"empty_stream",
                   std::string(step) + ": '" + t.source() + "' rendered to an empty stream name"};
    }
    return name;
  }

  Result<bool> Do(const TransmitStep& s) {
    fx_->transmissions.push_back(EncodeTransmission(identifier_, s.message.Render(scope_)));
    return true;
  }

  Result<bool> Do(const BroadcastStep& s) {
    auto stream = StreamName(s.stream, "broadcast");
    if (!stream.ok()) return stream.error();
    broadcast::Publication p;
    p.stream = std::move(*stream);
    p.data = DumpJson(s.message.Render(scope_));
    if (s.to_others) {
      const Json* sid = scope_.Get(Root::kSid);
      if (sid && sid->is_string() && !sid->get_ref<const std::string&>().empty()) {
        p.exclude_socket = sid->get<std::string>();
      }
    }
    fx_->publications.push_back(broadcast::ToJson(p));
    return true;
  }

  Result<bool> Do(const StreamFromStep& s) {
    for (const auto& t : s.streams) {
      auto name = StreamName(t, "stream_from");
      if (!name.ok()) return name.error();
      AddUnique(fx_->streams, std::move(*name));
    }
    return true;
  }

  Result<bool> Do(const StopStreamFromStep& s) {
    for (const auto& t : s.streams) {
      auto name = StreamName(t, "stop_stream_from");
      if (!name.ok()) return name.error();
      Erase(fx_->streams, *name);
      AddUnique(fx_->stopped_streams, std::move(*name));
    }
    return true;
  }

  Result<bool> Do(const StopAllStreamsStep&) {
    fx_->streams.clear();
    fx_->stopped_streams.clear();
    fx_->stop_all_streams = true;
    return true;
  }

  Result<bool> Do(const SetStep& s) {
    for (const auto& [key, value] : s.values) State()[key] = value.Render(scope_);
    return true;
  }

  Result<bool> Do(const IncrementStep& s) {
    for (const auto& [key, amount_t] : s.amounts) {
      Json amount = amount_t.Render(scope_);
      // Query params and headers are strings; "2" counts as 2.
      if (amount.is_string()) {
        auto parsed = ParseJson(amount.get_ref<const std::string&>(), 64);
        if (parsed.ok() && parsed->is_number()) amount = std::move(*parsed);
      }
      if (!amount.is_number()) {
        return Error{"not_a_number", "increment: the amount for '" + key + "' is " +
                                         DumpJson(amount) + ", not a number"};
      }
      Json& cur = State()[key];
      if (cur.is_null()) cur = 0;
      if (!cur.is_number()) {
        return Error{"not_a_number",
                     "increment: state." + key + " is " + DumpJson(cur) + ", not a number"};
      }
      if (cur.is_number_integer() && amount.is_number_integer()) {
        cur = cur.get<std::int64_t>() + amount.get<std::int64_t>();
      } else {
        cur = cur.get<double>() + amount.get<double>();
      }
    }
    return true;
  }

  Result<bool> Do(const UnsetStep& s) {
    for (const auto& key : s.keys) State().erase(key);
    return true;
  }

  Result<bool> Do(const PresenceStep& s) {
    PresenceEffect p;
    p.type = s.join ? "join" : "leave";
    p.id = s.id.RenderString(scope_);
    if (s.has_info) p.info = DumpJson(s.info.Render(scope_));
    fx_->presence = std::move(p);
    return true;
  }

  Result<bool> Do(const DisconnectStep&) {
    fx_->disconnect = true;
    return true;
  }

  Result<bool> Do(const RejectStep&) {
    fx_->rejected = true;
    fx_->reject_reason = "rejected";
    return false;
  }

  Result<bool> Do(const RequireStep& s) {
    std::string failed = s.condition.FirstFailure(scope_);
    if (failed.empty()) return true;
    fx_->rejected = true;
    fx_->reject_reason = "requirement on " + failed + " not met";
    return false;
  }

  Result<bool> Do(const IfStep& s) {
    return Run(s.condition.Holds(scope_) ? s.then_steps : s.else_steps);
  }

  Scope& scope_;
  std::string_view identifier_;
  Effects* fx_;
};

}  // namespace

Status RunSteps(const Steps& steps, Scope& scope, std::string_view identifier, Effects* effects) {
  if (!scope.IsSet(Root::kState) || !scope.Get(Root::kState)->is_object()) {
    scope.Set(Root::kState, Json::object());
  }
  Runner runner(scope, identifier, effects);
  auto r = runner.Run(steps);
  if (!r.ok()) return r.error();
  return Status::Ok();
}

std::string EncodeTransmission(std::string_view identifier, const Json& message) {
  std::string out = "{\"identifier\":";
  out += DumpJson(Json(std::string(identifier)));
  out += ",\"message\":";
  out += DumpJson(message);
  out += '}';
  return out;
}

}  // namespace cable::rpc
