#include "bench/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/xml_escape.h"

namespace cable::bench::svg {

namespace {

constexpr double kW = 760, kH = 300, kLeft = 70, kRight = 20, kTop = 34, kBottom = 46;

// 1, 2, 5 x 10^n steps that give about `n` ticks.
double NiceStep(double span, int n) {
  if (span <= 0) return 1;
  double raw = span / n;
  double mag = std::pow(10, std::floor(std::log10(raw)));
  double norm = raw / mag;
  double step = norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10;
  return step * mag;
}

std::string Num(double v) {
  if (v == 0) return "0";
  double a = std::abs(v);
  if (a >= 1e6) return fmt::format("{:.3g}M", v / 1e6);
  if (a >= 1e4) return fmt::format("{:.3g}k", v / 1e3);
  if (a >= 100) return fmt::format("{:.0f}", v);
  if (a >= 1) return fmt::format("{:.3g}", v);
  return fmt::format("{:.2g}", v);
}

std::string Frame(const std::string& title, const std::string& x_label,
                  const std::string& y_label) {
  std::string s = fmt::format(
      "<svg viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n",
      kW, kH, kW, kH);
  s += fmt::format("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#fff\"/>\n", kW, kH);
  s += fmt::format("<text x=\"{}\" y=\"18\" font-size=\"13\" font-weight=\"bold\">{}</text>\n",
                   kLeft, EscapeXml(title));
  s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                   kLeft + (kW - kLeft - kRight) / 2, kH - 8, EscapeXml(x_label));
  s += fmt::format(
      "<text x=\"14\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {})\">{}</text>\n",
      kTop + (kH - kTop - kBottom) / 2, kTop + (kH - kTop - kBottom) / 2, EscapeXml(y_label));
  return s;
}

}  // namespace

std::string LineChart(const std::string& title, const std::string& x_label,
                      const std::string& y_label, const std::vector<double>& x,
                      const std::vector<Series>& series, bool log_y) {
  std::string s = Frame(title, x_label, y_label);
  double x0 = x.empty() ? 0 : x.front(), x1 = x.empty() ? 1 : x.back();
  if (x1 <= x0) x1 = x0 + 1;
  double y_min = std::numeric_limits<double>::infinity(), y_max = 0;
  for (const auto& se : series) {
    for (double v : se.y) {
      if (std::isnan(v) || (log_y && v <= 0)) continue;
      y_min = std::min(y_min, v);
      y_max = std::max(y_max, v);
    }
  }
  if (!std::isfinite(y_min)) {
    s += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#888\">no data</text>\n</svg>\n", kW / 2 - 20,
                     kH / 2);
    return s;
  }
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  double lo, hi;
  if (log_y) {
    lo = std::floor(std::log10(y_min));
    hi = std::ceil(std::log10(y_max));
    if (hi <= lo) hi = lo + 1;
  } else {
    lo = 0;
    hi = y_max > 0 ? y_max * 1.08 : 1;
  }
  auto px = [&](double v) { return kLeft + (v - x0) / (x1 - x0) * pw; };
  auto py = [&](double v) {
    double t = log_y ? (std::log10(v) - lo) / (hi - lo) : (v - lo) / (hi - lo);
    return kTop + ph - t * ph;
  };
  // Grid and y ticks.
  if (log_y) {
    for (double e = lo; e <= hi; e += 1) {
      double v = std::pow(10, e);
      s += fmt::format(
          "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#eee\"/>"
          "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
          kLeft, py(v), kW - kRight, py(v), kLeft - 4, py(v) + 4, Num(v));
    }
  } else {
    double step = NiceStep(hi - lo, 5);
    for (double v = 0; v <= hi; v += step) {
      s += fmt::format(
          "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#eee\"/>"
          "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
          kLeft, py(v), kW - kRight, py(v), kLeft - 4, py(v) + 4, Num(v));
    }
  }
  double xstep = NiceStep(x1 - x0, 8);
  for (double v = std::ceil(x0 / xstep) * xstep; v <= x1 + 1e-9; v += xstep) {
    s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", px(v),
                     kTop + ph + 16, Num(v));
  }
  s += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n", kLeft,
      kTop, pw, ph);
  // Series.
  double legend_x = kLeft + 8;
  for (const auto& se : series) {
    std::string d;
    std::string dots;
    for (size_t i = 0; i < se.y.size() && i < x.size(); ++i) {
      double v = se.y[i];
      if (std::isnan(v) || (log_y && v <= 0)) continue;
      d += fmt::format("{}{:.1f},{:.1f}", d.empty() ? "M" : " L", px(x[i]), py(v));
      dots += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2\" fill=\"{}\"/>", px(x[i]),
                          py(v), se.color);
    }
    if (!d.empty()) {
      s += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\"/>\n", d,
                       se.color);
      s += dots + "\n";
    }
    s += fmt::format(
        "<rect x=\"{:.0f}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>"
        "<text x=\"{:.0f}\" y=\"{}\">{}</text>\n",
        legend_x, kTop + 6, se.color, legend_x + 14, kTop + 15, EscapeXml(se.name));
    legend_x += 24 + 7.0 * static_cast<double>(se.name.size());
  }
  s += "</svg>\n";
  return s;
}

std::string Histogram(const std::string& title, const std::string& x_label,
                      const std::vector<Bar>& bars,
                      const std::vector<std::pair<std::string, double>>& marks) {
  std::string s = Frame(title, x_label, "samples");
  if (bars.empty()) {
    s += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#888\">no data</text>\n</svg>\n", kW / 2 - 20,
                     kH / 2);
    return s;
  }
  const double pw = kW - kLeft - kRight, ph = kH - kTop - kBottom;
  double lo = std::floor(std::log10(std::max(1e-3, bars.front().low)));
  double hi = std::ceil(std::log10(std::max(bars.back().high, bars.front().low * 10)));
  if (hi <= lo) hi = lo + 1;
  // Counts per bucket are not comparable across bucket widths, so the
  // histogram is drawn as density per log-decade: count / log10 width.
  std::vector<double> density;
  double max_d = 0;
  for (const auto& b : bars) {
    double w = std::log10(b.high) - std::log10(std::max(b.low, 1e-3));
    double d = b.count / std::max(w, 1e-6);
    density.push_back(d);
    max_d = std::max(max_d, d);
  }
  auto px = [&](double v) { return kLeft + (std::log10(std::max(v, 1e-3)) - lo) / (hi - lo) * pw; };
  for (double e = lo; e <= hi; e += 1) {
    double v = std::pow(10, e);
    s += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" stroke=\"#eee\"/>"
        "<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
        px(v), kTop, px(v), kTop + ph, px(v), kTop + ph + 16, Num(v));
  }
  s += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n", kLeft,
      kTop, pw, ph);
  for (size_t i = 0; i < bars.size(); ++i) {
    double x0 = px(bars[i].low), x1 = px(bars[i].high);
    double h = density[i] / max_d * (ph - 4);
    s += fmt::format(
        "<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill=\"#4a78c2\">"
        "<title>{}-{}: {}</title></rect>\n",
        x0, kTop + ph - h, std::max(0.8, x1 - x0), h, Num(bars[i].low), Num(bars[i].high),
        static_cast<int64_t>(bars[i].count));
  }
  int row = 0;
  for (const auto& [label, v] : marks) {
    if (v <= 0) continue;
    double x = px(v);
    s += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" stroke=\"#d33\" "
        "stroke-dasharray=\"3,2\"/><text x=\"{:.1f}\" y=\"{}\" fill=\"#d33\">{}</text>\n",
        x, kTop, x, kTop + ph, x + 3, kTop + 12 + 12 * (row++ % 4), EscapeXml(label));
  }
  s += "</svg>\n";
  return s;
}

}  // namespace cable::bench::svg
