#pragma once
// The values, text templates and patterns each client step holds, in one
// place for the loaders that check variables: conformance scenarios and
// `cable bench run` scripts walk the same steps. `Visitor` provides
// V(const Value&), T(const TextTemplate&) and P(const Pattern&).

#include "conformance/model.h"

namespace cable::conformance {

template <typename Visitor>
void VisitStepValues(Visitor& v, const ConnectStep& s) {
  if (s.path) v.T(*s.path);
  for (const auto& [k, value] : s.query) v.V(value);
  if (s.raw_query) v.T(*s.raw_query);
  for (const auto& [k, t] : s.headers) v.T(t);
  for (const auto& [k, t] : s.cookies) v.T(t);
  if (s.token) {
    if (s.token->identifiers) v.V(*s.token->identifiers);
    if (s.token->raw) v.T(*s.token->raw);
    if (s.token->secret) v.T(*s.token->secret);
  }
  if (s.welcome) v.P(*s.welcome);
}

template <typename Visitor>
void VisitStepValues(Visitor& v, const SubscribeStep& s) {
  v.V(s.id.value);
  if (s.history) v.V(*s.history);
  if (s.presence) v.V(*s.presence);
}

template <typename Visitor>
void VisitStepValues(Visitor& v, const UnsubscribeStep& s) {
  v.V(s.id.value);
}

template <typename Visitor>
void VisitStepValues(Visitor& v, const PerformStep& s) {
  v.V(s.id.value);
  if (s.action) v.T(*s.action);
  for (const auto& [k, value] : s.data) v.V(value);
  if (s.raw_data) v.V(*s.raw_data);
}

template <typename Visitor>
void VisitStepValues(Visitor& v, const WhisperStep& s) {
  v.V(s.id.value);
  v.V(s.data);
}

template <typename Visitor>
void VisitStepValues(Visitor& v, const JoinStep& s) {
  v.V(s.id.value);
  if (s.presence_id) v.V(*s.presence_id);
  if (s.info) v.V(*s.info);
  if (s.presence) v.V(*s.presence);
}

template <typename Visitor>
void VisitStepValues(Visitor& v, const LeaveStep& s) {
  v.V(s.id.value);
}

template <typename Visitor>
void VisitStepValues(Visitor& v, const BroadcastStep& s) {
  for (const auto& p : s.publications) {
    v.V(p.stream);
    v.V(p.data);
    if (p.exclude_socket) v.V(*p.exclude_socket);
  }
  if (s.body) v.T(*s.body);
  if (s.key) v.T(*s.key);
}

}  // namespace cable::conformance
