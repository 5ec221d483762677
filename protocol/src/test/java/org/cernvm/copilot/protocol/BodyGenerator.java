package org.cernvm.copilot.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.cernvm.copilot.protocol.testing.Hostile;

/**
 * A generator of message bodies for fuzzing the codec: the sample of every verb varied within its valid values,
 * with fields replaced by hostile values, removed, duplicated, nulled or given another JSON type, with
 * structure grafted from other verbs, nested deep, or mutated character by character; and written with
 * fields in any order, any escaping and any spacing.
 */
public final class BodyGenerator {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The fields that hold times. */
  static final List<String> TIMES = List.of("sentAt", "deadline", "expiresAt", "issuedAt");
  /** The fields that hold durations. */
  static final List<String> DURATIONS = List.of("ttl", "lifetime", "wallTime");
  /** The fields that hold enumerations. */
  static final List<String> ENUMS = List.of("state", "outcome", "failure", "code", "kind");
  private static final List<String> VERBS = Arrays.stream(Verb.values()).map(Verb::wireName).toList();
  private static final List<String> DICTIONARY = List.of(
      "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\\ud800", "\\uffff", "\\\"", "null", "true", "false",
      "1e999999", "-0", "NaN", "Infinity", "\"verb\":", "\"id\":", "\"sentAt\":", "\"verb\":\"kill\",", "/* c */",
      "// c\n", "'", "\ufeff", " ", "\n", "{\"verb\":\"ack\"}", "\"\"", "[]", "{}", "0", "9223372036854775808",
      "\"PT1H\"", "\"2026-11-23T10:15:30Z\"", "\"commands\":[", "\"resources\":{");
  /** Marks a field name that the writer writes again after its first occurrence. */
  private static final String DUPLICATE = "\u0000dup\u0000";

  private final List<ObjectNode> samples;
  private final Instant now;

  /** A generator around the samples, with times near {@code now}. */
  public BodyGenerator(Instant now) {
    this.now = now;
    MessageCodec codec = new MessageCodec();
    List<ObjectNode> trees = new ArrayList<>();
    for (Message m : SampleMessages.all()) {
      try {
        trees.add((ObjectNode) JSON.readTree(codec.encode(m)));
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }
    samples = List.copyOf(trees);
  }

  /** One body. */
  public String next(SplittableRandom r) {
    int strategy = r.nextInt(100);
    if (strategy < 15) {
      return write(valid(r), r);
    }
    if (strategy < 55) {
      ObjectNode tree = valid(r);
      int ops = 1 + r.nextInt(r.nextInt(4) == 0 ? 6 : 2);
      for (int i = 0; i < ops; i++) {
        hostile(tree, r);
      }
      return write(tree, r);
    }
    if (strategy < 65) {
      return write(structural(r), r);
    }
    if (strategy < 88) {
      String text = r.nextBoolean() ? write(valid(r), r) : write(structural(r), r);
      return Hostile.mutate(r, text, DICTIONARY, r.nextInt(5) == 0 ? 20 : 4);
    }
    if (strategy < 94) {
      return deep(r);
    }
    return soup(r);
  }

  /** A sample of a random verb with a fresh id, a time near now, and some fields varied within valid values. */
  public ObjectNode valid(SplittableRandom r) {
    ObjectNode tree = Hostile.pick(r, samples).deepCopy();
    tree.put("id", Hostile.plain(r, 1 + r.nextInt(36)));
    tree.put("sentAt", instant(now.plusMillis(r.nextLong(-60_000, 60_000)), r));
    List<Slot> slots = slots(tree);
    int n = r.nextInt(4);
    for (int i = 0; i < n; i++) {
      Slot s = Hostile.pick(r, slots);
      if (!s.name().equals("verb")) {
        s.set(validLike(s.name(), s.get(), r));
      }
    }
    return tree;
  }

  /** The sample messages as JSON trees. */
  public List<ObjectNode> samples() {
    return samples;
  }

  private JsonNode validLike(String name, JsonNode old, SplittableRandom r) {
    if (TIMES.contains(name)) {
      return TextNode.valueOf(instant(now.plusSeconds(r.nextLong(-86_400, 86_400)), r));
    }
    if (DURATIONS.contains(name)) {
      return TextNode.valueOf(Duration.ofMillis(r.nextLong(1, 10_000_000)).toString());
    }
    if (name.equals("state")) {
      return TextNode.valueOf(Hostile.pick(r, Arrays.asList(JobState.values())).name());
    }
    if (name.equals("outcome")) {
      return TextNode.valueOf(Hostile.pick(r, Arrays.asList(Outcome.values())).name());
    }
    if (name.equals("code")) {
      return TextNode.valueOf(Hostile.pick(r, Arrays.asList(ErrorCode.values())).name());
    }
    if (name.equals("failure")) {
      return TextNode.valueOf(Hostile.pick(r, Arrays.asList(FailureKind.values())).name());
    }
    if (name.equals("kind")) {
      return TextNode.valueOf(Hostile.pick(r, Arrays.asList(FileCheck.Kind.values())).name());
    }
    if (old.isTextual()) {
      return TextNode.valueOf(r.nextInt(4) == 0 ? "ünï-" + Hostile.plain(r, 1 + r.nextInt(20))
          : Hostile.plain(r, 1 + r.nextInt(30)));
    }
    if (old.isIntegralNumber()) {
      return NODES.numberNode(r.nextInt(1, r.nextBoolean() ? 100 : Integer.MAX_VALUE));
    }
    if (old.isFloatingPointNumber()) {
      return NODES.numberNode(r.nextDouble() * 1e6);
    }
    if (old.isBoolean()) {
      return BooleanNode.valueOf(r.nextBoolean());
    }
    return old;
  }

  /** Applies one hostile change to a random place in {@code tree}. */
  private void hostile(ObjectNode tree, SplittableRandom r) {
    List<Slot> slots = slots(tree);
    if (slots.isEmpty()) {
      tree.set(Hostile.plain(r, 1 + r.nextInt(10)), hostileValue(r));
      return;
    }
    Slot s = Hostile.pick(r, slots);
    switch (r.nextInt(12)) {
      case 0, 1, 2 -> s.set(s.get().isNumber() && r.nextBoolean() ? new POJONode(new RawValue(Hostile.number(r)))
          : s.get().isTextual() && r.nextBoolean() ? TextNode.valueOf(Hostile.text(r)) : hostileValue(r));
      case 3 -> s.set(otherType(s.get(), r));
      case 4 -> s.remove();
      case 5 -> s.set(NullNode.getInstance());
      case 6 -> {
        if (s.parent() instanceof ObjectNode o) {
          o.set(DUPLICATE + s.name(), r.nextBoolean() ? s.get().deepCopy() : hostileValue(r));
        }
      }
      case 7 -> container(s, tree).set(r.nextBoolean() ? Hostile.plain(r, 1 + r.nextInt(10)) : Hostile.text(r),
          hostileValue(r));
      case 8 -> {
        if (s.parent() instanceof ObjectNode o && !s.name().isEmpty()) {
          JsonNode v = s.get();
          s.remove();
          o.set(r.nextBoolean() ? s.name().toUpperCase(java.util.Locale.ROOT) : s.name() + Hostile.pick(r, Hostile.CHARS),
              v);
        }
      }
      case 9 -> s.set(nested(r, 1 + r.nextInt(r.nextBoolean() ? 50 : 3000)));
      case 10 -> s.set(Hostile.pick(r, samples).deepCopy());
      default -> {
        if (s.get().isTextual() || s.get().isNumber()) {
          s.set(TextNode.valueOf(Hostile.mutate(r, s.get().asText(), Hostile.CHARS, 3)));
        } else {
          s.set(hostileValue(r));
        }
      }
    }
  }

  private static ObjectNode container(Slot s, ObjectNode root) {
    return s.parent() instanceof ObjectNode o ? o : root;
  }

  /** A tree of one verb with the fields (or the verb) of another, or with messages in its lists. */
  private ObjectNode structural(SplittableRandom r) {
    ObjectNode tree = valid(r);
    switch (r.nextInt(5)) {
      case 0 -> tree.put("verb", r.nextBoolean() ? Hostile.pick(r, VERBS) : Hostile.text(r));
      case 1 -> tree.setAll(Hostile.pick(r, samples).deepCopy());
      case 2 -> {
        ArrayNode commands = tree.putArray("commands");
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
          commands.add(r.nextBoolean() ? valid(r) : hostileValue(r));
        }
        if (r.nextBoolean()) {
          tree.put("verb", "ack");
          tree.put("replyTo", "m1");
        }
      }
      case 3 -> {
        Iterator<String> names = tree.fieldNames();
        List<String> fields = new ArrayList<>();
        names.forEachRemaining(fields::add);
        tree.remove(Hostile.pick(r, fields));
      }
      default -> {
        List<Slot> slots = slots(tree);
        Hostile.pick(r, slots).set(Hostile.pick(r, slots(Hostile.pick(r, samples).deepCopy())).get());
      }
    }
    return tree;
  }

  /** A body nested deep: in a field the codec ignores, in place of a field, or as the whole body. */
  private String deep(SplittableRandom r) {
    int depth = Hostile.pick(r, List.of(10, 999, 1000, 1001, 1500, 5000, 50_000, 100_000));
    String open = r.nextBoolean() ? "[" : "{\"a\":";
    String close = open.equals("[") ? "]" : "}";
    String nested = open.repeat(depth) + (r.nextBoolean() ? "1" : "") + close.repeat(depth);
    ObjectNode tree = valid(r);
    return switch (r.nextInt(3)) {
      case 0 -> {
        tree.set("extra", new POJONode(new RawValue(nested)));
        yield write(tree, r);
      }
      case 1 -> {
        Hostile.pick(r, slots(tree)).set(new POJONode(new RawValue(nested)));
        yield write(tree, r);
      }
      default -> nested;
    };
  }

  /** Tokens of JSON and of the messages strung together at random. */
  private String soup(SplittableRandom r) {
    StringBuilder b = new StringBuilder();
    int n = r.nextInt(60);
    for (int i = 0; i < n; i++) {
      b.append(switch (r.nextInt(4)) {
        case 0 -> Hostile.pick(r, DICTIONARY);
        case 1 -> "\"" + Hostile.pick(r, VERBS) + "\"";
        case 2 -> Hostile.number(r);
        default -> Hostile.randomChars(r, 1 + r.nextInt(3));
      });
    }
    return b.toString();
  }

  /** A hostile JSON value: a text, a number as written, a value of another kind, or a message. */
  public JsonNode hostileValue(SplittableRandom r) {
    return switch (r.nextInt(10)) {
      case 0, 1, 2 -> TextNode.valueOf(Hostile.text(r));
      case 3, 4, 5 -> new POJONode(new RawValue(Hostile.number(r)));
      case 6 -> BooleanNode.valueOf(r.nextBoolean());
      case 7 -> r.nextBoolean() ? NODES.arrayNode() : NODES.objectNode();
      case 8 -> {
        ArrayNode a = NODES.arrayNode();
        a.add(TextNode.valueOf(Hostile.text(r)));
        a.add(new POJONode(new RawValue(Hostile.number(r))));
        yield a;
      }
      default -> valid(r);
    };
  }

  private JsonNode otherType(JsonNode old, SplittableRandom r) {
    List<Supplier<JsonNode>> options = new ArrayList<>();
    if (!old.isTextual()) {
      options.add(() -> TextNode.valueOf(old.isContainerNode() || old.isPojo() ? Hostile.text(r) : old.asText()));
    }
    if (!old.isNumber()) {
      options.add(() -> new POJONode(new RawValue(Hostile.number(r))));
      options.add(() -> NODES.numberNode(r.nextInt(1, 1000)));
    }
    if (!old.isBoolean()) {
      options.add(() -> BooleanNode.valueOf(r.nextBoolean()));
    }
    if (!old.isArray()) {
      options.add(() -> NODES.arrayNode().add(old.deepCopy()));
    }
    if (!old.isObject()) {
      options.add(() -> NODES.objectNode().set("value", old.deepCopy()));
    }
    return Hostile.pick(r, options).get();
  }

  private static JsonNode nested(SplittableRandom r, int depth) {
    boolean arrays = r.nextBoolean();
    String open = arrays ? "[" : "{\"v\":";
    String close = arrays ? "]" : "}";
    return new POJONode(new RawValue(open.repeat(depth) + "0" + close.repeat(depth)));
  }

  private static String instant(Instant t, SplittableRandom r) {
    return switch (r.nextInt(6)) {
      case 0 -> DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t.atOffset(ZoneOffset.ofHours(r.nextInt(-12, 13))));
      case 1 -> t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
      default -> t.toString();
    };
  }

  /** A place in a tree: a field of an object or an element of an array. */
  private record Slot(JsonNode parent, String name, int index) {
    JsonNode get() {
      return parent instanceof ObjectNode o ? o.get(name) : parent.get(index);
    }

    void set(JsonNode value) {
      if (parent instanceof ObjectNode o) {
        o.set(name, value);
      } else {
        ((ArrayNode) parent).set(index, value);
      }
    }

    void remove() {
      if (parent instanceof ObjectNode o) {
        o.remove(name);
      } else {
        ((ArrayNode) parent).remove(index);
      }
    }
  }

  private static List<Slot> slots(JsonNode root) {
    List<Slot> out = new ArrayList<>();
    collect(root, out);
    return out;
  }

  private static void collect(JsonNode node, List<Slot> out) {
    if (node instanceof ObjectNode o) {
      Iterator<Map.Entry<String, JsonNode>> fields = o.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> f = fields.next();
        out.add(new Slot(o, f.getKey(), -1));
        collect(f.getValue(), out);
      }
    } else if (node instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        out.add(new Slot(a, "", i));
        collect(a.get(i), out);
      }
    }
  }

  /**
   * {@code tree} as JSON text: fields in order or shuffled, non-ASCII raw or escaped, compact or spaced,
   * and duplicated fields written twice.
   */
  public static String write(JsonNode tree, SplittableRandom r) {
    StringBuilder b = new StringBuilder();
    write(tree, b, r.nextInt(4) == 0, r.nextInt(4) == 0, r.nextInt(5) == 0, r);
    return b.toString();
  }

  private static void write(JsonNode n, StringBuilder b, boolean shuffle, boolean escapeAll, boolean spaced,
      SplittableRandom r) {
    String gap = spaced ? Hostile.pick(r, List.of(" ", "\n", "\t", "\r\n ")) : "";
    if (n instanceof ObjectNode o) {
      List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
      o.fields().forEachRemaining(fields::add);
      if (shuffle) {
        for (int i = fields.size() - 1; i > 0; i--) {
          java.util.Collections.swap(fields, i, r.nextInt(i + 1));
        }
      }
      b.append('{').append(gap);
      for (int i = 0; i < fields.size(); i++) {
        if (i > 0) {
          b.append(',').append(gap);
        }
        String name = fields.get(i).getKey();
        string(name.startsWith(DUPLICATE) ? name.substring(DUPLICATE.length()) : name, b, escapeAll);
        b.append(gap).append(':').append(gap);
        write(fields.get(i).getValue(), b, shuffle, escapeAll, spaced, r);
      }
      b.append(gap).append('}');
    } else if (n instanceof ArrayNode a) {
      b.append('[');
      for (int i = 0; i < a.size(); i++) {
        if (i > 0) {
          b.append(',').append(gap);
        }
        write(a.get(i), b, shuffle, escapeAll, spaced, r);
      }
      b.append(']');
    } else if (n instanceof POJONode p && p.getPojo() instanceof RawValue raw) {
      b.append(raw.rawValue());
    } else if (n.isTextual()) {
      string(n.textValue(), b, escapeAll);
    } else {
      b.append(n.toString());
    }
  }

  private static void string(String s, StringBuilder b, boolean escapeAll) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20 || (escapeAll && c > 0x7e)) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    b.append('"');
  }
}
