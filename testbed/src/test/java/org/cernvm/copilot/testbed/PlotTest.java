package org.cernvm.copilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The load run's plot is a PNG of the rounds, drawn whatever their number. */
class PlotTest {
  @TempDir Path dir;

  private static LoadRun.Round round(int jobManagers, double jobsPerSecond, double p99) {
    return new LoadRun.Round(jobManagers, 1000, 1000, 0, 0, 1000 / jobsPerSecond, jobsPerSecond, p99 / 3, p99, 1, 2,
        5, 1, 1, 0, 0, 0.1);
  }

  @Test
  void thePlotIsAPngOfTheRoundsWithRoomForTheirAxes() throws Exception {
    Path png = dir.resolve("load.png");
    Plot.throughput(List.of(round(1, 330, 12), round(2, 420, 20), round(4, 450, 35)), png);
    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img.getWidth()).isEqualTo(Plot.WIDTH);
    assertThat(img.getHeight()).isEqualTo(Plot.HEIGHT);
    long colours = java.util.stream.IntStream.range(0, img.getWidth() * img.getHeight())
        .map(i -> img.getRGB(i % img.getWidth(), i / img.getWidth())).distinct().count();
    assertThat(colours).as("text, axes and three series, not a blank image").isGreaterThan(20);

    Path none = dir.resolve("none.png");
    Plot.throughput(List.of(), none);
    assertThat(ImageIO.read(none.toFile())).isNotNull();
  }
}
