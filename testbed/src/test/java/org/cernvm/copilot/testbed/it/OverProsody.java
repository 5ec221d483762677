package org.cernvm.copilot.testbed.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.cernvm.copilot.jobmanager.generic.GenericQueue;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the integration tests against Prosody share: threads, a system scheduler, a generic queue in a
 * temp dir, XMPP connections under accounts unique to the test, and closing all of it afterwards.
 */
abstract class OverProsody {
  @TempDir Path dir;
  final Prosody prosody = new Prosody();
  final List<AutoCloseable> closeables = new ArrayList<>();
  ScheduledExecutorService timers;
  ExecutorService workers;
  Scheduler scheduler;
  GenericQueue queue;

  @BeforeEach
  void startRig() throws Exception {
    timers = Executors.newScheduledThreadPool(1);
    workers = Executors.newCachedThreadPool();
    scheduler = Scheduler.system(timers);
    queue = GenericQueue.open(dir.resolve("queue"), scheduler.clock(), 3);
  }

  @AfterEach
  void stopRig() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    workers.shutdownNow();
    timers.shutdownNow();
  }

  /** The bare address of the test's account {@code name}. */
  String address(String name) {
    return prosody.user(name) + "@" + Prosody.DOMAIN;
  }

  /** A bus logged in as the test's account {@code name}, closed after the test. */
  XmppBus connect(String name, String resource) throws Exception {
    XmppBus bus = Bus.xmpp(prosody.settings(name, resource), scheduler, workers);
    closeables.add(bus);
    bus.awaitConnected(Duration.ofSeconds(20));
    return bus;
  }
}
