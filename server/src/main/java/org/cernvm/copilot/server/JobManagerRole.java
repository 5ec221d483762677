package org.cernvm.copilot.server;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.concurrent.CountDownLatch;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.jobmanager.JobSource;
import org.cernvm.copilot.jobmanager.JobSourceProvider;
import org.cernvm.copilot.metrics.MetricsEndpoint;
import org.cernvm.copilot.metrics.MetricsSettings;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.EnrolledBus;
import org.cernvm.copilot.protocol.security.SecuritySettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job manager role as a process runs it: its settings read and checked, its job source found by name
 * and opened, its bus enrolled and connected, its metrics served, until the process is stopped.
 */
public final class JobManagerRole {
  /** The key that names the job source. */
  public static final String SOURCE_KEY = "job-manager.source";

  private static final Logger log = LoggerFactory.getLogger(JobManagerRole.class);

  private JobManagerRole() {}

  /** What a caller may add around the role, as the testbed adds a simulated upstream and load statistics. */
  public interface Hooks {
    /** No additions. */
    Hooks NONE = new Hooks() {};

    /** The source the job manager serves, given the one configured. */
    default JobSource wrap(JobSource source) {
      return source;
    }

    /** Called once the job manager has started. */
    default void started(JobManager jobManager, Services services) {}

    /** Called once the job manager has stopped, before the process ends. */
    default void stopped(JobManager jobManager) {}
  }

  /** A job manager's settings, read and checked; nothing opened or connected yet. */
  public record Configured(JobManagerConfig config, JobSourceProvider.Opener source, XmppSettings xmpp,
      SecuritySettings security, MetricsSettings metrics) {}

  /**
   * Reads and checks every setting a job manager takes from {@code s}, its source's too.
   *
   * @throws org.cernvm.copilot.protocol.config.ConfigException naming the first setting that is wrong or unknown
   */
  public static Configured configure(Settings s) {
    JobManagerConfig cfg = JobManagerConfig.from(s, s.string("xmpp.domain", "copilot.local"));
    JobSourceProvider.Opener source = JobSourceProvider.named(s.string(SOURCE_KEY, "generic")).configure(s, cfg);
    XmppSettings xmpp = XmppSettings.from(s, Address.of(cfg.service()).local(), "jm-" + ProcessHandle.current().pid());
    SecuritySettings security = SecuritySettings.from(s, xmpp.domain());
    MetricsSettings metrics = MetricsSettings.from(s);
    s.rejectUnknownKeys();
    return new Configured(cfg, source, xmpp, security, metrics);
  }

  /** Runs a job manager from {@code s} until the process is stopped (SIGTERM). */
  public static void run(Settings s, Hooks hooks) throws Exception {
    run(configure(s), hooks);
  }

  /** Runs a configured job manager until the process is stopped (SIGTERM). */
  public static void run(Configured c, Hooks hooks) throws Exception {
    JobManagerConfig cfg = c.config();
    XmppSettings xmpp = c.xmpp();
    PrometheusRegistry registry = new PrometheusRegistry();
    try (Services services = new Services("jm", 4);
        MetricsEndpoint endpoint = MetricsEndpoint.start(c.metrics(), registry, "job manager")) {
      JobSource upstream = c.source().open(services.scheduler.clock());
      JobSource jobs = hooks.wrap(upstream);
      EnrolledBus enrolled = EnrolledBus.connect(xmpp, c.security(), services.scheduler, services.workers,
          xmpp.replyTimeout().multipliedBy(3));
      XmppBus bus = enrolled.bus();
      JobManager jobManager = new JobManager(cfg, bus, jobs, services.scheduler, registry);
      jobManager.start();
      hooks.started(jobManager, services);
      System.out.println("job manager " + bus.self() + " serving " + cfg.service() + " from the " + jobs.name()
          + " source" + endpoint.describe());
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        jobManager.close();
        hooks.stopped(jobManager);
        enrolled.close();
        if (upstream instanceof AutoCloseable closeable) {
          try {
            closeable.close();
          } catch (Exception e) {
            log.warn("closing the {} source failed: {}", upstream.name(), e.toString());
          }
        }
        stopped.countDown();
      }, "jm-shutdown"));
      stopped.await();
    }
  }
}
