package org.cernvm.copilot.testkit.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.cernvm.copilot.agent.Contextualization;
import org.cernvm.copilot.agent.MetadataUnavailableException;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.config.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's configuration from user-data, in a file or from a (fake) instance metadata service. */
class ContextualizationTest {
  private static final String USER_DATA = """
      #cloud-config
      copilot:
        xmpp.host: xmpp.example.org
        agent.slots: 4
        agent.lifetime: 48h
      """;
  @TempDir Path dir;

  @Test
  void issue8_userDataFromTheMetadataServiceIsOverriddenByEnvironmentAndCommandLine() throws Exception {
    try (FakeMetadataService md = FakeMetadataService.start(0).userData(USER_DATA)) {
      Settings s = Contextualization.apply(Settings.layered(null, Map.of("COPILOT_AGENT_SLOTS", "2"),
          Map.of("context.metadata-url", md.url().toString(), "agent.lifetime", "1h")), Clock.systemUTC());

      assertThat(s.string("xmpp.host", null)).isEqualTo("xmpp.example.org");
      assertThat(s.integer("agent.slots", 1, 1)).isEqualTo(2);
      assertThat(s.duration("agent.lifetime", null)).isEqualTo(Duration.ofHours(1));
    }
  }

  @Test
  void issue8_aValueInUserDataThatIsWrongIsReportedWithWhereItCameFrom() throws Exception {
    try (FakeMetadataService md = FakeMetadataService.start(0).userData("[copilot]\nagent.slots=many\n")) {
      Settings s = Contextualization.apply(Settings.of(Map.of("context.metadata-url", md.url().toString())),
          Clock.systemUTC());

      assertThatThrownBy(() -> s.integer("agent.slots", 1, 1)).isInstanceOf(ConfigException.class)
          .hasMessageContaining("user-data " + md.url() + "/user-data");
    }
  }

  @Test
  void issue8_aMetadataServiceThatIsNotReadyYetIsAskedAgainWithASessionToken() throws Exception {
    try (FakeMetadataService md = FakeMetadataService.start(0).userData(USER_DATA).requireTokens().unavailableFor(3)) {
      Settings s = Contextualization.apply(Settings.of(Map.of("context.metadata-url", md.url() + "/")),
          Clock.systemUTC());

      assertThat(s.string("xmpp.host", null)).isEqualTo("xmpp.example.org");
      assertThat(md.userDataReads()).isEqualTo(1);
    }
  }

  @Test
  void issue8_noUserDataOrNoMetadataServiceIsAClearErrorInTime() throws Exception {
    try (FakeMetadataService md = FakeMetadataService.start(0)) {
      assertThatThrownBy(() -> Contextualization.apply(Settings.of(Map.of("context.metadata-url", md.url().toString())),
          Clock.systemUTC())).isInstanceOf(ConfigException.class).hasMessageContaining("HTTP 404");
    }
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> Contextualization.apply(Settings.of(Map.of(
        "context.metadata-url", "http://127.0.0.1:" + closedPort + "/latest", "context.timeout", "1s")),
        Clock.systemUTC()))
        .isInstanceOf(MetadataUnavailableException.class).hasMessageContaining("not available after 1 s");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void issue8_userDataFromAFileAndNotFromTwoPlaces() throws Exception {
    Path file = Files.writeString(dir.resolve("user-data.txt"), USER_DATA);
    Settings s = Contextualization.apply(Settings.of(Map.of("context.user-data-file", file.toString())),
        Clock.systemUTC());
    assertThat(s.string("xmpp.host", null)).isEqualTo("xmpp.example.org");

    assertThatThrownBy(() -> Contextualization.apply(Settings.of(Map.of("context.user-data-file", file.toString(),
        "context.metadata-url", "http://127.0.0.1:1/latest")), Clock.systemUTC()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("not both");
  }
}
