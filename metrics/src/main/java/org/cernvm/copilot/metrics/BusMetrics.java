package org.cernvm.copilot.metrics;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Locale;
import org.cernvm.copilot.protocol.bus.Bus;

/** The metrics of a role's bus: what it refused or dropped before the role saw it. */
public final class BusMetrics {
  private BusMetrics() {}

  /** Registers {@code bus}'s counts in {@code registry}, read at each scrape. */
  public static void register(PrometheusRegistry registry, Bus bus) {
    CounterWithCallback.builder().name("copilot_bus_refused_total")
        .help("Messages the bus refused before any handler saw them, by the code it answered or would have")
        .labelNames("code")
        .callback(cb -> bus.counts().refused().forEach((code, n) -> cb.call(n, code.name().toLowerCase(Locale.ROOT))))
        .register(registry);
    CounterWithCallback.builder().name("copilot_bus_dropped_total")
        .help("Unauthenticated messages dropped unopened or unanswered once their senders used up their share")
        .callback(cb -> cb.call(bus.counts().dropped())).register(registry);
  }
}
