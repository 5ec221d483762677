package org.cernvm.copilot.agent.dist;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.core.ConsoleAppender;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The agent artifact's logging, configured in code instead of from logback.xml. */
class AgentLoggingTest {
  @Test
  void issue8_logbackFindsTheConfigurationAndItLogsToStderr() {
    assertThat(ServiceLoader.load(Configurator.class).stream().map(p -> p.type().getName()))
        .contains(AgentLogging.class.getName());
    LoggerContext context = new LoggerContext();
    AgentLogging logging = new AgentLogging();
    logging.setContext(context);

    assertThat(logging.configure(context)).isEqualTo(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);

    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    assertThat(root.getAppender("STDERR")).isInstanceOfSatisfying(ConsoleAppender.class,
        a -> assertThat(a.getTarget()).isEqualTo("System.err"));
    assertThat(root.getLevel()).isEqualTo(Level.toLevel(System.getenv("COPILOT_LOG_LEVEL"), Level.INFO));
    assertThat(context.getLogger("org.jivesoftware").getLevel()).isEqualTo(Level.ERROR);
  }

  @Test
  void issue8_anOperatorsLogbackFileWins() {
    String before = System.getProperty("logback.configurationFile");
    System.setProperty("logback.configurationFile", "/etc/copilot/logback.xml");
    try {
      LoggerContext context = new LoggerContext();
      AgentLogging logging = new AgentLogging();
      logging.setContext(context);
      assertThat(logging.configure(context)).isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
      assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR")).isNull();
    } finally {
      if (before == null) {
        System.clearProperty("logback.configurationFile");
      } else {
        System.setProperty("logback.configurationFile", before);
      }
    }
  }
}
