package org.cernvm.copilot.protocol.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.cernvm.copilot.protocol.BodyGenerator;
import org.cernvm.copilot.protocol.Verb;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.testing.Hostile;
import org.cernvm.copilot.protocol.testing.TestPki;

/**
 * A generator of envelopes for fuzzing {@link MessageSecurity#open} and {@link MessageSecurity#admit}, as they
 * reach the job manager {@code jobmanager@t/jm-1}: real envelopes, signed or MACed by {@link TestPki}
 * components of every role, around valid and hostile bodies; the same with their header fields removed,
 * replaced by hostile values or other components' certificates, their certificate's DER bytes mutated,
 * their body changed, or the whole text mutated character by character; unsigned ones; and envelopes of
 * certificates from another CA (with hostile names), expired or revoked.
 *
 * <p>Keys, certificates and ECDSA signatures are random in each JVM, so a case reproduced alone has the same
 * structure and mutations but other key material.
 */
final class EnvelopeGenerator {
  /** The receiver's address. */
  static final Address SELF = Address.of("jobmanager@t/jm-1");

  /**
   * One input.
   *
   * @param from the sender's address as the transport reports it
   * @param wire the envelope text
   * @param body the body its sender authenticated, or {@code null} when the case authenticated none
   * @param prelude envelopes opened first, so that the receiver knows the sender's certificate
   */
  record Case(Address from, String wire, String body, List<Hello> prelude) {
    @Override
    public String toString() {
      return "from " + from + (prelude.isEmpty() ? "" : " after " + prelude.size() + " signed message(s)") + ": " + wire;
    }
  }

  /** A signed envelope that a sender sent before, from its own address. */
  record Hello(Address from, String wire) {}

  /** A component that sends. */
  private record Sender(Address address, Role role, MessageSecurity security, Hello hello) {}

  private static final List<String> HEADER_FIELDS = List.of("to", "cert", "sig", "from", "for", "mac");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Clock clock;
  private final BodyGenerator bodies;
  private final List<Sender> senders = new ArrayList<>();
  private final List<Sender> untrusted = new ArrayList<>();
  private final List<String> certificates = new ArrayList<>();
  private final MessageSecurity unenrolled;
  private final Credentials receiver;
  private final Authority authority;

  EnvelopeGenerator(Clock clock) {
    this.clock = clock;
    this.bodies = new BodyGenerator(clock.instant());
    TestPki pki = new TestPki(clock);
    receiver = pki.issue("jobmanager", Role.JOB_MANAGER);
    authority = pki.authority();
    MessageSecurity self = MessageSecurity.create(Keyring.of(receiver), authority, clock, TestPki.WINDOW);
    String[][] components = {
      {"agent-1@t/vm", "AGENT"}, {"agent-2@t/vm-2", "AGENT"}, {"storage@t/sa", "STORAGE"},
      {"operator@t/cli", "OPERATOR"}, {"keymanager@t/km", "KEY_MANAGER"}, {"jobmanager@t/jm-2", "JOB_MANAGER"},
    };
    for (String[] c : components) {
      Address a = Address.of(c[0]);
      MessageSecurity s = MessageSecurity.create(Keyring.of(pki.issue(a.local(), Role.valueOf(c[1]))), pki.authority(),
          clock, TestPki.WINDOW);
      try {
        // The sender learns the receiver's certificate, and so MACs what it sends it from now on.
        s.open(SELF, a, self.wrap(a, Verb.ACK, "{}"));
      } catch (MessageRejectedException e) {
        throw new IllegalStateException(e);
      }
      senders.add(new Sender(a, Role.valueOf(c[1]), s, null));
    }
    for (Sender s : List.copyOf(senders)) {
      senders.set(senders.indexOf(s), new Sender(s.address(), s.role(), s.security(),
          new Hello(s.address(), s.security().wrap(SELF.bare(), Verb.FETCH_CRL, "{\"verb\":\"fetchCrl\",\"id\":\"hello-"
              + s.address().local() + "\",\"sentAt\":\"" + clock.instant() + "\"}"))));
    }
    TestPki other = new TestPki(clock);
    for (String name : List.of("agent-1", "x".repeat(3000), "a\nb", "CN=agent-1,OU=agent", "\u202eevil", "ağent")) {
      untrusted.add(new Sender(Address.of("agent-1@t/vm"), Role.AGENT, other.security(name, Role.AGENT), null));
    }
    Credentials expired = pki.issue("agent-1", Role.AGENT, clock.instant().minus(Duration.ofDays(3)), Duration.ofDays(1));
    untrusted.add(new Sender(Address.of("agent-1@t/vm"), Role.AGENT, pki.security(expired), null));
    Credentials revoked = pki.issue("agent-1", Role.AGENT);
    untrusted.add(new Sender(Address.of("agent-1@t/vm"), Role.AGENT, pki.security(revoked), null));
    pki.revoke(revoked.certificate());
    for (Sender s : senders) {
      certificates.add(der64(s));
    }
    for (Sender s : untrusted) {
      certificates.add(der64(s));
    }
    unenrolled = pki.unenrolled();
  }

  /** The receiver's credentials. */
  Credentials receiver() {
    return receiver;
  }

  /** The certificate of agent-1, DER, base64. */
  String certificate() {
    return certificates.get(0);
  }

  /** The CA the receiver trusts, with the revocation list. */
  Authority authority() {
    return authority;
  }

  private static String der64(Sender s) {
    try {
      return Base64.getEncoder().encodeToString(s.security().keyring().current().orElseThrow().certificate().getEncoded());
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  Case next(SplittableRandom r) {
    int strategy = r.nextInt(100);
    Sender s = Hostile.pick(r, senders);
    Address to = r.nextInt(4) == 0 ? SELF.bare() : SELF;
    if (strategy < 10) {
      String body = BodyGenerator.write(bodies.valid(r), r);
      return sent(r, s, to, body);
    }
    if (strategy < 40) {
      String body = bodies.next(r);
      Sender fitting = senderFor(body, r);
      return sent(r, fitting == null ? s : fitting, to, body);
    }
    String body = BodyGenerator.write(bodies.valid(r), r);
    Case pristine = sent(r, s, to, body);
    if (strategy < 65) {
      return new Case(from(r, pristine.from()), header(r, pristine.wire()), pristine.body(), pristine.prelude());
    }
    if (strategy < 80) {
      return new Case(from(r, pristine.from()), Hostile.mutate(r, pristine.wire(), HEADER_FIELDS, 4), pristine.body(),
          pristine.prelude());
    }
    if (strategy < 90) {
      int newline = pristine.wire().indexOf('\n');
      String mutated = Hostile.mutate(r, body, List.of("\"", "{", "}", ",", "0", "a", "\\u0000"), 3);
      return new Case(pristine.from(), pristine.wire().substring(0, newline + 1) + mutated, body, pristine.prelude());
    }
    if (strategy < 95) {
      String header = r.nextBoolean() ? "{\"to\":\"" + to + "\"}" : Hostile.pick(r, List.of("", "{}", "null", "[]", "{\"to\":null}"));
      String unsignedBody = r.nextBoolean() ? body : BodyGenerator.write(enroll(r), r);
      String wire = r.nextInt(5) == 0 ? unenrolled.wrap(to, Verb.ENROLL, unsignedBody) : header + "\n" + unsignedBody;
      return new Case(from(r, s.address()), wire, null, List.of());
    }
    Sender bad = Hostile.pick(r, untrusted);
    return new Case(bad.address(), bad.security().wrap(to, Verb.HEARTBEAT, body), body, List.of());
  }

  /** An envelope from {@code s}: signed to a bare address, else MACed, sometimes without its certificate. */
  private Case sent(SplittableRandom r, Sender s, Address to, String body) {
    String wire = s.security().wrap(to, Verb.HEARTBEAT, body);
    if (to.isFull() && r.nextInt(3) == 0) {
      ObjectNode header = header(wire);
      header.remove("cert");
      return new Case(s.address(), header + "\n" + body, body, List.of(s.hello()));
    }
    return new Case(s.address(), wire, body, List.of());
  }

  /** The sender whose role may send the verb of {@code body}, or {@code null} if it names none. */
  private Sender senderFor(String body, SplittableRandom r) {
    try {
      JsonNode verb = JSON.readTree(body).path("verb");
      java.util.Optional<Verb> v = Verb.named(verb.asText());
      if (v.isEmpty() || r.nextInt(5) == 0) {
        return null;
      }
      List<Sender> fitting = senders.stream().filter(s -> MessageSecurity.senders(v.get()).contains(s.role())).toList();
      return fitting.isEmpty() ? null : Hostile.pick(r, fitting);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private ObjectNode enroll(SplittableRandom r) {
    for (ObjectNode sample : bodies.samples()) {
      if (sample.path("verb").asText().equals("enroll")) {
        ObjectNode copy = sample.deepCopy();
        copy.put("id", Hostile.plain(r, 12));
        copy.put("sentAt", clock.instant().toString());
        return copy;
      }
    }
    throw new IllegalStateException("no enroll sample");
  }

  private Address from(SplittableRandom r, Address usual) {
    if (r.nextInt(10) != 0) {
      return usual;
    }
    return Address.of(Hostile.pick(r, List.of("agent-2@t/vm", "agent-1@t", "agent-1@other/vm", "storage@t/x",
        "agent-1@t/" + "r".repeat(2000), "agent-1", "@t/vm", "agent-1@t/vm/extra", "agent-1@t/\u0000")));
  }

  private static ObjectNode header(String wire) {
    try {
      return (ObjectNode) JSON.readTree(wire.substring(0, wire.indexOf('\n')));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code wire} with one to three changes to its header. */
  private String header(SplittableRandom r, String wire) {
    int newline = wire.indexOf('\n');
    String body = wire.substring(newline + 1);
    ObjectNode h = header(wire);
    int changes = 1 + r.nextInt(3);
    for (int i = 0; i < changes; i++) {
      String field = Hostile.pick(r, HEADER_FIELDS);
      switch (r.nextInt(8)) {
        case 0 -> h.remove(field);
        case 1 -> h.set(field, bodies.hostileValue(r));
        case 2 -> h.put(field, Hostile.text(r));
        case 3 -> h.put("cert", Hostile.pick(r, certificates));
        case 4 -> h.put("cert", mutatedDer(r, h.path("cert").asText(Hostile.pick(r, certificates))));
        case 5 -> h.put(field, Hostile.mutate(r, h.path(field).asText(""), List.of("A", "/", "+", "=", "_", "-"), 3));
        case 6 -> h.put(Hostile.plain(r, 5), Hostile.text(r));
        default -> {
          Iterator<String> names = h.fieldNames();
          if (names.hasNext()) {
            String a = names.next();
            if (names.hasNext()) {
              String b = names.next();
              JsonNode va = h.get(a);
              h.set(a, h.get(b));
              h.set(b, va);
            }
          }
        }
      }
    }
    String text = h.toString();
    if (r.nextInt(6) == 0) {
      // The same field twice: the header reader takes one of them.
      String field = Hostile.pick(r, HEADER_FIELDS);
      text = "{\"" + field + "\":" + TextNode.valueOf(Hostile.text(r)) + "," + text.substring(1);
    }
    return text + "\n" + body;
  }

  /** A base64 DER certificate with a few bytes changed, inserted or removed, or cut short. */
  private static String mutatedDer(SplittableRandom r, String der64) {
    byte[] der;
    try {
      der = Base64.getDecoder().decode(der64);
    } catch (IllegalArgumentException e) {
      der = new byte[] {0x30, 0x03, 0x02, 0x01, 0x01};
    }
    List<Byte> bytes = new ArrayList<>();
    for (byte b : der) {
      bytes.add(b);
    }
    int edits = 1 + r.nextInt(4);
    for (int i = 0; i < edits && !bytes.isEmpty(); i++) {
      int at = r.nextInt(bytes.size());
      switch (r.nextInt(5)) {
        case 0 -> bytes.set(at, (byte) r.nextInt(256));
        case 1 -> bytes.set(at, (byte) (bytes.get(at) ^ (1 << r.nextInt(8))));
        case 2 -> bytes.add(at, (byte) Hostile.pick(r, List.of(0x00, 0x30, 0x80, 0x81, 0x82, 0x84, 0xff)).intValue());
        case 3 -> bytes.remove(at);
        default -> bytes.subList(at, bytes.size()).clear();
      }
    }
    byte[] out = new byte[bytes.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = bytes.get(i);
    }
    return Base64.getEncoder().encodeToString(out);
  }
}
