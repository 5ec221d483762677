package org.cernvm.copilot.protocol.bus;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.cernvm.copilot.protocol.Ack;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.Kill;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Verb;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.cernvm.copilot.protocol.testing.TestPki;
import org.junit.jupiter.api.Test;

class InMemoryBusTest {
  private final ManualScheduler scheduler = new ManualScheduler();
  private final InMemoryNetwork net = new InMemoryNetwork(scheduler, Runnable::run);
  private final TestPki pki = new TestPki(scheduler.clock());

  private Kill kill() {
    return new Kill(MessageIds.next(), scheduler.clock().instant(), "j1", "test");
  }

  /** Operators send kills; job managers answer them. */
  private InMemoryNetwork.Endpoint connect(String address) {
    return pki.connect(net, address, address.startsWith("jm") || address.startsWith("b@") ? Role.JOB_MANAGER
        : Role.OPERATOR);
  }

  @Test
  void aRequestNobodyAnswersTimesOutWithANamedException() {
    var a = connect("a@t/1");
    connect("b@t/1");
    CompletableFuture<Response> f = a.request(Address.of("b@t"), kill(), Duration.ofSeconds(3));
    scheduler.advance(Duration.ofSeconds(2));
    assertThat(f).isNotDone();
    scheduler.advance(Duration.ofSeconds(1));
    assertThat(f).isCompletedExceptionally();
    try {
      f.get();
    } catch (InterruptedException | ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(RequestTimeoutException.class)
          .hasMessageContaining("kill").hasMessageContaining("b@t").hasMessageContaining("3000 ms");
    }
  }

  @Test
  void aBareAddressReachesEveryEndpointAndTheFirstReplyWins() throws Exception {
    var client = connect("op@t/1");
    List<String> seen = new ArrayList<>();
    for (String r : List.of("jm@t/1", "jm@t/2")) {
      var jm = connect(r);
      jm.subscribe(in -> {
        seen.add(r);
        try {
          jm.send(in.from(), new Ack(MessageIds.next(), scheduler.clock().instant(), in.message().id(), List.of()));
        } catch (BusException e) {
          throw new IllegalStateException(e);
        }
      });
    }
    Response r = client.request(Address.of("jm@t"), kill(), Duration.ofSeconds(1)).get();
    assertThat(seen).containsExactlyInAnyOrder("jm@t/1", "jm@t/2");
    assertThat(r.from().bare()).isEqualTo(Address.of("jm@t"));
  }

  @Test
  void badInputWithAReadableIdGetsATypedErrorAndTheReceiverKeepsWorking() throws Exception {
    var receiver = connect("jm@t/1");
    // Another resource of the receiver's account: a reply counts only from the account a request went to.
    var silent = connect("jm@t/silent");
    var client = connect("agent@t/1");
    List<Message> handled = new ArrayList<>();
    receiver.subscribe(in -> handled.add(in.message()));
    silent.subscribe(in -> { });

    // The client waits on id "x1"; the receiver gets an undecodable body carrying that id.
    Kill pending = new Kill("x1", scheduler.clock().instant(), "j1", "test");
    CompletableFuture<Response> f = client.request(silent.self(), pending, Duration.ofSeconds(5));
    receiver.injectRaw(client.self(),
        client.security().wrap(receiver.self(), Verb.KILL, "{\"verb\":\"fly\",\"id\":\"x1\"}"));
    assertThat(f).isCompleted();
    assertThat(f.get().reply()).isInstanceOfSatisfying(ErrorReply.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_VERB);
      assertThat(e.replyTo()).isEqualTo("x1");
      assertThat(e.message()).contains("fly");
    });

    // Without a readable id the body is dropped; nothing reaches the handler either way.
    receiver.injectRaw(client.self(), "{garbage");
    receiver.injectRaw(client.self(), "x".repeat(300_000));
    assertThat(handled).isEmpty();

    client.send(receiver.self(), kill());
    assertThat(handled).hasSize(1);
  }

  @Test
  void aMessageToAnAddressNobodyHoldsFailsAtOnce() {
    var client = connect("agent@t/1");
    CompletableFuture<Response> f = client.request(Address.of("nobody@t"), kill(), Duration.ofSeconds(1));
    assertThat(f).isCompletedExceptionally();
  }

  @Test
  void aFailingHandlerIsAnsweredWithInternalAndDoesNotStopDelivery() throws Exception {
    var jm = connect("jm@t/1");
    var client = connect("agent@t/1");
    int[] calls = {0};
    jm.subscribe(in -> {
      calls[0]++;
      throw new IllegalStateException("boom");
    });
    Response first = client.request(jm.self(), kill(), Duration.ofSeconds(1)).get();
    assertThat(first.reply()).isInstanceOfSatisfying(ErrorReply.class,
        e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL));
    client.request(jm.self(), kill(), Duration.ofSeconds(1)).get();
    assertThat(calls[0]).isEqualTo(2);
  }
}
