package org.cernvm.copilot.monitor;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.config.Settings;

/**
 * The monitor's configuration: the roles' metrics endpoints it scrapes ({@code monitor.targets}, each
 * {@code NAME=URL}), where it serves its dashboard ({@code monitor.bind}, {@code monitor.port}), how often
 * it scrapes ({@code monitor.interval}) and how much it keeps ({@code monitor.history}).
 */
public record MonitorConfig(List<Target> targets, String bind, int port, Duration interval, Duration history) {
  /** A role's metrics endpoint, e.g. {@code jm-1=http://127.0.0.1:9471/metrics}. */
  public record Target(String name, URI url) {
    public Target {
      if (name.isBlank() || !name.matches("[A-Za-z0-9._-]{1,64}")) {
        throw new ConfigException("monitor.targets: a target's name must be 1 to 64 of A-Z a-z 0-9 . _ -, got '"
            + name + "'");
      }
      if (url.getScheme() == null || !List.of("http", "https").contains(url.getScheme())) {
        throw new ConfigException("monitor.targets: " + name + " needs an http(s) URL, got '" + url + "'");
      }
      if (url.getHost() == null) {
        throw new ConfigException("monitor.targets: " + name + "'s URL '" + url + "' has no host that can be read "
            + "(a host name is letters, digits, '-' and '.', no '_')");
      }
    }
  }

  public MonitorConfig {
    targets = List.copyOf(targets);
    if (targets.isEmpty()) {
      throw new ConfigException("monitor.targets must name at least one metrics endpoint (NAME=URL,...)");
    }
    if (targets.stream().map(Target::name).distinct().count() != targets.size()) {
      throw new ConfigException("monitor.targets names a target twice");
    }
    if (port < 0 || port > 65_535) {
      throw new ConfigException("monitor.port must be 0 to 65535, got " + port);
    }
    if (interval.compareTo(Duration.ofSeconds(1)) < 0 || history.compareTo(interval.multipliedBy(2)) < 0
        || history.dividedBy(interval) > 100_000) {
      throw new ConfigException("monitor.interval must be at least 1s and monitor.history between two intervals "
          + "and 100,000 of them, got " + interval + " and " + history);
    }
  }

  /** Reads the {@code monitor.*} keys. */
  public static MonitorConfig from(Settings s) {
    List<Target> targets = new ArrayList<>();
    for (String t : s.list("monitor.targets", List.of())) {
      int eq = t.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException("monitor.targets: each target is NAME=URL, got '" + t + "'");
      }
      URI url;
      try {
        url = URI.create(t.substring(eq + 1).trim());
      } catch (IllegalArgumentException e) {
        throw new ConfigException("monitor.targets: " + t.substring(0, eq) + " has a bad URL: " + e.getMessage());
      }
      targets.add(new Target(t.substring(0, eq).trim(), url));
    }
    return new MonitorConfig(targets, s.string("monitor.bind", "127.0.0.1"), s.integer("monitor.port", 9470, 0),
        s.duration("monitor.interval", Duration.ofSeconds(5)), s.duration("monitor.history", Duration.ofHours(1)));
  }
}
