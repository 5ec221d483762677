package org.cernvm.copilot.testbed;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.jobmanager.JobSource;
import org.cernvm.copilot.jobmanager.generic.GenericQueue;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.config.Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code copilot job-manager}: one job manager over XMPP, serving the generic queue until stopped. */
@Command(name = "job-manager", description = "Runs a job manager serving the generic queue until stopped (SIGTERM).")
final class JobManagerCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--queue-dir", paramLabel = "DIR", description = "the generic queue's directory (job-manager.queue-dir)")
  Path queueDir;

  @Override
  public Integer call() throws Exception {
    Map<String, String> options = new HashMap<>();
    if (queueDir != null) {
      options.put("job-manager.queue-dir", queueDir.toString());
    }
    Settings s = config.settings(options);
    JobManagerConfig cfg = JobManagerConfig.from(s, s.string("xmpp.domain", "copilot.local"));
    XmppSettings xmpp = XmppSettings.from(s, Address.of(cfg.service()).local(), "jm-" + ProcessHandle.current().pid());
    s.rejectUnknownKeys();
    try (Services services = new Services("jm", 4)) {
      GenericQueue queue = JobSource.generic(cfg.queueDir(), services.scheduler.clock(), cfg.maxAttempts());
      XmppBus bus = Bus.xmpp(xmpp, services.scheduler, services.workers);
      JobManager jobManager = new JobManager(cfg, bus, queue, services.scheduler);
      jobManager.start();
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        jobManager.close();
        bus.close();
        stopped.countDown();
      }, "jm-shutdown"));
      stopped.await();
    }
    return 0;
  }
}
