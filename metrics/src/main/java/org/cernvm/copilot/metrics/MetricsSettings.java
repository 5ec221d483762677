package org.cernvm.copilot.metrics;

import java.util.OptionalInt;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.config.Settings;

/**
 * Where a server role serves its Prometheus metrics: {@code metrics.bind} (loopback unless set) and
 * {@code metrics.port}; with no port set there is no endpoint, and port 0 takes any free one.
 *
 * @param bind the address the endpoint listens on
 * @param port the port, or empty for no endpoint
 */
public record MetricsSettings(String bind, OptionalInt port) {
  /** The default bind address: metrics describe the site, and Prometheus usually scrapes on the host. */
  public static final String LOOPBACK = "127.0.0.1";

  /** No endpoint. */
  public static final MetricsSettings OFF = new MetricsSettings(LOOPBACK, OptionalInt.empty());

  public MetricsSettings {
    if (bind == null || bind.isBlank()) {
      throw new ConfigException("metrics.bind must name an address");
    }
    if (port.isPresent() && (port.getAsInt() < 0 || port.getAsInt() > 65_535)) {
      throw new ConfigException("metrics.port must be 0 to 65535, got " + port.getAsInt());
    }
  }

  /** An endpoint on loopback at {@code port} (0 for any free port). */
  public static MetricsSettings loopback(int port) {
    return new MetricsSettings(LOOPBACK, OptionalInt.of(port));
  }

  /** Reads {@code metrics.bind} and {@code metrics.port}. */
  public static MetricsSettings from(Settings s) {
    String bind = s.string("metrics.bind", LOOPBACK);
    return new MetricsSettings(bind, s.has("metrics.port") ? OptionalInt.of(s.integer("metrics.port", 0, 0))
        : OptionalInt.empty());
  }
}
