package org.cernvm.copilot.testbed;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** The load run's plot, drawn with the JDK's own 2D graphics: throughput against job managers. */
final class Plot {
  private static final int W = 640;
  private static final int H = 420;
  private static final int LEFT = 70;
  private static final int RIGHT = 70;
  private static final int TOP = 40;
  private static final int BOTTOM = 60;

  private Plot() {}

  /** Writes a PNG of jobs per second (points and line, with the ideal linear scaling dashed) to {@code file}. */
  static void throughput(List<LoadRun.Round> rounds, Path file) throws IOException {
    System.setProperty("java.awt.headless", "true");
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, W, H);
    int maxN = rounds.stream().mapToInt(LoadRun.Round::jobManagers).max().orElse(1);
    double first = rounds.isEmpty() ? 1 : rounds.get(0).jobsPerSecond() / rounds.get(0).jobManagers();
    double maxY = Math.max(1, rounds.stream().mapToDouble(LoadRun.Round::jobsPerSecond).max().orElse(1));
    maxY = Math.max(maxY, first * maxN) * 1.1;
    int plotW = W - LEFT - RIGHT;
    int plotH = H - TOP - BOTTOM;
    g.setColor(Color.BLACK);
    g.drawLine(LEFT, TOP, LEFT, TOP + plotH);
    g.drawLine(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    for (int i = 0; i <= 5; i++) {
      double v = maxY * i / 5;
      int y = TOP + plotH - (int) (plotH * i / 5.0);
      g.setColor(new Color(230, 230, 230));
      g.drawLine(LEFT + 1, y, LEFT + plotW, y);
      g.setColor(Color.BLACK);
      g.drawString(String.format(Locale.ROOT, "%.0f", v), 10, y + 4);
    }
    for (LoadRun.Round r : rounds) {
      int x = LEFT + (int) (plotW * r.jobManagers() / (double) maxN);
      g.drawString(Integer.toString(r.jobManagers()), x - 4, TOP + plotH + 18);
    }
    g.drawString("job managers", LEFT + plotW / 2 - 35, H - 20);
    g.drawString("jobs/s", 10, TOP - 15);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    g.drawString("CoPilot load: throughput against job managers", LEFT + 60, 22);
    g.setColor(Color.GRAY);
    g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 6f}, 0f));
    g.drawLine(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH - (int) (plotH * first * maxN / maxY));
    g.setColor(new Color(30, 90, 200));
    g.setStroke(new BasicStroke(2.5f));
    int px = -1;
    int py = -1;
    for (LoadRun.Round r : rounds) {
      int x = LEFT + (int) (plotW * r.jobManagers() / (double) maxN);
      int y = TOP + plotH - (int) (plotH * r.jobsPerSecond() / maxY);
      if (px >= 0) {
        g.drawLine(px, py, x, y);
      }
      g.fillOval(x - 5, y - 5, 10, 10);
      g.drawString(String.format(Locale.ROOT, "%.1f", r.jobsPerSecond()), x + 8, y - 6);
      px = x;
      py = y;
    }
    g.dispose();
    ImageIO.write(img, "png", file.toFile());
  }
}
