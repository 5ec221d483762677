package org.cernvm.copilot.testkit.panda;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A client of the fake PanDA server's testbed-only admin endpoints: submit, list, kill, and list a dataset. */
public final class PandaAdmin {
  private final URI base;
  private final String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();

  public PandaAdmin(URI base, String token) {
    this.base = base;
    this.token = token;
  }

  /** Submits jobs; returns their PandaIDs. */
  public List<Long> submit(List<JobDefinition> jobs) throws IOException, InterruptedException {
    Map<String, List<Long>> answer = json.readValue(send("POST", "/admin/jobs", json.writeValueAsString(jobs)),
        new TypeReference<>() {});
    return answer.get("PandaIDs");
  }

  /** Every job with its state and reported outputs. */
  public List<JobView> list() throws IOException, InterruptedException {
    return json.readValue(send("GET", "/admin/jobs", null), new TypeReference<>() {});
  }

  /** The files of a dataset, as a job taking them as inputs names them. */
  public List<JobDefinition.Input> datasetFiles(String dataset) throws IOException, InterruptedException {
    return json.readValue(send("GET", "/admin/datasets/" + dataset, null),
        new TypeReference<>() {});
  }

  /** Kills a job; returns its state after the request. */
  public String kill(long pandaId) throws IOException, InterruptedException {
    return json.readTree(send("POST", "/admin/jobs/" + pandaId + "/kill", "")).get("state").asText();
  }

  private String send(String method, String path, String body) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token);
    b = body == null ? b.GET() : b.method(method, HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("fake PanDA " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return r.body();
  }
}
