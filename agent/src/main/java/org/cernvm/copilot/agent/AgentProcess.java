package org.cernvm.copilot.agent;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.EnrolledBus;
import org.cernvm.copilot.protocol.security.SecuritySettings;
import org.cernvm.copilot.protocol.time.Scheduler;

/**
 * One agent as a process, as both {@code copilot agent} and the agent-only artifact run it: reads its
 * user-data, enrolls, works until it stops for a {@linkplain Shutdown typed reason}, and returns that
 * reason's exit code. On SIGTERM, jobs that cannot end within {@code agent.stop-grace} are handed back.
 */
public final class AgentProcess {
  private AgentProcess() {}

  /**
   * Runs until the agent stops; returns the exit code.
   *
   * @param base the settings from the config file, environment and command line
   * @param out where the closing line goes
   */
  public static int run(Settings base, PrintStream out) throws Exception {
    Settings s = Contextualization.apply(base, Clock.systemUTC());
    XmppSettings xmpp = XmppSettings.from(s, null, "agent");
    AgentConfig cfg = AgentConfig.from(s, xmpp.username(), xmpp.domain());
    SecuritySettings security = SecuritySettings.from(s, xmpp.domain());
    s.rejectUnknownKeys();
    ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(threads("agent-timer"));
    ExecutorService workers = Executors.newFixedThreadPool(4, threads("agent-worker"));
    Scheduler scheduler = Scheduler.system(timers);
    try (EnrolledBus enrolled = EnrolledBus.connect(xmpp, security, scheduler, workers,
        xmpp.replyTimeout().multipliedBy(3))) {
      XmppBus bus = enrolled.bus();
      Agent agent = new Agent(cfg, bus, scheduler, workers);
      agent.start();
      CompletableFuture<Void> stopped = new CompletableFuture<>();
      // SIGTERM (systemd stopping the service as the VM shuts down): jobs that cannot end within
      // agent.stop-grace are handed back at once so that they run again elsewhere; the others may finish.
      Thread hook = new Thread(() -> {
        agent.preempt(new Shutdown(Shutdown.Reason.STOPPED, "SIGTERM"), Instant.now().plus(cfg.stopGrace()));
        try {
          agent.drained().get(cfg.stopGrace().plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
          out.println("agent " + cfg.agentId() + ": jobs still running after " + cfg.stopGrace() + "; killing them");
        }
        agent.close();
        bus.close();
        out.println("agent " + cfg.agentId() + " stopped after " + agent.jobsRun() + " job(s): SIGTERM");
        stopped.complete(null);
      }, "agent-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      CompletableFuture.anyOf(agent.drained(), stopped).join();
      Shutdown why = agent.drained().getNow(null);
      if (why == null || why.reason() == Shutdown.Reason.STOPPED) {
        // SIGTERM: the hook is running and closes the agent and the bus; the JVM exits when it is done.
        return Shutdown.Reason.STOPPED.exitCode();
      }
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // SIGTERM came just as the agent stopped by itself: the hook is running now.
        return Shutdown.Reason.STOPPED.exitCode();
      }
      bus.close();
      out.println("agent " + cfg.agentId() + " stopped after " + agent.jobsRun() + " job(s): " + why + "; exit code "
          + why.reason().exitCode());
      return why.reason().exitCode();
    } finally {
      workers.shutdown();
      if (!workers.awaitTermination(Duration.ofSeconds(5).toMillis(), TimeUnit.MILLISECONDS)) {
        workers.shutdownNow();
      }
      timers.shutdownNow();
    }
  }

  private static ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
