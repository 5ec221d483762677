package org.cernvm.copilot.protocol.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.cernvm.copilot.protocol.CodecProperties;
import org.cernvm.copilot.protocol.FetchCrl;
import org.cernvm.copilot.protocol.Message;
import org.cernvm.copilot.protocol.Verb;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.testing.ErrorTexts;
import org.cernvm.copilot.protocol.testing.Fuzz;
import org.cernvm.copilot.protocol.testing.TestPki;
import org.junit.jupiter.api.Test;

/**
 * Fuzz tests of the envelope with generated inputs: every envelope of {@link EnvelopeGenerator} goes through
 * {@link MessageSecurity#open}, the codec and {@link MessageSecurity#admit} as a receiving bus takes it,
 * 10,000 in the suite, more with {@code -Dfuzz.inputs=N}; the seeded harness {@link Fuzz} is used for the
 * reasons given in {@link org.cernvm.copilot.protocol.CodecFuzzTest}.
 *
 * <p>Properties: {@code open} and {@code admit} accept or throw {@link MessageRejectedException} with a
 * reason and an error text of our own ({@link ErrorTexts}), quoting only an id a message may have; an
 * envelope that opens with a sender carries exactly the body that sender authenticated, from the account its
 * certificate names, for this receiver; an unsigned envelope is admitted only for {@code enroll}; and the
 * body has the codec's properties ({@link CodecProperties}). Each case has a receiver of its own, so that it
 * is reproduced alone.
 */
class EnvelopeFuzzTest {
  private static final Instant NOW = Instant.parse("2026-11-23T10:15:30.123Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private final EnvelopeGenerator envelopes = new EnvelopeGenerator(CLOCK);
  private final CodecProperties codec = new CodecProperties();

  @Test
  void openingAndAdmittingAnyEnvelopeGivesATypedRejectionOrExactlyWhatItsSenderAuthenticated() {
    Fuzz.Report report = Fuzz.check("envelope", 10_000, envelopes::next, c -> receive(envelopes, codec, CLOCK, c),
        EnvelopeGenerator.Case::toString);
    if (!report.oneCase()) {
      assertThat(report.outcomes().keySet()).as("the generator reaches every stage")
          .anyMatch(o -> o.startsWith("admitted")).anyMatch(o -> o.startsWith("open refused"))
          .anyMatch(o -> o.startsWith("admit refused")).anyMatch(o -> o.startsWith("decode refused"));
    }
  }

  static String receive(EnvelopeGenerator envelopes, CodecProperties codec, Clock clock, EnvelopeGenerator.Case c)
      throws MessageRejectedException {
    MessageSecurity receiver = MessageSecurity.create(Keyring.of(envelopes.receiver()), envelopes.authority(), clock,
        TestPki.WINDOW);
    for (EnvelopeGenerator.Hello hello : c.prelude()) {
      receiver.open(hello.from(), EnvelopeGenerator.SELF, hello.wire());
    }
    MessageSecurity.Opened opened;
    try {
      opened = receiver.open(c.from(), EnvelopeGenerator.SELF, c.wire());
    } catch (MessageRejectedException e) {
      rejection("open", e);
      return "open refused " + e.reason();
    }
    if (opened.sender().isPresent()) {
      if (!opened.body().equals(c.body())) {
        throw new Fuzz.Violation("open accepts a body its sender did not authenticate", opened.body());
      }
      if (!opened.sender().get().name().equals(c.from().local())) {
        throw new Fuzz.Violation("open accepts a certificate presented by another account",
            opened.sender().get() + " from " + c.from());
      }
      if (!opened.to().bare().equals(EnvelopeGenerator.SELF.bare())) {
        throw new Fuzz.Violation("open accepts a message for another recipient", String.valueOf(opened.to()));
      }
    }
    Message m = codec.decode(opened.body());
    if (m == null) {
      return "decode refused";
    }
    try {
      receiver.admit(m, opened.sender());
    } catch (MessageRejectedException e) {
      rejection("admit", e);
      return "admit refused " + e.reason();
    }
    if (opened.sender().isEmpty() && m.verb() != Verb.ENROLL) {
      throw new Fuzz.Violation("an unsigned message other than enroll is admitted", m.verb().wireName());
    }
    return "admitted " + (opened.sender().isPresent() ? "" : "unsigned ") + m.verb();
  }

  private static void rejection(String stage, MessageRejectedException e) {
    if (e.reason() == null) {
      throw new Fuzz.Violation("a rejection without a reason [" + stage + "]", String.valueOf(e.getMessage()));
    }
    ErrorTexts.check(stage + " " + e.reason(), e.getMessage());
    if (e.offendingId() != null) {
      try {
        new FetchCrl(e.offendingId(), NOW);
      } catch (IllegalArgumentException | NullPointerException x) {
        throw new Fuzz.Violation("a rejection quotes an id that no message may have [" + stage + " " + e.reason() + "]",
            "id " + Fuzz.show(e.offendingId(), 100) + ": " + x.getMessage());
      }
    }
  }
}
