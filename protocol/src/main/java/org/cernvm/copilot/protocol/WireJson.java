package org.cernvm.copilot.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;

/**
 * What JSON text may travel as the body of an XMPP stanza, and what it costs there.
 *
 * <p>XML 1.0 allows neither U+FFFE, U+FFFF nor a lone surrogate, and a server closes the stream of a
 * client that sends one; JSON allows them all. JSON written by {@link #factory()} escapes them as
 * {@code \\uXXXX}, which is plain ASCII in the XML and decodes to the same string; Jackson hands its escapes
 * one char at a time, so every surrogate is escaped, those of a valid pair too. Reading is bounded: nesting, numbers and strings have limits far above
 * what a CoPilot message needs and far below what would cost a receiver noticeable time or memory.
 *
 * <p>A server limits stanzas by their bytes on the wire, after XML escaping: {@link #wireBytes} counts
 * those, with {@code <} as {@code &lt;}, {@code >} as {@code &gt;} and {@code &} as {@code &amp;}.
 */
public final class WireJson {
  /** The deepest nesting of arrays and objects read. */
  public static final int MAX_DEPTH = 32;
  /** The most digits a number may have. */
  public static final int MAX_NUMBER_CHARS = 64;

  private static final CharacterEscapes XML_SAFE = new XmlSafeEscapes();

  private WireJson() {}

  /** A JSON factory whose text is always legal XML character data and whose reading is bounded. */
  public static JsonFactory factory() {
    return new JsonFactoryBuilder()
        .characterEscapes(XML_SAFE)
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(MAX_DEPTH)
            .maxNumberLength(MAX_NUMBER_CHARS)
            .maxStringLength(MessageCodec.MAX_BODY_BYTES)
            .maxNameLength(MessageCodec.MAX_BODY_BYTES)
            .build())
        .build();
  }

  /** The bytes {@code text} takes as XML character data on the wire: UTF-8, with markup characters escaped. */
  public static long wireBytes(CharSequence text) {
    long n = 0;
    int length = text.length();
    for (int i = 0; i < length; i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        n += switch (c) {
          case '&' -> 5;
          case '<', '>' -> 4;
          default -> 1;
        };
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(text.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /**
   * The first character of {@code text} that XML 1.0 does not allow, as its index, or -1 if there is none.
   */
  public static int firstIllegalXmlChar(CharSequence text) {
    int length = text.length();
    for (int i = 0; i < length; i++) {
      char c = text.charAt(i);
      if (c < 0x20) {
        if (c != '\t' && c != '\n' && c != '\r') {
          return i;
        }
      } else if (c >= 0xd800) {
        if (c == 0xfffe || c == 0xffff || Character.isLowSurrogate(c)) {
          return i;
        }
        if (Character.isHighSurrogate(c)) {
          if (i + 1 >= length || !Character.isLowSurrogate(text.charAt(i + 1))) {
            return i;
          }
          i++;
        }
      }
    }
    return -1;
  }

  /**
   * JSON's standard escapes, and {@code \\uXXXX} for every surrogate and for U+FFFE and U+FFFF, made once:
   * a text of a hundred thousand emoji must not cost a hundred thousand allocations.
   */
  private static final class XmlSafeEscapes extends CharacterEscapes {
    private static final long serialVersionUID = 1L;
    private static final int FIRST = 0xd800;
    private final int[] ascii = standardAsciiEscapesForJSON();
    private final SerializableString[] escapes = new SerializableString[0x10000 - FIRST];

    XmlSafeEscapes() {
      for (int ch = FIRST; ch <= 0xffff; ch++) {
        if (ch <= 0xdfff || ch >= 0xfffe) {
          escapes[ch - FIRST] = new SerializedString(String.format("\\u%04x", ch));
        }
      }
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      return ch < FIRST || ch > 0xffff ? null : escapes[ch - FIRST];
    }
  }
}
