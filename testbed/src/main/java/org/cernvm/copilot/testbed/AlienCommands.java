package org.cernvm.copilot.testbed;

import org.cernvm.copilot.server.ConfigOptions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.cernvm.copilot.alien.jdl.Jdl;
import org.cernvm.copilot.alien.jdl.JdlSyntaxException;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.testbed.alien.FakeAlien;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The AliEn side of the testbed: the fake central services as a process, JDL submission, job states. */
final class AlienCommands {
  private AlienCommands() {}

  /** {@code copilot fake-alien}: the fake AliEn central services until stopped. */
  @Command(name = "fake-alien", description = "Runs the testbed's fake AliEn central services (task queue, "
      + "catalogue, admin endpoints) on 127.0.0.1 until stopped (SIGTERM).")
  static final class Serve implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @Option(names = "--port", defaultValue = "25090", description = "port (default ${DEFAULT-VALUE}; 0 for any free one)")
    int port;

    @Override
    public Integer call() throws Exception {
      Settings s = config.settings(Map.of());
      String agent = s.required("alien.agent-token");
      String admin = s.required("alien.admin-token");
      Duration zombie = s.duration("alien.zombie-after", Duration.ofHours(1));
      Duration expire = s.duration("alien.expire-after", Duration.ofHours(1));
      s.rejectUnknownKeys();
      try (FakeAlien alien = FakeAlien.start(Clock.systemUTC(), zombie, expire, agent, admin, port)) {
        System.out.println("fake AliEn central services at " + alien.url() + " (ZOMBIE after " + zombie
            + " of silence, EXPIRED " + expire + " later)");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "alien-shutdown"));
        stopped.await();
      }
      return 0;
    }
  }

  private static JsonNode admin(ConfigOptions config, URI url, String path, Object body) throws Exception {
    Settings s = config.settings(url == null ? Map.of() : Map.of("alien.url", url.toString()));
    URI base = URI.create(s.string("alien.url", "http://127.0.0.1:25090"));
    String token = s.required("alien.admin-token");
    s.rejectUnknownKeys();
    ObjectMapper json = new ObjectMapper();
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))).build(),
        HttpResponse.BodyHandlers.ofString());
    JsonNode answer = json.readTree(r.body());
    if (r.statusCode() != 200) {
      throw new IllegalArgumentException("AliEn answered " + r.statusCode() + ": " + answer.path("error").asText());
    }
    return answer;
  }

  /** {@code copilot submit-jdl FILE [ARGS…]}: a JDL into the fake task queue. */
  @Command(name = "submit-jdl", description = "Submits a JDL file, with $1..$N from ARGS, to the fake AliEn task "
      + "queue (split jobs become subjobs) and prints the queue ids.")
  static final class Submit implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @Parameters(index = "0", paramLabel = "FILE", description = "the JDL")
    Path file;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "values of $1..$N")
    List<String> args = new ArrayList<>();

    @Option(names = "--user", defaultValue = "copilot", description = "the owner (default ${DEFAULT-VALUE})")
    String user;

    @Option(names = "--alien-url", paramLabel = "URL", description = "the services (alien.url, default http://127.0.0.1:25090)")
    URI url;

    @Override
    public Integer call() throws Exception {
      String text = Files.readString(file);
      try {
        Jdl.parse(Jdl.applyArguments(text, args));
      } catch (JdlSyntaxException e) {
        throw new IllegalArgumentException(file + ": " + e.getMessage());
      }
      JsonNode answer = admin(config, url, "/admin/submit", Map.of("jdl", text, "args", args, "user", user));
      answer.get("queueIds").forEach(id -> System.out.println(id.asLong()));
      return 0;
    }
  }

  /** {@code copilot alien-register LFN FILE}: a local file into the fake catalogue, as an executable or input. */
  @Command(name = "alien-register", description = "Registers a local FILE in the fake AliEn catalogue under LFN "
      + "(its replica is the file itself), so that JDLs can name it as Executable, ValidationCommand or input.")
  static final class Register implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @Parameters(index = "0", paramLabel = "LFN", description = "the logical file name, e.g. /alice/cern.ch/user/c/copilot/bin/run.sh")
    String lfn;

    @Parameters(index = "1", paramLabel = "FILE", description = "the local file")
    Path file;

    @Option(names = "--alien-url", paramLabel = "URL", description = "the services (alien.url, default http://127.0.0.1:25090)")
    URI url;

    @Override
    public Integer call() throws Exception {
      var o = org.cernvm.copilot.protocol.Checksums.of(file);
      admin(config, url, "/admin/catalogue", Map.of("lfn", lfn, "guid", java.util.UUID.randomUUID().toString(),
          "size", o.sizeBytes(), "md5", o.md5(), "jobId", 0, "se", "ALICE::LOCAL::FILE",
          "pfn", file.toAbsolutePath().toUri().toString()));
      System.out.println(lfn + " -> " + file.toAbsolutePath().toUri());
      return 0;
    }
  }

  /** {@code copilot alien-status}: the fake task queue's jobs by state. */
  @Command(name = "alien-status", description = "Lists the fake AliEn task queue's jobs with their states.")
  static final class Status implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @Option(names = "--alien-url", paramLabel = "URL", description = "the services (alien.url, default http://127.0.0.1:25090)")
    URI url;

    @Override
    public Integer call() throws Exception {
      JsonNode jobs = admin(config, url, "/admin/jobs", Map.of());
      System.out.printf("%-11s %-10s %-24s %s%n", "QUEUEID", "STATUS", "NODE", "EXECUTABLE");
      Map<String, Integer> counts = new TreeMap<>();
      for (JsonNode j : jobs) {
        System.out.printf("%-11d %-10s %-24s %s%n", j.get("queueId").asLong(), j.get("status").asText(),
            j.path("node").isNull() ? "-" : j.path("node").asText("-"), j.get("executable").asText());
        counts.merge(j.get("status").asText(), 1, Integer::sum);
      }
      System.out.println(jobs.size() + " jobs: " + counts);
      return 0;
    }
  }
}
