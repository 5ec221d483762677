package org.cernvm.copilot.testkit;

import java.nio.file.Files;
import java.time.Clock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.cernvm.copilot.protocol.Ack;
import org.cernvm.copilot.protocol.Drain;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.Credentials;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.protocol.testing.TestPki;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.cernvm.copilot.testkit.xmpp.EmbeddedXmppServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bus given several servers of one domain (the nodes of a cluster) logs in to the first, and moves to the
 * next when it stops; here two embedded servers with the same accounts stand in for the nodes.
 */
class XmppFailoverTest {
  @TempDir Path dir;
  private final TestPki pki = new TestPki(Clock.systemUTC());
  private EmbeddedXmppServer first;
  private EmbeddedXmppServer second;
  private ScheduledExecutorService timers;
  private ExecutorService workers;

  @BeforeEach
  void start() throws Exception {
    Credentials tls = pki.issueServer(List.of("copilot.test", "127.0.0.1"));
    first = EmbeddedXmppServer.start("copilot.test", tls, pki.ca(), Files.createDirectory(dir.resolve("first")));
    second = EmbeddedXmppServer.start("copilot.test", tls, pki.ca(), Files.createDirectory(dir.resolve("second")));
    timers = Executors.newSingleThreadScheduledExecutor();
    workers = Executors.newFixedThreadPool(4);
  }

  @AfterEach
  void stop() {
    first.close();
    second.close();
    timers.shutdownNow();
    workers.shutdownNow();
  }

  private XmppBus connect(String user, String resource, Role role) throws Exception {
    first.addUser(user, "pw-" + user);
    second.addUser(user, "pw-" + user);
    XmppSettings both = first.clientSettings(user, "pw-" + user, resource).withServers(List.of(
        new XmppSettings.Server("127.0.0.1", first.port()), new XmppSettings.Server("127.0.0.1", second.port())));
    for (int attempt = 1; ; attempt++) {
      XmppBus bus = Bus.xmpp(both, pki.security(user, role), Scheduler.system(timers), workers);
      bus.awaitConnected(Duration.ofSeconds(20));
      // On a busy machine the embedded server now and then garbles a login (Smack reads a second stream
      // header) and the bus rightly moves on to the second server; this test needs both on the first.
      if (first.online(user)) {
        return bus;
      }
      bus.close();
      assertThat(attempt).as(user + " logged in to the first server within five attempts").isLessThan(5);
    }
  }

  private static void answering(XmppBus bus) {
    bus.subscribe(in -> {
      try {
        bus.send(in.from(), new Ack(MessageIds.next(), Instant.now(), in.message().id(), List.of()));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @Test
  void componentsMoveToTheNextServerWhenTheirsStopsAndTalkAgainThere() throws Exception {
    try (XmppBus jm = connect("jobmanager", "jm-1", Role.JOB_MANAGER);
        XmppBus operator = connect("operator", "cli", Role.OPERATOR)) {
      answering(jm);
      assertThat(operator.call(jm.self().bare(), new Drain(MessageIds.next(), Instant.now(), "a", "x"),
          Duration.ofSeconds(10)).reply()).isInstanceOf(Ack.class);

      first.close();
      await().atMost(Duration.ofSeconds(30)).until(() -> jm.isConnected() && operator.isConnected());
      // Both are on the second server now; a request made as soon as they are gets its answer.
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> operator.call(jm.self().bare(),
          new Drain(MessageIds.next(), Instant.now(), "a", "x"), Duration.ofSeconds(3)).reply() instanceof Ack);
    }
  }

  @Test
  void serversAreReadFromACommaSeparatedHostList() {
    XmppSettings s = XmppSettings.from(Settings.of(Map.of("xmpp.host", "a.example.org:5222, b.example.org,[::1]:5300",
        "xmpp.port", "5223", "xmpp.password", "x")), "jobmanager", "jm-1");
    assertThat(s.servers()).containsExactly(new XmppSettings.Server("a.example.org", 5222),
        new XmppSettings.Server("b.example.org", 5223), new XmppSettings.Server("::1", 5300));
    assertThat(s.toString()).contains("via a.example.org:5222,b.example.org:5223,[::1]:5300").doesNotContain("x,");
    assertThatThrownBy(() -> XmppSettings.from(Settings.of(Map.of("xmpp.host", "a:5222,a:5222", "xmpp.password",
        "x")), "u", "r")).isInstanceOf(ConfigException.class).hasMessageContaining("twice");
    assertThatThrownBy(() -> XmppSettings.from(Settings.of(Map.of("xmpp.host", "a:xmpp", "xmpp.password", "x")),
        "u", "r")).isInstanceOf(ConfigException.class).hasMessageContaining("not a number");
    assertThatThrownBy(() -> XmppSettings.from(Settings.of(Map.of("xmpp.host", "a:70000", "xmpp.password", "x")),
        "u", "r")).isInstanceOf(ConfigException.class).hasMessageContaining("out of range");
  }
}
