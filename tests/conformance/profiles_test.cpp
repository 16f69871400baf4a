// Profiles and --features: what a run claims, and how a skip explains itself.

#include "conformance/profiles.h"

#include <gtest/gtest.h>

#include "conformance/features.h"
#include "conformance/selection.h"

namespace cable::conformance {
namespace {

TEST(Profiles, FeaturesChangeAProfilesList) {
  auto claims = ResolveClaims(FindProfile("cable"), "+jwt_enforced,-slow_clients", "http");
  ASSERT_TRUE(claims.ok()) << claims.error().message;
  EXPECT_TRUE(claims->Has("jwt_enforced"));
  EXPECT_FALSE(claims->Has("slow_clients"));
  EXPECT_TRUE(claims->Has("history"));
  // A feature claimed again has no reason left; one removed by hand has none.
  EXPECT_FALSE(claims->reasons.count("jwt_enforced"));
  EXPECT_TRUE(claims->reasons.count("nats"));
}

TEST(Profiles, WithoutAProfileChangesApplyToAll) {
  auto all_but = ResolveClaims(nullptr, "-jwt", "http");
  ASSERT_TRUE(all_but.ok());
  EXPECT_FALSE(all_but->Has("jwt"));
  EXPECT_TRUE(all_but->Has("presence"));
  auto named = ResolveClaims(nullptr, "anyt,-ping", "http");
  ASSERT_TRUE(named.ok());
  EXPECT_TRUE(named->Has("remote_disconnect_reason"));
  EXPECT_FALSE(named->Has("ping"));
  EXPECT_FALSE(named->Has("presence"));
  EXPECT_FALSE(ResolveClaims(nullptr, "+jwtt", "http").ok());
}

TEST(Profiles, ActionCableTakesBroadcastsOnlyThroughItsAdapter) {
  auto own = ResolveClaims(FindProfile("actioncable"), "", "actioncable-redis");
  ASSERT_TRUE(own.ok());
  EXPECT_TRUE(own->Has("broadcast"));
  EXPECT_TRUE(own->Has("remote_disconnect"));
  EXPECT_FALSE(own->Has("ext_protocol"));
  auto http = ResolveClaims(FindProfile("actioncable"), "", "http");
  ASSERT_TRUE(http.ok());
  EXPECT_FALSE(http->Has("broadcast"));
  EXPECT_NE(http->reasons.at("remote_disconnect").find("not through http"), std::string::npos);
}

TEST(Profiles, SkipReasonsNameTheFeatureAndWhy) {
  auto claims = ResolveClaims(FindProfile("actioncable"), "", "actioncable-redis");
  ASSERT_TRUE(claims.ok());
  Capabilities caps;
  caps.features.insert(claims->claimed.begin(), claims->claimed.end());
  caps.unclaimed_reasons = claims->reasons;
  Scenario s;
  s.requires_features = {"rpc", "ext_protocol", "history"};
  EXPECT_EQ(SkipReason(s, caps),
            "needs ext_protocol (actioncable: the extended protocol (actioncable-v1-ext-json) is "
            "AnyCable's); needs history (actioncable: the extended protocol "
            "(actioncable-v1-ext-json) is AnyCable's)");
  caps.unclaimed_reasons.clear();
  EXPECT_EQ(SkipReason(s, caps), "target does not claim ext_protocol, history");
  // Every feature a profile leaves out is explained.
  for (const auto& p : Profiles()) {
    auto c = ResolveClaims(&p, "", p.default_adapter);
    ASSERT_TRUE(c.ok());
    for (const auto& f : KnownFeatures()) {
      if (!c->Has(std::string(f.name))) {
        EXPECT_TRUE(c->reasons.count(std::string(f.name))) << p.name << " " << f.name;
      }
    }
  }
}

}  // namespace
}  // namespace cable::conformance
