package org.cernvm.copilot.server;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.cernvm.copilot.metrics.MetricsEndpoint;
import org.cernvm.copilot.metrics.MetricsSettings;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.EnrolledBus;
import org.cernvm.copilot.protocol.security.SecuritySettings;
import org.cernvm.copilot.storage.StorageAdapter;
import org.cernvm.copilot.storage.StorageBackend;
import org.cernvm.copilot.storage.StorageConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code copilot storage-adapter}: one storage adapter over XMPP with its upload endpoint, until stopped. */
@Command(name = "storage-adapter", description = "Runs a storage adapter (upload grants, HTTP upload endpoint, "
    + "verification, filesystem or WebDAV backend, output registration) until stopped (SIGTERM).")
public final class StorageAdapterCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  /** A storage adapter's settings, read and checked; nothing opened or connected yet. */
  public record Configured(StorageConfig config, XmppSettings xmpp, SecuritySettings security,
      MetricsSettings metrics) {}

  /**
   * Reads and checks every setting a storage adapter takes from {@code s}.
   *
   * @throws org.cernvm.copilot.protocol.config.ConfigException naming the first setting that is wrong or unknown
   */
  public static Configured configure(Settings s) {
    StorageConfig cfg = StorageConfig.from(s, s.string("xmpp.domain", "copilot.local"));
    XmppSettings xmpp = XmppSettings.from(s, Address.of(cfg.service()).local(), "sa-" + ProcessHandle.current().pid());
    SecuritySettings security = SecuritySettings.from(s, xmpp.domain());
    MetricsSettings metrics = MetricsSettings.from(s);
    s.rejectUnknownKeys();
    return new Configured(cfg, xmpp, security, metrics);
  }

  @Override
  public Integer call() throws Exception {
    Configured c = configure(config.settings(Map.of()));
    StorageConfig cfg = c.config();
    XmppSettings xmpp = c.xmpp();
    PrometheusRegistry registry = new PrometheusRegistry();
    try (Services services = new Services("storage", 4);
        StorageBackend backend = StorageBackend.from(cfg);
        MetricsEndpoint endpoint = MetricsEndpoint.start(c.metrics(), registry, "storage adapter")) {
      EnrolledBus enrolled = EnrolledBus.connect(xmpp, c.security(), services.scheduler, services.workers,
          xmpp.replyTimeout().multipliedBy(3));
      XmppBus bus = enrolled.bus();
      StorageAdapter adapter = StorageAdapter.start(cfg, bus, backend, services.scheduler.clock(), registry);
      System.out.println("storage adapter " + cfg.service() + ": uploads at " + adapter.uploadUrl() + ", " + backend
          + endpoint.describe());
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        adapter.close();
        enrolled.close();
        StorageAdapter.Stats st = adapter.stats();
        System.out.println("storage: " + st.verified() + " files verified, " + st.rejected() + " rejected");
        stopped.countDown();
      }, "storage-shutdown"));
      stopped.await();
    }
    return 0;
  }
}
