package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.Services;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.cernvm.copilot.protocol.ErrorCode;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.JobState;
import org.cernvm.copilot.protocol.JobTicket;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.MessageCodec;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.ProtocolException;
import org.cernvm.copilot.protocol.Reply;
import org.cernvm.copilot.protocol.Usage;
import org.cernvm.copilot.protocol.Verb;
import org.cernvm.copilot.protocol.WantStoreJobOutputDir;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.security.EnrolledBus;
import org.cernvm.copilot.protocol.security.MessageSecurity;
import org.cernvm.copilot.protocol.security.SecuritySettings;
import org.jivesoftware.smack.packet.StanzaBuilder;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jxmpp.jid.impl.JidCreate;

/**
 * The check that a component killed and started again within the signature window accepts no message
 * that it accepted before: an agent of the run's own, enrolled like any other, sends the component a
 * signed request that its security admits (its application then refuses it, the request being made up)
 * and, once the component runs again, sends the very same bytes, same id and send time; the restarted
 * component must refuse them as sent before it started ({@link ErrorCode#STALE}). The bytes go over a
 * raw XMPP connection of the agent's account, since a bus never sends a message twice.
 */
final class ReplayProbe implements AutoCloseable {
  private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(15);
  /** A job ticket the probe makes up, lacking the job managers' group key. */
  private static final JobTicket MADE_UP = new JobTicket("probe", "AAAAAAAAAAAAAAAA",
      Base64.getEncoder().encodeToString("{\"job\":{\"jobId\":\"probe\"}}".getBytes(StandardCharsets.UTF_8)));

  /**
   * A request as it went out, and how it was answered the first time.
   *
   * @param to the component's full address
   * @param wire the envelope as sent
   * @param first the code of the first answer, {@code null} if it was no error
   */
  record Sent(Address to, String wire, ErrorCode first) {}

  private final EnrolledBus enrolled;
  private final String agentId;
  private final Clock clock;
  private final MessageCodec codec = new MessageCodec();
  private final ObjectMapper json = new ObjectMapper();
  private final Map<String, CompletableFuture<Reply>> waiting = new ConcurrentHashMap<>();
  private int refused;
  private final List<String> accepted = new ArrayList<>();
  private XMPPTCPConnection raw;

  private ReplayProbe(EnrolledBus enrolled, String agentId, Clock clock) {
    this.enrolled = enrolled;
    this.agentId = agentId;
    this.clock = clock;
  }

  /**
   * Enrolls as the agent of {@code bus} with the token of {@code security}, and logs in again as the same
   * account at {@code rawResource} for the raw connection.
   */
  static ReplayProbe connect(XmppSettings bus, String rawResource, SecuritySettings security, Services services)
      throws Exception {
    EnrolledBus enrolled = EnrolledBus.connect(bus, security, services.scheduler, services.workers,
        bus.replyTimeout().multipliedBy(3));
    ReplayProbe probe = new ReplayProbe(enrolled, bus.username(), services.scheduler.clock());
    try {
      probe.raw = RawXmpp.connect(bus.as(bus.username(), bus.password(), rawResource), probe::onAnswer);
      return probe;
    } catch (Exception | Error e) {
      enrolled.close();
      throw e;
    }
  }

  /** Sends the job manager at {@code to} a heartbeat of a made-up job; {@code null} if it did not answer. */
  Sent heartbeat(Address to) throws Exception {
    Heartbeat h = new Heartbeat(MessageIds.next(), clock.instant(), agentId, "probe-" + MessageIds.next(),
        new LeaseRef("lease-probe", 1), JobState.RUNNING, Usage.none(), MADE_UP);
    return send(to, Verb.HEARTBEAT, codec.encode(h));
  }

  /**
   * Sends the storage adapter at {@code to} a request for an upload grant under a lease ticket the probe
   * signed itself; {@code null} if it did not answer.
   */
  Sent uploadRequest(Address to, String jobManager) throws Exception {
    MessageSecurity signer = enrolled.bus().security();
    String job = "probe-" + MessageIds.next();
    LeaseRef lease = new LeaseRef("lease-probe", 1);
    WantStoreJobOutputDir want = new WantStoreJobOutputDir(MessageIds.next(), clock.instant(), agentId, job,
        "panda", jobManager, lease,
        List.of(new OutputFile("out.txt", 3, "024d0127", "900150983cd24fb0d6963f7d28e17f72")),
        signer.ticket(jobManager, "panda", job, agentId, lease, MADE_UP));
    return send(to, Verb.WANT_STORE_JOB_OUTPUT_DIR, codec.encode(want));
  }

  private Sent send(Address to, Verb verb, String body) throws Exception {
    MessageSecurity signer = enrolled.bus().security();
    // Signed with the certificate, not a pairwise MAC: a restarted receiver holds no key for a MAC, and
    // would ask for a signature before it ever looked at the send time.
    signer.forget(to);
    String wire = signer.wrap(to, verb, body);
    Reply first = exchange(to, wire);
    if (first == null) {
      return null;
    }
    return new Sent(to, wire, first instanceof ErrorReply e ? e.code() : null);
  }

  /**
   * Sends {@code sent} again, byte for byte, to its component, which has been killed and started again
   * since; counts it refused if the answer is {@link ErrorCode#STALE}, and accepted otherwise.
   */
  void replay(Sent sent) throws Exception {
    Reply again = exchange(sent.to(), sent.wire());
    if (again instanceof ErrorReply e && e.code() == ErrorCode.STALE) {
      refused++;
    } else {
      accepted.add(sent.to() + " answered a replayed message, first answered " + sent.first() + ", with "
          + (again == null ? "nothing in " + ANSWER_TIMEOUT.toSeconds() + " s"
              : again instanceof ErrorReply e ? e.code() + ": " + e.message() : again.verb()));
    }
  }

  /** How many replays restarted components refused as sent before they started. */
  int refused() {
    return refused;
  }

  /** The replays that were not refused so, each described. */
  List<String> accepted() {
    return List.copyOf(accepted);
  }

  /** Sends a raw envelope and waits for the reply to it; {@code null} if none came in time. */
  private Reply exchange(Address to, String wire) throws Exception {
    String id = json.readTree(MessageSecurity.bodyOf(wire)).path("id").asText();
    CompletableFuture<Reply> answer = new CompletableFuture<>();
    waiting.put(id, answer);
    raw.sendStanza(StanzaBuilder.buildMessage(MessageIds.next()).to(JidCreate.from(to.value()))
        .ofType(org.jivesoftware.smack.packet.Message.Type.normal).setBody(wire).build());
    try {
      return answer.get(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return null;
    } catch (ExecutionException e) {
      throw new IllegalStateException("the probe's answer failed", e.getCause());
    } finally {
      waiting.remove(id);
    }
  }

  private void onAnswer(String wire) {
    try {
      Message m = codec.decode(MessageSecurity.bodyOf(wire));
      if (m instanceof Reply r && r.replyTo() != null) {
        CompletableFuture<Reply> f = waiting.get(r.replyTo());
        if (f != null) {
          f.complete(r);
        }
      }
    } catch (ProtocolException e) {
      // Not an answer the probe waits for.
    }
  }

  @Override
  public void close() {
    if (raw != null) {
      raw.instantShutdown();
    }
    enrolled.close();
  }
}
