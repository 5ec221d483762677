package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.ConfigOptions;
import org.cernvm.copilot.server.Services;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.protocol.Command;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.Response;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.EnrolledBus;
import org.cernvm.copilot.protocol.security.SecuritySettings;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Operator commands sent over XMPP to the job-manager service: {@code kill} and {@code drain}. */
final class OperatorCommands {
  private OperatorCommands() {}

  /** Sends {@code command} to the service as the operator account and prints the answer. */
  static int send(ConfigOptions config, java.util.function.Function<Instant, Command> command) throws Exception {
    Settings s = config.settings(Map.of());
    JobManagerConfig jm = JobManagerConfig.from(s, s.string("xmpp.domain", "copilot.local"));
    XmppSettings xmpp = XmppSettings.from(s, "operator", "cli-" + ProcessHandle.current().pid());
    Duration timeout = s.duration("operator.timeout", Duration.ofSeconds(10));
    SecuritySettings security = SecuritySettings.from(s, xmpp.domain());
    try (Services services = new Services("operator", 1);
        EnrolledBus enrolled = EnrolledBus.connect(xmpp, security, services.scheduler, services.workers, timeout)) {
      XmppBus bus = enrolled.bus();
      Command c = command.apply(Instant.now());
      Response r = bus.call(Address.of(jm.service()), c, timeout);
      if (r.reply() instanceof ErrorReply e) {
        System.err.println("copilot: " + r.from() + " refused " + c.verb() + ": " + e.code() + ": " + e.message());
        return 1;
      }
      System.out.println(c.verb() + " accepted by " + r.from());
      return 0;
    }
  }

  /** {@code copilot kill JOBID}. */
  @CommandLine.Command(name = "kill", description = "Kills a job: a queued one is cancelled, a running one is killed by its agent.")
  static final class Kill implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @Parameters(paramLabel = "JOBID") String jobId;

    @Option(names = "--reason", defaultValue = "killed by operator") String reason;

    @Override
    public Integer call() throws Exception {
      return send(config, now -> new org.cernvm.copilot.protocol.Kill(MessageIds.next(), now, jobId, reason));
    }
  }

  /** {@code copilot drain AGENT}. */
  @CommandLine.Command(name = "drain", description = "Drains an agent: it takes no more work and exits when its jobs end.")
  static final class Drain implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @Parameters(paramLabel = "AGENT") String agentId;

    @Option(names = "--reason", defaultValue = "drained by operator") String reason;

    @Override
    public Integer call() throws Exception {
      return send(config, now -> new org.cernvm.copilot.protocol.Drain(MessageIds.next(), now, agentId, reason));
    }
  }
}
