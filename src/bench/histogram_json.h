#pragma once
// A histogram's exact state in the JSON report, so that reports of several
// generators (shards) merge into the percentiles one generator would have
// measured: every non-empty bucket's index and count, plus the exact
// count, sum, minimum and maximum in nanoseconds. The bucket layout is
// written next to the states; reports of another layout do not merge.

#include "bench/histogram.h"
#include "bench/report.h"
#include "common/result.h"

namespace cable::bench {

// {"count","sum_ns","min_ns","max_ns","buckets":[[index,count],...]}
Json HistogramStateJson(const Histogram& h);

// {"unit":"us","sub_bits":7,"buckets":4096}: what a bucket index means.
Json HistogramLayoutJson();

// The Error says what is wrong (`where` names the state in the message):
// not an object, a bucket index outside the layout, negative or
// inconsistent counts, min above max.
Result<Histogram> HistogramFromStateJson(const Json& state, const std::string& where);

}  // namespace cable::bench
