package org.cernvm.copilot.testbed;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.cernvm.copilot.jobmanager.JobManager;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.jobmanager.JobSource;
import java.util.List;
import org.cernvm.copilot.alien.AlienConfig;
import org.cernvm.copilot.alien.AlienJobSource;
import org.cernvm.copilot.panda.PandaConfig;
import org.cernvm.copilot.panda.PandaJobSource;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.EnrolledBus;
import org.cernvm.copilot.protocol.security.SecuritySettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code copilot job-manager}: one job manager over XMPP, serving the generic queue or PanDA until stopped. */
@Command(name = "job-manager", description = "Runs a job manager serving the generic queue (or, with --source panda "
    + "or alien, a PanDA queue or an AliEn site) until stopped (SIGTERM).")
final class JobManagerCommand implements Callable<Integer> {
  @Mixin ConfigOptions config;

  @Option(names = "--queue-dir", paramLabel = "DIR", description = "the generic queue's directory (job-manager.queue-dir)")
  Path queueDir;

  @Option(names = "--upstream-latency", paramLabel = "DURATION", description = "testbed: simulate an upstream server "
      + "that answers each call after this long (for load runs)")
  java.time.Duration upstreamLatency;

  @Option(names = "--upstream-jobs-per-call", defaultValue = "100", description = "testbed: the most jobs one call to "
      + "the simulated upstream claims or reports (default ${DEFAULT-VALUE})")
  int upstreamJobsPerCall;

  @Option(names = "--upstream-concurrency", defaultValue = "16", description = "testbed: the most calls the simulated "
      + "upstream takes at once from this job manager (default ${DEFAULT-VALUE})")
  int upstreamConcurrency;

  @Option(names = "--stats-file", paramLabel = "FILE", description = "testbed: write the prefetch depth and upstream "
      + "calls here every second (for load runs)")
  Path statsFile;

  @Option(names = "--source", defaultValue = "generic", description = "generic, panda (panda.* keys) or alien (alien.* keys); default ${DEFAULT-VALUE}")
  String source;

  @Override
  public Integer call() throws Exception {
    Map<String, String> options = new HashMap<>();
    if (queueDir != null) {
      options.put("job-manager.queue-dir", queueDir.toString());
    }
    Settings s = config.settings(options);
    JobManagerConfig cfg = JobManagerConfig.from(s, s.string("xmpp.domain", "copilot.local"));
    XmppSettings xmpp = XmppSettings.from(s, Address.of(cfg.service()).local(), "jm-" + ProcessHandle.current().pid());
    PandaConfig panda = source.equals("panda") ? PandaConfig.from(s) : null;
    AlienConfig alien = source.equals("alien") ? AlienConfig.from(s) : null;
    if (!List.of("generic", "panda", "alien").contains(source)) {
      throw new ConfigException("--source must be generic, panda or alien, got '" + source + "'");
    }
    SecuritySettings security = SecuritySettings.from(s, xmpp.domain());
    s.rejectUnknownKeys();
    try (Services services = new Services("jm", 4)) {
      JobSource upstream = panda != null ? PandaJobSource.open(panda, services.scheduler.clock())
          : alien != null ? AlienJobSource.open(alien, services.scheduler.clock())
          : JobSource.generic(cfg.queueDir(), services.scheduler.clock(), cfg.maxAttempts());
      if (upstreamJobsPerCall < 1 || upstreamConcurrency < 1) {
        throw new ConfigException("--upstream-jobs-per-call and --upstream-concurrency must be positive");
      }
      SimulatedUpstream simulated = upstreamLatency == null ? null
          : new SimulatedUpstream(upstream, upstreamLatency, upstreamJobsPerCall, upstreamConcurrency);
      JobSource jobs = simulated == null ? upstream : simulated;
      EnrolledBus enrolled = EnrolledBus.connect(xmpp, security, services.scheduler, services.workers,
          xmpp.replyTimeout().multipliedBy(3));
      XmppBus bus = enrolled.bus();
      JobManager jobManager = new JobManager(cfg, bus, jobs, services.scheduler);
      jobManager.start();
      if (statsFile != null) {
        services.scheduler.every(java.time.Duration.ofSeconds(1), () -> LoadStats.write(statsFile, jobManager, simulated));
      }
      System.out.println("job manager " + bus.self() + " serving " + cfg.service() + " from the " + jobs.name()
          + " source");
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        jobManager.close();
        if (statsFile != null) {
          LoadStats.write(statsFile, jobManager, simulated);
        }
        enrolled.close();
        stopped.countDown();
      }, "jm-shutdown"));
      stopped.await();
    }
    return 0;
  }
}
