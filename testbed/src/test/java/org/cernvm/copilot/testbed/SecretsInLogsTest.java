package org.cernvm.copilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Runs the demo with every kind of job, security on and the attacker at work, CoPilot's own loggers at
 * DEBUG, and scans every log line for secrets: bearer credentials, private keys, passwords, upload-grant
 * tokens, and by value every enrollment token, account password and CA passphrase the demo made.
 */
class SecretsInLogsTest {
  @TempDir Path dir;

  private static final List<Pattern> SECRETS = List.of(
      Pattern.compile("Bearer\\s+\\S"),
      Pattern.compile("PRIVATE KEY"),
      Pattern.compile("(?i)password\\s*[=:]\\s*[^<\\s]"),
      // An upload grant: base64url of its JSON claims, a dot, base64url of the MAC.
      Pattern.compile("eyJ[A-Za-z0-9_-]{20,}\\.[A-Za-z0-9_-]{20,}"));

  @Test
  void issue6_noSecretReachesTheLogsOfAFullDemo() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger copilot = (Logger) LoggerFactory.getLogger("org.cernvm.copilot");
    Level before = copilot.getLevel();
    List<String> secrets = new java.util.ArrayList<>();
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    root.addAppender(lines);
    copilot.setLevel(Level.DEBUG);
    try {
      PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
      for (Demo.Kind kind : Demo.Kind.values()) {
        Demo.Result r = new Demo(2, 3, Duration.ofMinutes(2), JobManagerConfig.Dispatch.HANDSHAKE,
            dir.resolve(kind.name()), out, kind).run();
        assertThat(r.failed()).as(kind.name()).isZero();
        assertThat(r.security().accepted()).as(kind.name()).isEmpty();
        secrets.addAll(r.secrets());
      }
    } finally {
      root.detachAppender(lines);
      copilot.setLevel(before);
    }
    assertThat(lines.list).hasSizeGreaterThan(50);
    // Every enrollment token, password and CA passphrase the demos made, by value.
    assertThat(secrets).hasSizeGreaterThan(20);
    for (ILoggingEvent e : lines.list) {
      String line = e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getMessage());
      for (Pattern p : SECRETS) {
        assertThat(p.matcher(line).find()).as("%s logged by %s: %s", p, e.getLoggerName(), line).isFalse();
      }
      for (String secret : secrets) {
        assertThat(line).as("a secret logged by %s", e.getLoggerName()).doesNotContain(secret);
      }
    }
  }
}
