package org.cernvm.copilot.server.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.cernvm.copilot.monitor.MonitorConfig;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.server.JobManagerRole;
import org.cernvm.copilot.server.KeyManagerCommand;
import org.cernvm.copilot.server.StorageAdapterCommand;
import org.junit.jupiter.api.Test;

/**
 * The server distribution as a site gets it: a jar of the three roles and their job sources with nothing of
 * the testbed in it, a launcher that runs it, example configurations every role reads, and hardened units.
 */
class ServerDistributionIT {
  private static final Path JAR = Path.of("target", "copilot-server.jar");
  private static final Path DIST = Path.of("src", "dist");
  private static final List<String> ROLES = List.of("job-manager", "storage-adapter", "key-manager", "monitor");

  private static List<String> entries() throws IOException {
    try (ZipFile zip = new ZipFile(JAR.toFile())) {
      return Collections.list(zip.entries()).stream().map(ZipEntry::getName).toList();
    }
  }

  private record Run(int status, String out) {}

  private static Run run(Map<String, String> env, String... command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  @Test
  void theJarHoldsTheRolesAndTheirSourcesAndNothingOfTheTestbed() throws Exception {
    List<String> entries = entries();
    assertThat(entries).contains("org/cernvm/copilot/server/CopilotServer.class",
        "org/cernvm/copilot/jobmanager/JobManager.class", "org/cernvm/copilot/storage/StorageAdapter.class",
        "org/cernvm/copilot/keymanager/KeyManagerService.class", "org/cernvm/copilot/panda/PandaJobSource.class",
        "org/cernvm/copilot/alien/AlienJobSource.class", "org/cernvm/copilot/monitor/dashboard.html", "logback.xml");
    assertThat(entries).anyMatch(e -> e.matches("META-INF/resources/webjars/uplot/[^/]+/dist/uPlot\\.iife\\.min\\.js"));
    // No testbed code: no fake PanDA or AliEn, no embedded XMPP server, no attacker, no load tools.
    assertThat(entries).noneMatch(e -> e.startsWith("org/cernvm/copilot/testbed/"))
        .noneMatch(e -> e.startsWith("org/cernvm/copilot/testkit/"))
        .noneMatch(e -> e.startsWith("org/apache/vysper/") || e.startsWith("org/apache/mina/"))
        .noneMatch(e -> e.startsWith("org/cernvm/copilot/") && e.matches(".*/(Fake|Attacker|Load|Chaos)[^/]*\\.class"))
        .noneMatch(e -> e.startsWith("org/cernvm/copilot/protocol/testing/"));
    try (ZipFile zip = new ZipFile(JAR.toFile())) {
      String providers = new String(zip.getInputStream(
          zip.getEntry("META-INF/services/org.cernvm.copilot.jobmanager.JobSourceProvider")).readAllBytes(),
          StandardCharsets.UTF_8);
      assertThat(providers.lines().map(String::trim).filter(l -> !l.isEmpty()))
          .containsExactlyInAnyOrder("org.cernvm.copilot.jobmanager.JobSourceProvider$Generic",
              "org.cernvm.copilot.panda.PandaSourceProvider", "org.cernvm.copilot.alien.AlienSourceProvider");
    }
  }

  @Test
  void theLauncherRunsEachRoleAndFindsTheSourcesThroughServiceLoader() throws Exception {
    Map<String, String> env = Map.of("COPILOT_SERVER_JAR", JAR.toAbsolutePath().toString());
    Run help = run(env, DIST.resolve("copilot-server").toString(), "--help");
    assertThat(help.status()).isZero();
    assertThat(help.out()).contains("job-manager", "storage-adapter", "key-manager", "monitor");
    Run unknown = run(env, DIST.resolve("copilot-server").toString(), "job-manager", "--source", "condor");
    assertThat(unknown.status()).isEqualTo(2);
    assertThat(unknown.out()).contains("'condor' is not a job source on the class path")
        .contains("[alien, generic, panda]");
  }

  private static Settings example(String role, Map<String, String> secrets) throws IOException {
    return Settings.layered(DIST.resolve("config").resolve(role + ".properties"), secrets, Map.of());
  }

  @Test
  void eachRoleReadsItsExampleConfigurationWithNoKeyLeftOver() throws Exception {
    JobManagerRole.Configured jm = JobManagerRole.configure(example("job-manager",
        Map.of("COPILOT_XMPP_PASSWORD", "x", "COPILOT_PANDA_TOKEN", "t")));
    assertThat(jm.metrics().port()).hasValue(9471);
    StorageAdapterCommand.Configured storage = StorageAdapterCommand.configure(example("storage-adapter",
        Map.of("COPILOT_XMPP_PASSWORD", "x", "COPILOT_STORAGE_TLS_KEYSTORE_PASSWORD", "p")));
    assertThat(storage.metrics().port()).hasValue(9472);
    KeyManagerCommand.Serve.Configured km = KeyManagerCommand.Serve.configure(example("key-manager",
        Map.of("COPILOT_XMPP_PASSWORD", "x", "COPILOT_KEY_MANAGER_PASSPHRASE", "p")));
    assertThat(km.metrics().port()).hasValue(9473);
    Settings monitor = example("monitor", Map.of());
    assertThat(MonitorConfig.from(monitor).targets()).hasSize(3);
    monitor.rejectUnknownKeys();
    assertThat(Files.readString(DIST.resolve("config/prometheus.yml")))
        .contains("127.0.0.1:9471", "127.0.0.1:9472", "127.0.0.1:9473");
  }

  @Test
  void eachRoleHasAHardenedUnitRunningItAsAnUnprivilegedUser() throws Exception {
    for (String role : ROLES) {
      Properties unit = new Properties();
      try (var in = Files.newBufferedReader(DIST.resolve("copilot-" + role + ".service"))) {
        unit.load(in);
      }
      assertThat(unit.getProperty("ExecStart")).startsWith("/opt/copilot-server/copilot-server " + role)
          .endsWith("--config /etc/copilot/" + role + ".properties");
      assertThat(unit.getProperty("User")).isEqualTo("copilot");
      assertThat(unit.getProperty("StateDirectory")).isEqualTo("copilot-" + role);
      assertThat(unit).containsEntry("NoNewPrivileges", "yes").containsEntry("ProtectSystem", "strict")
          .containsEntry("ProtectHome", "yes").containsEntry("PrivateTmp", "yes").containsEntry("CapabilityBoundingSet", "");
      assertThat(DIST.resolve("config").resolve(role + ".properties")).exists();
    }
  }
}
