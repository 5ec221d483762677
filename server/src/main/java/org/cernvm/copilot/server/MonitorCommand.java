package org.cernvm.copilot.server;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.cernvm.copilot.monitor.Monitor;
import org.cernvm.copilot.monitor.MonitorConfig;
import org.cernvm.copilot.protocol.config.Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code monitor}: the live dashboard over the roles' metrics endpoints, until stopped. */
@Command(name = "monitor", description = "Serves the live dashboard (monitor.port, default 9470) over the metrics "
    + "endpoints named by monitor.targets (NAME=URL,...), until stopped (SIGTERM).")
public final class MonitorCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Override
  public Integer call() throws Exception {
    Settings s = config.settings(Map.of());
    MonitorConfig cfg = MonitorConfig.from(s);
    s.rejectUnknownKeys();
    try (Monitor monitor = Monitor.start(cfg, Clock.systemUTC())) {
      System.out.println("monitor: dashboard at http://" + cfg.bind() + ":" + monitor.port() + "/ over "
          + cfg.targets().size() + " metrics endpoint(s)");
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "monitor-shutdown"));
      stopped.await();
    }
    return 0;
  }
}
