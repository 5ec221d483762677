package org.cernvm.copilot.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.cernvm.copilot.protocol.Ack;
import org.cernvm.copilot.protocol.Drain;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Reply;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.cernvm.copilot.testkit.xmpp.EmbeddedXmppServer;
import java.nio.file.Files;
import org.cernvm.copilot.protocol.bus.BusException;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.security.Pem;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.protocol.testing.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded Vysper server interoperates with Smack 4.4.8 through {@link XmppBus}. */
class EmbeddedXmppServerTest {
  @TempDir Path dir;
  private EmbeddedXmppServer server;
  private final TestPki pki = new TestPki(java.time.Clock.systemUTC());
  private ScheduledExecutorService timers;
  private ExecutorService workers;

  @BeforeEach
  void start() throws Exception {
    server = EmbeddedXmppServer.start("copilot.test", tls(), pki.ca(), dir);
    timers = Executors.newSingleThreadScheduledExecutor();
    workers = Executors.newFixedThreadPool(4);
  }

  @AfterEach
  void stop() {
    server.close();
    timers.shutdownNow();
    workers.shutdownNow();
  }

  /** The server's certificate, issued by the test CA for the domain. */
  private org.cernvm.copilot.protocol.security.Credentials tls() {
    return pki.issueServer(List.of("copilot.test", "127.0.0.1"));
  }

  private XmppBus connect(String user, String resource) throws Exception {
    server.addUser(user, "pw-" + user);
    XmppBus bus = Bus.xmpp(server.clientSettings(user, "pw-" + user, resource), pki.security(user, role(user)),
        Scheduler.system(timers), workers);
    bus.awaitConnected(Duration.ofSeconds(20));
    return bus;
  }

  private static Role role(String user) {
    return user.equals("jobmanager") ? Role.JOB_MANAGER : Role.OPERATOR;
  }

  @Test
  void issue6_aClientTrustingAnotherCaRefusesTheServer() throws Exception {
    server.addUser("eve", "pw-eve");
    TestPki other = new TestPki(java.time.Clock.systemUTC());
    Path otherCa = Files.writeString(dir.resolve("other-ca.pem"), Pem.of(other.ca()));
    XmppSettings s = server.clientSettings("eve", "pw-eve", "x");
    XmppSettings distrusting = new XmppSettings(s.host(), s.port(), s.domain(), s.username(), s.password(),
        s.resource(), XmppSettings.Security.REQUIRED, otherCa, s.tlsProtocols(), false, Duration.ofSeconds(3),
        Duration.ofMillis(200), Duration.ofSeconds(1));
    try (XmppBus bus = Bus.xmpp(distrusting, pki.security("eve", Role.OPERATOR), Scheduler.system(timers), workers)) {
      assertThatThrownBy(() -> bus.awaitConnected(Duration.ofSeconds(5))).isInstanceOf(BusException.class)
          .hasMessageContaining("not logged in");
    }
  }

  @Test
  void tenThousandMessagesArriveWithoutLoss() throws Exception {
    try (XmppBus a = connect("alice", "a"); XmppBus b = connect("bob", "b")) {
      Set<String> seen = ConcurrentHashMap.newKeySet();
      b.subscribe(in -> seen.add(in.message().id()));
      for (int i = 0; i < 10_000; i++) {
        a.send(b.self(), new Drain(MessageIds.next(), Instant.now(), "agent-" + i, "test"));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> seen.size() == 10_000);
    }
  }

  @Test
  void bareAddressReachesEveryResourceAndRepliesMatch() throws Exception {
    try (XmppBus client = connect("operator", "cli");
        XmppBus jm1 = connect("jobmanager", "jm-1")) {
      server.addUser("jobmanager", "pw-jobmanager");
      XmppBus jm2 = Bus.xmpp(server.clientSettings("jobmanager", "pw-jobmanager", "jm-2"),
          pki.security("jobmanager", Role.JOB_MANAGER), Scheduler.system(timers), workers);
      jm2.awaitConnected(Duration.ofSeconds(20));
      AtomicInteger received = new AtomicInteger();
      for (XmppBus jm : List.of(jm1, jm2)) {
        jm.subscribe(in -> {
          received.incrementAndGet();
          try {
            jm.send(in.from(), new Ack(MessageIds.next(), Instant.now(), in.message().id(), List.of()));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
      }
      Drain drain = new Drain(MessageIds.next(), Instant.now(), "agent-1", "test");
      Reply reply = client.call(jm1.self().bare(), drain, Duration.ofSeconds(10)).reply();
      assertThat(reply).isInstanceOf(Ack.class);
      await().atMost(Duration.ofSeconds(10)).until(() -> received.get() == 2);
      jm2.close();
    }
  }
}
