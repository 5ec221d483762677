package org.cernvm.copilot.agent.dist;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The agent-only artifact's Logback configuration: INFO (or {@code COPILOT_LOG_LEVEL}) to stderr, which
 * systemd's journal keeps; Smack's errors and HttpClient's warnings only. It is made in code rather than
 * read from {@code logback.xml} because Logback's XML configurator and the JDK's XML parser behind it are
 * about 300 classes, 2 MB of an idle agent's memory. An operator's own file still wins: with
 * {@code -Dlogback.configurationFile=FILE} this steps aside.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class AgentLogging extends ContextAwareBase implements Configurator {
  /** The layout of each line. */
  static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n";

  /** Made by Logback, which finds this class through {@code META-INF/services}. */
  public AgentLogging() {}

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(PATTERN);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(System.getenv("COPILOT_LOG_LEVEL"), Level.INFO));
    root.addAppender(stderr);
    context.getLogger("org.jivesoftware").setLevel(Level.ERROR);
    context.getLogger("org.apache.hc").setLevel(Level.WARN);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
