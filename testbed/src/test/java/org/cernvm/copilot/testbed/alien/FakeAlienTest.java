package org.cernvm.copilot.testbed.alien;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Contract tests of the fake AliEn central services over HTTP. */
class FakeAlienTest {
  private final ManualScheduler time = new ManualScheduler();
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();
  private FakeAlien alien;

  @BeforeEach
  void setUp() throws Exception {
    alien = FakeAlien.start(time.clock(), Duration.ofMinutes(60), Duration.ofMinutes(60), "agent-token", "admin", 0);
  }

  @AfterEach
  void tearDown() {
    alien.close();
  }

  private JsonNode call(String path, String token, Object body, int status) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(alien.url() + path))
        .header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    return json.readTree(r.body());
  }

  private static final Map<String, Object> OFFER = Map.of("site", "CERN", "ce", "ALICE::CERN::Copilot", "ttl", 86400,
      "cores", 1, "disk", 10_000_000, "packages", List.of("VO_ALICE@AliPhysics::v5"), "node", "vm-1");

  @Test
  void issue5_matchStatusAndLogThroughTheApiWithTheirCredentials() throws Exception {
    JsonNode submitted = call("/admin/submit", "admin", Map.of("jdl", TaskQueueTest.SIM, "args", List.of("7"),
        "user", "aliprod"), 200);
    assertThat(submitted.get("queueIds")).hasSize(3);
    call("/api/getMatchJob", "forged", OFFER, 401);
    JsonNode m = call("/api/getMatchJob", "agent-token", OFFER, 200);
    assertThat(m.get("code").asInt()).isEqualTo(1);
    assertThat(m.get("jdl").asText()).contains("--run 7 --uid 1");
    long id = m.get("queueId").asLong();
    String token = m.get("token").asText();
    assertThat(call("/api/setJobStatus", "agent-token", Map.of("queueId", id, "token", token, "status", "STARTED"), 200)
        .get("result").asText()).isEqualTo("OK");
    assertThat(call("/api/setJobStatus", "agent-token", Map.of("queueId", id, "token", token, "status", "WAITING"), 200)
        .get("result").asText()).isEqualTo("REFUSED");
    assertThat(call("/api/putJobLog", "agent-token", Map.of("queueId", id, "token", token, "tag", "proc",
        "message", "1 1 50 1 1 100 200 1 0 0 0 100 200 1000"), 200).get("result").asText()).isEqualTo("OK");
    call("/admin/jobs/" + id + "/kill", "admin", Map.of(), 200);
    assertThat(call("/api/setJobStatus", "agent-token", Map.of("queueId", id, "token", token, "status", "RUNNING"), 200)
        .get("result").asText()).isEqualTo("KILLED");
    call("/api/getMatchJob", "agent-token", OFFER, 200);
    call("/api/getMatchJob", "agent-token", OFFER, 200);
    assertThat(call("/api/getMatchJob", "agent-token", OFFER, 200).get("code").asInt()).isEqualTo(-2);
  }

  @Test
  void issue5_catalogueBookingsAreSignedCommittedOnceAndFound() throws Exception {
    call("/admin/submit", "admin", Map.of("jdl", TaskQueueTest.SIM, "args", List.of("7")), 200);
    JsonNode m = call("/api/getMatchJob", "agent-token", OFFER, 200);
    long id = m.get("queueId").asLong();
    String token = m.get("token").asText();
    Map<String, Object> file = Map.of("queueId", id, "token", token, "lfn", "/alice/sim/7/001/AliAOD.root", "size", 42,
        "md5", "0123456789abcdef0123456789abcdef", "se", "ALICE::CERN::COPILOT");
    call("/api/catalogue/book", "agent-token", Map.of("queueId", id, "token", "forged", "lfn", "/x"), 409);
    JsonNode booked = call("/api/catalogue/book", "agent-token", file, 200);
    String envelope = booked.get("envelope").asText();
    String forged = envelope.substring(0, envelope.length() - 4) + "AAAA";
    assertThat(call("/api/catalogue/commit", "agent-token", Map.of("queueId", id, "token", token, "envelope", forged,
        "pfn", "file:///se/x"), 409).get("error").asText()).contains("not issued by this catalogue");
    JsonNode entry = call("/api/catalogue/commit", "agent-token", Map.of("queueId", id, "token", token,
        "envelope", envelope, "pfn", "file:///se/x"), 200);
    assertThat(entry.get("guid").asText()).isEqualTo(booked.get("guid").asText());
    assertThat(entry.get("jobId").asLong()).isEqualTo(id);
    call("/api/catalogue/commit", "agent-token", Map.of("queueId", id, "token", token, "envelope", envelope,
        "pfn", "file:///se/x"), 200);
    Map<String, Object> other = new java.util.HashMap<>(file);
    other.put("md5", "ffffffffffffffffffffffffffffffff");
    call("/api/catalogue/book", "agent-token", other, 409);
    JsonNode found = call("/api/catalogue/find", "agent-token", Map.of("lfn", "/alice/sim/7/001/AliAOD.root"), 200);
    assertThat(found.get("size").asLong()).isEqualTo(42);
    assertThat(found.get("pfn").asText()).isEqualTo("file:///se/x");

    time.advance(Duration.ofHours(25));
    JsonNode late = call("/api/catalogue/book", "agent-token", Map.of("queueId", id, "token", token,
        "lfn", "/alice/sim/7/001/late.root", "size", 1, "md5", "d41d8cd98f00b204e9800998ecf8427e", "se", "SE"), 409);
    assertThat(late.get("error").asText()).contains("token");
  }
}
