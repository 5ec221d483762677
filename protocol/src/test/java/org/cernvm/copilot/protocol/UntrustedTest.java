package org.cernvm.copilot.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Untrusted text reaches a log line on one line, with nothing that could pass for a line of its own. */
class UntrustedTest {
  @Test
  void plainTextIsKeptAsItIs() {
    assertThat(Untrusted.text("g000081 ended DONE on agent-1")).isEqualTo("g000081 ended DONE on agent-1");
    assertThat(Untrusted.text(null)).isEqualTo("null");
    assertThat(Untrusted.text("zurück 日本 🚀")).isEqualTo("zurück 日本 🚀");
  }

  @Test
  void issue16_newlinesAndControlCharactersCannotForgeALogLine() {
    String forged = "x\n2026-12-01 10:00:00 INFO GenericQueue - g000081 ended DONE\r\u001b[2K\u0000";
    String safe = Untrusted.text(forged);
    assertThat(safe).doesNotContain("\n", "\r", "\u001b", "\u0000")
        .startsWith("x\\n2026-12-01").contains("\\r\\u001b[2K\\u0000");
    // A backslash is doubled, so that the escape above cannot be typed in by the sender.
    assertThat(Untrusted.text("a\\nb")).isEqualTo("a\\\\nb");
    assertThat(Untrusted.text("\u2028\u202e\uffff\ud800")).isEqualTo("\\u2028\\u202e\\uffff\\ud800");
  }

  @Test
  void issue16_longTextIsCutWithTheCountOfWhatWasLeftOut() {
    String safe = Untrusted.text("v".repeat(250_000));
    assertThat(safe).hasSize(Untrusted.MAX_CHARS + "…(249800 more chars)".length()).endsWith("…(249800 more chars)");
    // Escapes count: a text of characters that each escape to six is cut at the limit too.
    assertThat(Untrusted.text("\uffff".repeat(1_000), 100)).isEqualTo("\\uffff".repeat(16) + "…(984 more chars)");
    // A cut never leaves half of a surrogate pair.
    String cut = Untrusted.text("a".repeat(Untrusted.MAX_CHARS - 1) + "🚀🚀");
    assertThat(cut).startsWith("a".repeat(Untrusted.MAX_CHARS - 1) + "…(");
  }
}
