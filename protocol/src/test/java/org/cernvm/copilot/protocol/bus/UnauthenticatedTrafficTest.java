package org.cernvm.copilot.protocol.bus;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.cernvm.copilot.protocol.Ack;
import org.cernvm.copilot.protocol.Kill;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.cernvm.copilot.protocol.testing.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Traffic that fails authentication costs its sender's share, not the component: within the share each
 * message is answered and logged; beyond it, dropped unopened and summed up in one line per interval.
 */
class UnauthenticatedTrafficTest {
  private static final UnauthenticatedLimits LIMITS =
      new UnauthenticatedLimits(5, Duration.ofSeconds(1), Duration.ofMinutes(1));
  private final ManualScheduler time = new ManualScheduler();
  private final InMemoryNetwork net = new InMemoryNetwork(time, Runnable::run);
  private final TestPki pki = new TestPki(time.clock());
  private final List<Message> delivered = new ArrayList<>();
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private final Logger busLog = (Logger) LoggerFactory.getLogger(AbstractBus.class);
  private InMemoryNetwork.Endpoint jm;
  private InMemoryNetwork.Endpoint mallory;

  @BeforeEach
  void connect() {
    logged.start();
    busLog.addAppender(logged);
    jm = net.connect("jm@t/1", pki.security("jm", Role.JOB_MANAGER), LIMITS);
    jm.subscribe(in -> {
      delivered.add(in.message());
      try {
        jm.send(in.from(), new Ack(MessageIds.next(), time.clock().instant(), in.message().id(), List.of()));
      } catch (BusException e) {
        throw new IllegalStateException(e);
      }
    });
    // Mallory has an account but no certificate: it can only send raw bodies.
    mallory = net.connect("mallory@t/x", pki.unenrolled());
  }

  @AfterEach
  void detach() {
    busLog.detachAppender(logged);
  }

  private String forged(String id) {
    return "{\"to\":\"jm@t/1\",\"cert\":\"AAAA\",\"sig\":\"AAAA\"}\n{\"verb\":\"kill\",\"id\":\"" + id
        + "\",\"sentAt\":\"" + time.clock().instant() + "\",\"jobId\":\"j\",\"reason\":\"r\"}";
  }

  private List<String> lines() {
    return logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  void issue16_beyondItsShareASendersForgeriesAreDroppedUnansweredAndSummedUpInOneLine() {
    int before = (int) jm.security().rejections().values().stream().mapToLong(Long::longValue).sum();
    for (int i = 0; i < 5_000; i++) {
      jm.injectRaw(mallory.self(), forged("f" + i));
    }
    long checked = jm.security().rejections().values().stream().mapToLong(Long::longValue).sum() - before;
    // Only its share was even opened; each of those was answered (the answers go to an endpoint without
    // credentials, which cannot read them, and drops them) and logged.
    assertThat(checked).isEqualTo(LIMITS.burst());
    // What the bus's metrics count: those it refused by code, the rest as dropped.
    assertThat(jm.counts().refused().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(LIMITS.burst());
    assertThat(jm.counts().dropped()).isEqualTo(5_000 - LIMITS.burst());
    assertThat(lines()).filteredOn(l -> l.startsWith("rejected message from mallory@t/x")).hasSize(LIMITS.burst());
    assertThat(delivered).isEmpty();

    // One more a second.
    time.advance(Duration.ofSeconds(1));
    jm.injectRaw(mallory.self(), forged("late"));
    assertThat(jm.security().rejections().values().stream().mapToLong(Long::longValue).sum() - before)
        .isEqualTo(LIMITS.burst() + 1);

    time.advance(LIMITS.summaryEvery());
    assertThat(lines()).filteredOn(l -> l.startsWith("unauthenticated traffic")).singleElement().asString()
        .contains("dropped 4995 message(s)").contains("1 sender(s)").contains("most from mallory@t/x (4995)");
  }

  @Test
  void issue16_anotherSendersShareIsItsOwnAndAnAuthenticatedPeerIsServedThroughTheFlood() throws Exception {
    for (int i = 0; i < 1_000; i++) {
      jm.injectRaw(mallory.self(), forged("f" + i));
    }
    var operator = pki.connect(net, "operator@t/cli", Role.OPERATOR);
    assertThat(operator.call(jm.self(), new Kill(MessageIds.next(), time.clock().instant(), "j1", "test"),
        Duration.ofSeconds(1)).reply()).isInstanceOf(Ack.class);
    assertThat(delivered).hasSize(1);

    // A second forger gets a share of its own: its first forgery is answered with an error.
    var eve = net.connect("eve@t/y", pki.unenrolled());
    jm.injectRaw(eve.self(), forged("e1"));
    assertThat(jm.security().rejections().values().stream().mapToLong(Long::longValue).sum())
        .isEqualTo(LIMITS.burst() + 1);
  }

  @Test
  void issue16_whatASenderWroteReachesTheLogEscapedAndShort() {
    String verb = "kill\n2026-12-01 10:00:00.000 INFO  [main] o.c.c.j.g.GenericQueue - g000081 ended DONE"
        + "x".repeat(250_000);
    String unsigned = "{\"verb\":\"" + verb + "\",\"id\":\"i1\"}";
    jm.injectRaw(mallory.self(), unsigned);
    jm.injectRaw(mallory.self(), "{\"to\":\"jm@t/1\"}\n" + unsigned.substring(0, 5_000) + "\"}");
    assertThat(lines()).hasSize(2).allSatisfy(l -> assertThat(l).doesNotContain("\n").hasSizeLessThan(1_000));
  }
}
