package org.cernvm.copilot.protocol;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The violations of the fuzzing properties that protocol's main code has today, each with an input that
 * shows it: the fuzz tests count them without failing, and each fuzz test checks that every entry of its
 * target still happens, so that an entry that no longer happens is removed from this list and its kind
 * fails the fuzz test again if it comes back.
 */
public final class ProtocolKnownViolations {
  /**
   * One known violation.
   *
   * @param target the fuzz target: {@code codec} (a body to decode), {@code encode} (a message to encode)
   *     or {@code envelope} (the sender's address, a tab, and the envelope)
   * @param kind the violation kind, as the fuzz tests name it without {@code fuzz.fine-kinds}
   * @param where what in the main code does it
   * @param example an input that shows it — a {@link String} or, for {@code encode}, a {@link Message} — or a
   *     list of inputs one of which shows it
   */
  public record Known(String target, String kind, String where, Object example) {
    /** Whether {@code kind}, coarse or fine, is this one. */
    public boolean matches(String kind) {
      return Pattern.matches(Pattern.quote(this.kind) + "(?: .*)?", kind);
    }

    @Override
    public String toString() {
      return target + ": " + kind;
    }
  }

  private static final String T = "\"2026-11-23T10:15:30.123Z\"";
  private static final String KILL = "{\"verb\":\"kill\",\"id\":\"k1\",\"sentAt\":" + T + ",\"jobId\":\"j\",\"reason\":\"r\"";
  private static final String RESOURCES = "\"resources\":{\"cores\":1,\"memoryMb\":1,\"diskMb\":1,\"lifetime\":\"PT1H\","
      + "\"platform\":\"p\",\"experiments\":[]}";
  private static final String WANT = "{\"verb\":\"want_getJob\",\"id\":\"w1\",\"sentAt\":" + T + ",\"agentId\":\"a\",";
  private static final String LONG_FROM = "agent-1@t/" + "r".repeat(600);

  /** Every known violation. */
  public static final List<Known> ALL = List.of(
      new Known("codec", "error text quotes Java internals [decode MALFORMED]",
          "MessageCodec.decode passes Jackson's parser messages on: `StreamReadConstraints.getMaxNestingDepth()`, "
              + "`StreamReadConstraints.getMaxNumberLength()`, `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` (for NaN), "
              + "\"bound as `com.fasterxml.jackson.databind.JsonNode`\" (trailing tokens), \"[Source: …\"",
          KILL + ",\"x\":" + "[".repeat(1001) + "]".repeat(1001) + "}"),
      new Known("codec", "error text quotes Java internals [decode INVALID_FIELD]",
          "MessageCodec.decode passes Jackson's databind messages on: \"Cannot deserialize value of type "
              + "`java.time.Instant` from String\", \"`java.lang.String` from Object value (token `JsonToken.START_OBJECT`)\", "
              + "\"Cannot construct instance of `org.cernvm.copilot.protocol.Sealed`\", \"Cannot coerce String value … "
              + "to `long` value (but might if coercion using `CoercionConfig` was enabled)\", \"Cannot map `null` into "
              + "type `int` (set DeserializationConfig.DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES …)\"",
          "{\"verb\":\"kill\",\"id\":\"k1\",\"sentAt\":\"yesterday\",\"jobId\":\"j\",\"reason\":\"r\"}"),
      new Known("codec", "error text quotes Java internals [decode MISSING_FIELD]",
          "a null element of a list (experiments, args, commands, outputs…) makes List.copyOf in Checks.list throw a "
              + "NullPointerException without a message, and MessageCodec.decode then quotes Jackson's \"Cannot "
              + "construct instance of `org.cernvm.copilot.protocol.Resources`, problem: `java.lang.NullPointerException`\"",
          WANT + RESOURCES.replace("[]", "[null]") + "}"),
      new Known("codec", "error text longer than 500 chars [decode UNKNOWN_VERB]",
          "MessageCodec.decode quotes the whole verb: \"unknown verb '…'\"",
          "{\"verb\":\"" + "x".repeat(600) + "\",\"id\":\"v1\"}"),
      new Known("codec", "error text longer than 500 chars [decode INVALID_FIELD]",
          "the records' checks and Jackson quote whole values: FileNames.check (\"must be a plain file name: …\"), "
              + "\"verb '…' not allowed here\", \"Cannot coerce String value (\\\"…\\\")\", Instant and enum parse errors, "
              + "\"Numeric value (…) out of range of long\"",
          "{\"verb\":\"storeJobOutputDir\",\"id\":\"s1\",\"sentAt\":" + T + ",\"replyTo\":\"r\",\"jobId\":\"j\",\"grants\":[{\"file\":\""
              + "f".repeat(600) + "\",\"url\":\"u\",\"maxBytes\":1,\"expiresAt\":" + T
              + ",\"token\":{\"key\":\"k\",\"nonce\":\"n\",\"data\":\"d\"}}]}"),
      new Known("codec", "error text longer than 500 chars [decode MALFORMED]",
          "Jackson's \"Duplicate field '…'\" quotes the whole field name",
          "{\"" + "a".repeat(600) + "\":1,\"" + "a".repeat(600) + "\":2}"),
      new Known("codec", "an accepted value changed (BOOLEAN became text) in a text field",
          "MessageCodec's mapper still coerces scalars to String: true is read as \"true\" for any text field",
          KILL.replace("\"jobId\":\"j\"", "\"jobId\":true") + "}"),
      new Known("codec", "an accepted value changed (NUMBER became text) in a text field",
          "MessageCodec's mapper still coerces scalars to String: 5 is read as \"5\" for any text field",
          KILL.replace("\"jobId\":\"j\"", "\"jobId\":5") + "}"),
      new Known("codec", "an accepted value changed (NUMBER became text) in a time field",
          "JavaTimeModule's InstantDeserializer reads a number as seconds since 1970 for sentAt, deadline, expiresAt, issuedAt",
          KILL.replace("\"sentAt\":" + T, "\"sentAt\":1795428930") + "}"),
      new Known("codec", "an accepted value changed (NUMBER became text) in a duration field",
          "JavaTimeModule's DurationDeserializer reads a number as seconds for ttl, lifetime, wallTime",
          WANT + RESOURCES.replace("\"PT1H\"", "3600") + "}"),
      new Known("codec", "an accepted value changed (text changed) in a time field",
          "InstantDeserializer trims the text first, so control characters around a time are accepted and dropped",
          KILL.replace(T, "\"\\u00002026-11-23T10:15:30.123Z\\u0001\"") + "}"),
      new Known("codec", "an accepted value changed (text changed) in a duration field",
          "DurationDeserializer trims the text first, so control characters around a duration are accepted and dropped",
          WANT + RESOURCES.replace("\"PT1H\"", "\"\\nPT1H\\t\"") + "}"),
      new Known("codec", "an accepted value changed (text changed) in an enum field",
          "Jackson's enum deserializer trims the text first: \"\\rRUNNING\" is read as RUNNING (state, outcome, code)",
          "{\"verb\":\"heartbeat\",\"id\":\"h1\",\"sentAt\":" + T + ",\"agentId\":\"a\",\"jobId\":\"j\",\"lease\":{\"leaseId\":\"l\","
              + "\"epoch\":1},\"state\":\"\\rRUNNING\",\"usage\":{\"wallTime\":\"PT1S\",\"cpuSeconds\":1,\"rssMb\":1,"
              + "\"peakRssMb\":1},\"ticket\":{\"keyId\":\"k\",\"nonce\":\"n\",\"data\":\"d\"}}"),
      new Known("codec", "encoding is not a fixed point: runJob",
          "as for encode below: env decoded into Map.copyOf may be written in another order by the next encoding; the "
              + "example is such bodies with 2 to 200 entries, some of which show it in any JVM",
          runJobsWithEnv().stream().map(new MessageCodec()::encode).toList()),
      new Known("codec", "an accepted value changed (number changed) in a number field",
          "ACCEPT_FLOAT_AS_INT is left on: 1.5 or 4.9e-324 for an integer field (cores, memoryMb, sizeBytes, epoch, "
              + "maxBytes, rssMb…) is truncated to 1 or 0",
          WANT + RESOURCES.replace("\"memoryMb\":1", "\"memoryMb\":1.5") + "}"),
      new Known("codec", "an accepted message encodes to text XML cannot carry (a lone surrogate) in its id",
          "Checks.text accepts any text: an id (or replyTo) \"\\ud800\" is accepted and re-encoded raw, and cannot "
              + "travel in an XMPP stanza (nor in UTF-8, where it becomes '?', so the signature covers another text)",
          "{\"verb\":\"fetchCrl\",\"id\":\"a\\ud800\",\"sentAt\":" + T + "}"),
      new Known("codec", "an accepted message encodes to text XML cannot carry (U+FFFE or U+FFFF) in its id",
          "Checks.text accepts any text: an id \"\\uffff\" is accepted and re-encoded raw; XML 1.0 has no U+FFFE, U+FFFF",
          "{\"verb\":\"fetchCrl\",\"id\":\"a\\uffff\",\"sentAt\":" + T + "}"),
      new Known("codec", "an accepted message encodes to text XML cannot carry (a lone surrogate) in a text field",
          "every text field (reason, diagnostic, csr, agentId, locations…) accepts lone surrogates",
          KILL.replace("\"reason\":\"r\"", "\"reason\":\"\\udc00\"") + "}"),
      new Known("codec", "an accepted message encodes to text XML cannot carry (U+FFFE or U+FFFF) in a text field",
          "every text field accepts U+FFFE and U+FFFF",
          KILL.replace("\"reason\":\"r\"", "\"reason\":\"\\ufffe\"") + "}"),
      new Known("codec", "a rejection quotes an id that no message may have [MISSING_FIELD]",
          "MessageCodec.decode quotes any textual id as the offending id, also a blank one the records refuse",
          "{\"verb\":\"kill\",\"id\":\" \"}"),
      new Known("codec", "a rejection quotes an id that no message may have [INVALID_FIELD]",
          "as above, for a body with an invalid field",
          WANT.replace("\"w1\"", "\"\\t\"") + RESOURCES.replace("\"cores\":1", "\"cores\":0") + "}"),
      new Known("codec", "a rejection quotes an id that no message may have [UNKNOWN_VERB]",
          "as above, for a body of an unknown verb",
          "{\"verb\":\"fly\",\"id\":\" \"}"),
      new Known("codec", "a non-finite number is accepted",
          "1e999999 is read as Infinity and Checks.notNegative(double) lets it through (Usage.cpuSeconds); it is "
              + "encoded as the string \"Infinity\"",
          "{\"verb\":\"heartbeat\",\"id\":\"h1\",\"sentAt\":" + T + ",\"agentId\":\"a\",\"jobId\":\"j\",\"lease\":{\"leaseId\":\"l\","
              + "\"epoch\":1},\"state\":\"RUNNING\",\"usage\":{\"wallTime\":\"PT1S\",\"cpuSeconds\":1e999999,\"rssMb\":1,"
              + "\"peakRssMb\":1},\"ticket\":{\"keyId\":\"k\",\"nonce\":\"n\",\"data\":\"d\"}}"),

      new Known("encode", "an accepted message encodes to text XML cannot carry (a lone surrogate) in its id",
          "the records accept an id with a lone surrogate and MessageCodec.encode writes it raw",
          new FetchCrl("a\ud800", SampleMessages.T)),
      new Known("encode", "an accepted message encodes to text XML cannot carry (U+FFFE or U+FFFF) in its id",
          "the records accept an id with U+FFFF and MessageCodec.encode writes it raw",
          new FetchCrl("a\uffff", SampleMessages.T)),
      new Known("encode", "an accepted message encodes to text XML cannot carry (a lone surrogate) in a text field",
          "the records accept lone surrogates in every text field",
          new Kill("k1", SampleMessages.T, "j", "\udc00")),
      new Known("encode", "an accepted message encodes to text XML cannot carry (U+FFFE or U+FFFF) in a text field",
          "the records accept U+FFFE and U+FFFF in every text field",
          new Kill("k1", SampleMessages.T, "j", "\ufffe")),
      new Known("encode", "error text longer than 500 chars [encode]",
          "MessageCodec.encode's IllegalArgumentException quotes the whole id: \"fetchCrl … encodes to more than 262144 bytes\"",
          new FetchCrl("x".repeat(300_000), SampleMessages.T)),
      new Known("encode", "encoding is not a fixed point: runJob",
          "JobSpec keeps env as Map.copyOf, whose iteration order is salted per JVM and depends on the order the "
              + "entries were put in; decoding and encoding again can write env in another order (of maps of 2 to 200 "
              + "entries, one of each size, 24 to 162 did so in each of 30 JVMs); the example is those messages",
          runJobsWithEnv()),
      new Known("encode", "a message the records accept is rejected once encoded [MALFORMED]",
          "JobSpec accepts env names of any length, and MessageCodec.encode writes them, but decode refuses a name "
              + "of more than 50,000 characters (Jackson's StreamReadConstraints.getMaxNameLength())",
          runJobWithEnvName("x".repeat(60_000))),
      new Known("encode", "a non-finite number is accepted",
          "Usage accepts cpuSeconds = Infinity (Checks.notNegative(double) refuses only negatives and NaN)",
          new Heartbeat("h1", SampleMessages.T, "a", "j", SampleMessages.LEASE, JobState.RUNNING,
              new Usage(Duration.ZERO, Double.POSITIVE_INFINITY, 0, 0), SampleMessages.JOB_TICKET)),

      new Known("envelope", "error text longer than 500 chars [open UNTRUSTED_CERTIFICATE]",
          "MessageSecurity.open quotes the whole sender address (\"the certificate from … cannot be read\"; a resource "
              + "may be 1023 bytes) and Authority.check the whole subject of a foreign certificate (\"the certificate of "
              + "CN=…,OU=agent,O=CoPilot was not issued by this key manager\")",
          LONG_FROM + "\t{\"to\":\"jobmanager@t/jm-1\",\"cert\":\"AAAA\",\"sig\":\"AAAA\"}\n{}"),
      new Known("envelope", "error text longer than 500 chars [open UNSIGNED]",
          "MessageSecurity.open quotes the whole sender address: \"unsigned message from …\", \"the message from … names "
              + "a certificate this component does not know\"",
          LONG_FROM + "\tno header"),
      new Known("envelope", "error text longer than 500 chars [open UNKNOWN_KEY]",
          "MessageSecurity.open quotes the whole sender address: \"the message from … names a certificate this "
              + "component does not know\"",
          LONG_FROM + "\t{\"to\":\"jobmanager@t/jm-1\",\"from\":\"x\",\"for\":\"y\",\"mac\":\"z\"}\n{}"),
      new Known("envelope", "error text longer than 500 chars [admit STALE]",
          "MessageSecurity.admit quotes the whole id: \"enroll … sent at … is outside the 120 s window\"",
          "agent-1@t/vm\t{\"to\":\"jobmanager@t/jm-1\"}\n{\"verb\":\"enroll\",\"id\":\"" + "e".repeat(600)
              + "\",\"sentAt\":\"2020-01-01T00:00:00Z\",\"name\":\"a\",\"token\":{\"key\":\"k\",\"nonce\":\"n\",\"data\":\"d\"},"
              + "\"csr\":\"c\"}"),
      new Known("envelope", "a rejection quotes an id that no message may have [open UNTRUSTED_CERTIFICATE]",
          "MessageSecurity.requestId quotes any textual id of a refused request, also an empty one",
          "agent-1@t/vm\t{\"to\":\"jobmanager@t/jm-1\",\"cert\":\"AAAA\",\"sig\":\"AAAA\"}\n{\"verb\":\"kill\",\"id\":\"\"}"),
      new Known("envelope", "a rejection quotes an id that no message may have [open BAD_SIGNATURE]",
          "as above, for a signature that does not verify; CERT stands for a certificate of this CA",
          "agent-1@t/vm\t{\"to\":\"jobmanager@t/jm-1\",\"cert\":\"CERT\",\"sig\":\"AAAA\"}\n{\"verb\":\"kill\",\"id\":\"\"}"),
      new Known("envelope", "error text longer than 500 chars [admit UNSIGNED]",
          "MessageSecurity.admit quotes the whole id: \"unsigned kill …\"",
          "agent-1@t/vm\t{\"to\":\"jobmanager@t/jm-1\"}\n" + KILL.replace("\"k1\"", "\"" + "k".repeat(600) + "\"") + "}"));

  private ProtocolKnownViolations() {}

  /** Whether {@code kind} of {@code target} is known. */
  public static boolean isKnown(String target, String kind) {
    return ALL.stream().anyMatch(k -> k.target().equals(target) && k.matches(kind));
  }

  /** The known violations of {@code target}. */
  public static List<Known> of(String target) {
    return ALL.stream().filter(k -> k.target().equals(target)).toList();
  }

  private static RunJob runJobWithEnvName(String name) {
    RunJob sample = (RunJob) SampleMessages.all().stream().filter(m -> m instanceof RunJob).findFirst().orElseThrow();
    JobSpec j = sample.job();
    return new RunJob(sample.id(), sample.sentAt(), sample.replyTo(), new JobSpec(j.jobId(), j.source(),
        j.experiment(), j.command(), j.args(), Map.of(name, "1"), j.inputs(), j.outputs(), j.ttl(), j.cores()),
        sample.lease(), sample.ticket());
  }

  /** Run jobs with 2 to 200 environment variables, one of each number. */
  private static List<RunJob> runJobsWithEnv() {
    RunJob sample = (RunJob) SampleMessages.all().stream().filter(m -> m instanceof RunJob).findFirst().orElseThrow();
    JobSpec j = sample.job();
    List<RunJob> out = new java.util.ArrayList<>();
    for (int entries = 2; entries <= 200; entries++) {
      Map<String, String> env = new LinkedHashMap<>();
      for (int i = 0; i < entries; i++) {
        env.put("VAR_" + entries + "_" + i, Integer.toString(i));
      }
      out.add(new RunJob(sample.id(), sample.sentAt(), sample.replyTo(), new JobSpec(j.jobId(), j.source(),
          j.experiment(), j.command(), j.args(), env, j.inputs(), j.outputs(), j.ttl(), j.cores()), sample.lease(),
          sample.ticket()));
    }
    return List.copyOf(out);
  }
}
