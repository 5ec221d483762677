package org.cernvm.copilot.testbed;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The load run's plot, drawn with XChart: throughput against job managers with the linear scaling of the
 * first round dashed, and the dispatch latency's 99th percentile on an axis of its own.
 */
final class Plot {
  static final int WIDTH = 800;
  static final int HEIGHT = 500;
  private static final Color BLUE = new Color(30, 90, 200);
  private static final Color ORANGE = new Color(200, 80, 30);

  private Plot() {}

  /** Writes the plot of {@code rounds} to {@code file} as PNG. */
  static void throughput(List<LoadRun.Round> rounds, Path file) throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
        .title("CoPilot load: throughput against job managers").xAxisTitle("job managers").yAxisTitle("jobs/s")
        .build();
    XYStyler style = chart.getStyler();
    style.setLegendPosition(Styler.LegendPosition.InsideNW);
    style.setXAxisDecimalPattern("0");
    style.setYAxisDecimalPattern("0");
    style.setYAxisMin(0.0);
    style.setXAxisMin(0.0);
    style.setPlotGridLinesVisible(true);
    style.setChartBackgroundColor(Color.WHITE);
    double[] managers = rounds.stream().mapToDouble(LoadRun.Round::jobManagers).toArray();
    double[] rate = rounds.stream().mapToDouble(LoadRun.Round::jobsPerSecond).toArray();
    double[] p99 = rounds.stream().mapToDouble(LoadRun.Round::p99Ms).toArray();
    if (managers.length == 0) {
      managers = new double[] {0};
      rate = new double[] {0};
      p99 = new double[] {0};
    }
    double perManager = rate[0] / Math.max(1, managers[0]);
    double maxManagers = Arrays.stream(managers).max().orElse(1);
    XYSeries linear = chart.addSeries("linear scaling of the first round", new double[] {0, maxManagers},
        new double[] {0, perManager * maxManagers});
    linear.setLineStyle(SeriesLines.DASH_DASH);
    linear.setMarker(SeriesMarkers.NONE);
    linear.setLineColor(Color.GRAY);
    XYSeries measured = chart.addSeries("jobs/s", managers, rate);
    measured.setMarker(SeriesMarkers.CIRCLE);
    measured.setLineColor(BLUE);
    measured.setMarkerColor(BLUE);
    XYSeries latency = chart.addSeries("dispatch p99, ms", managers, p99);
    latency.setYAxisGroup(1);
    latency.setMarker(SeriesMarkers.DIAMOND);
    latency.setLineStyle(SeriesLines.DOT_DOT);
    latency.setLineColor(ORANGE);
    latency.setMarkerColor(ORANGE);
    chart.setYAxisGroupTitle(1, "dispatch p99, ms");
    style.setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
    style.setYAxisMin(1, 0.0);
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
