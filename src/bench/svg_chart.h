#pragma once
// Minimal inline-SVG charts for the HTML report: line charts over time and
// a latency histogram on a logarithmic axis. Plain strings, no scripts, so
// a report renders anywhere, offline, and diffs as text.

#include <string>
#include <vector>

namespace cable::bench::svg {

struct Series {
  std::string name;
  std::string color;
  std::vector<double> y;  // NaN: no point
};

// x: one value per point, shared by all series.
std::string LineChart(const std::string& title, const std::string& x_label,
                      const std::string& y_label, const std::vector<double>& x,
                      const std::vector<Series>& series, bool log_y = false);

struct Bar {
  double low;  // bucket bounds [low, high), in the unit of the axis (> 0)
  double high;
  double count;
};
// Bars on a log10 x axis; `marks` are labelled vertical lines (percentiles).
std::string Histogram(const std::string& title, const std::string& x_label,
                      const std::vector<Bar>& bars,
                      const std::vector<std::pair<std::string, double>>& marks);

}  // namespace cable::bench::svg
