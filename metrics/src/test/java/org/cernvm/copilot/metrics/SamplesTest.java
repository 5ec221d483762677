package org.cernvm.copilot.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A scrape read back: series and labels as the text format writes them, and a clear error for what is not. */
class SamplesTest {
  @Test
  void labelsWithSpacesQuotesAndNewlinesAreReadBackAsTheyWereSet() {
    PrometheusRegistry registry = new PrometheusRegistry();
    Counter c = Counter.builder().name("odd_total").labelNames("why").register(registry);
    c.labelValues("a \"quoted\" reason,\nover two lines").inc(3);
    Samples s = Samples.of(registry);
    assertThat(s.samples("odd_total")).singleElement()
        .isEqualTo(new Samples.Sample(Map.of("why", "a \"quoted\" reason,\nover two lines"), 3.0));
    assertThat(s.sum("odd_total")).isEqualTo(3);
  }

  @Test
  void infinitiesAndCommentsAreReadAndAnythingElseIsRefusedWithItsLine() {
    Samples s = Samples.parse("# HELP x y\nx_bucket{le=\"+Inf\"} 4\ng -Inf\nh +Inf 1700000000\n\n");
    assertThat(s.value("x_bucket{le=\"+Inf\"}")).isEqualTo(4);
    assertThat(s.value("g")).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(s.value("h")).isEqualTo(Double.POSITIVE_INFINITY);
    assertThatThrownBy(() -> Samples.parse("ok 1\nbroken\n")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 2");
    assertThatThrownBy(() -> Samples.parse("x{a=\"1\"} one")).hasMessageContaining("has no number");
    assertThatThrownBy(() -> Samples.parse("x{a=\"1} 2")).hasMessageContaining("unterminated");
  }
}
