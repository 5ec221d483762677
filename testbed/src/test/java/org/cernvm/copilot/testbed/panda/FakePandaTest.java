package org.cernvm.copilot.testbed.panda;

import static org.assertj.core.api.Assertions.assertThat;

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

/** Contract tests of the fake PanDA job dispatcher, over real HTTP as a pilot would call it. */
class FakePandaTest {
  private final ManualScheduler time = new ManualScheduler();
  private final HttpClient http = HttpClient.newHttpClient();
  private FakePanda panda;

  @BeforeEach
  void setUp() throws Exception {
    panda = FakePanda.start(time.clock(), Duration.ofMinutes(30), Map.of("prod-token", "production",
        "user-token", "user"), "admin-token", 0);
  }

  @AfterEach
  void tearDown() {
    panda.close();
  }

  static JobDefinition evgen(int n) {
    String evnt = "EVNT.47000001._00000" + n + ".pool.root.1";
    return new JobDefinition("Generate_tf.py", "--maxEvents=10 --outputEVNTFile=" + evnt, "AtlasProduction/23.6.1",
        "Atlas-23.6.1", "managed", List.of(evnt), List.of("mc23_13p6TeV.950000.x.evgen.EVNT.e1_tid47000001_00_sub01"),
        List.of("mc23_13p6TeV.950000.x.evgen.EVNT.e1_tid47000001_00"), "mc23_13p6TeV",
        "log.47000001._00000" + n + ".job.log.tgz.1", 1, 2000, 47000001, 1);
  }

  private Map<String, String> call(String method, String token, String form, boolean json) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(panda.url() + "/server/panda/" + method))
        .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (json) {
      b.header("Accept", "application/json");
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    if (json) {
      @SuppressWarnings("unchecked")
      Map<String, String> m = new com.fasterxml.jackson.databind.ObjectMapper().readValue(r.body(), Map.class);
      return m;
    }
    return FakePanda.parseForm(r.body());
  }

  private static final String GET = "siteName=CERN-COPILOT&computingElement=copilot&prodSourceLabel=managed"
      + "&node=vm-1&mem=4000&diskSpace=20000&workingGroup=&cpu=4";

  private String stateOf(long id) {
    return panda.list().stream().filter(j -> j.pandaId() == id).findFirst().orElseThrow().state();
  }

  @Test
  void issue4_getJobHandsOutEachActivatedJobOnceWithPandaFieldsThenStatusCode20() throws Exception {
    long id = panda.submit(List.of(evgen(1))).get(0);
    assertThat(stateOf(id)).isEqualTo("activated");
    Map<String, String> job = call("getJob", "prod-token", GET, false);
    assertThat(job).containsEntry("StatusCode", "0").containsEntry("PandaID", Long.toString(id))
        .containsEntry("transformation", "Generate_tf.py").containsEntry("homepackage", "AtlasProduction/23.6.1")
        .containsEntry("outFiles", "EVNT.47000001._000001.pool.root.1").containsEntry("attemptNr", "1")
        .containsKeys("jobPars", "inFiles", "destinationDblock", "realDatasets", "scopeOut", "logFile", "GUID", "fsize",
            "checksum", "coreCount", "maxDiskCount", "taskID", "jobsetID", "prodSourceLabel", "swRelease");
    assertThat(stateOf(id)).isEqualTo("sent");
    assertThat(call("getJob", "prod-token", GET, true)).containsEntry("StatusCode", "20");
  }

  @Test
  void issue4_credentialsAreCheckedWithTheDispatcherStatusCodes() throws Exception {
    panda.submit(List.of(evgen(1)));
    assertThat(call("getJob", null, GET, false)).containsEntry("StatusCode", "70");
    assertThat(call("getJob", "forged", GET, false)).containsEntry("StatusCode", "50");
    assertThat(call("getJob", "user-token", GET, false)).containsEntry("StatusCode", "60");
    assertThat(call("updateJob", null, "jobId=1&state=running", false)).containsEntry("StatusCode", "70");
    assertThat(panda.list().get(0).state()).isEqualTo("activated");
  }

  private static String finishedXml(String lfn) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\" ?>\n<!DOCTYPE POOLFILECATALOG SYSTEM \"InMemory\">\n"
        + "<POOLFILECATALOG><File ID=\"0A1B2C3D-0000-4000-8000-000000000001\"><logical><lfn name=\"" + lfn
        + "\"/></logical><metadata att_name=\"fsize\" att_value=\"1234\"/><metadata att_name=\"adler32\""
        + " att_value=\"0a1b2c3d\"/><metadata att_name=\"surl\" att_value=\"file:///se/x\"/></File></POOLFILECATALOG>";
  }

  @Test
  void issue4_updatesMoveTheJobToFinishedWithItsOutputReport() throws Exception {
    long id = panda.submit(List.of(evgen(1))).get(0);
    call("getJob", "prod-token", GET, false);
    for (String s : List.of("starting", "running", "running", "transferring")) {
      assertThat(call("updateJob", "prod-token", "jobId=" + id + "&state=" + s + "&cpuConsumptionTime=3", false))
          .containsEntry("StatusCode", "0").doesNotContainKey("command");
      assertThat(stateOf(id)).isEqualTo(s);
    }
    // A finished report without the output file is refused and changes nothing.
    assertThat(call("updateJob", "prod-token", "jobId=" + id + "&state=finished&xml=", false))
        .containsEntry("StatusCode", "30");
    assertThat(stateOf(id)).isEqualTo("transferring");
    String xml = java.net.URLEncoder.encode(finishedXml("EVNT.47000001._000001.pool.root.1"),
        java.nio.charset.StandardCharsets.UTF_8);
    assertThat(call("updateJob", "prod-token", "jobId=" + id + "&state=finished&xml=" + xml, false))
        .containsEntry("StatusCode", "0");
    assertThat(stateOf(id)).isEqualTo("finished");
    assertThat(panda.list().get(0).outputs()).singleElement().satisfies(o -> {
      assertThat(o.adler32()).isEqualTo("0a1b2c3d");
      assertThat(o.fsize()).isEqualTo(1234);
      assertThat(o.guid()).isEqualTo("0A1B2C3D-0000-4000-8000-000000000001");
    });
    // The same final report again is accepted; a different one is not.
    assertThat(call("updateJob", "prod-token", "jobId=" + id + "&state=finished&xml=" + xml, false))
        .containsEntry("StatusCode", "0");
    assertThat(call("updateJob", "prod-token", "jobId=" + id + "&state=failed", false)).containsEntry("StatusCode", "30");
  }

  @Test
  void issue4_aSilentDispatchedJobFailsWithLostHeartbeatAndAKilledOneIsToldToBeKilled() throws Exception {
    List<Long> ids = panda.submit(List.of(evgen(1), evgen(2), evgen(3)));
    call("getJob", "prod-token", GET, false);
    call("getJob", "prod-token", GET, false);
    call("updateJob", "prod-token", "jobId=" + ids.get(1) + "&state=running", false);

    time.advance(Duration.ofMinutes(20));
    call("updateJob", "prod-token", "jobId=" + ids.get(1) + "&state=running", false);
    time.advance(Duration.ofMinutes(15));
    assertThat(stateOf(ids.get(0))).isEqualTo("failed");
    assertThat(panda.list().get(0).pilotErrorDiag()).isEqualTo("lost heartbeat");
    assertThat(stateOf(ids.get(1))).isEqualTo("running");

    assertThat(panda.kill(ids.get(1))).hasValue("running");
    assertThat(call("updateJob", "prod-token", "jobId=" + ids.get(1) + "&state=running", false))
        .containsEntry("command", "tobekilled");
    call("updateJob", "prod-token", "jobId=" + ids.get(1) + "&state=failed&pilotErrorCode=1144&pilotErrorDiag=killed", false);
    assertThat(stateOf(ids.get(1))).isEqualTo("cancelled");
    assertThat(panda.kill(ids.get(2))).hasValue("cancelled");
  }

  @Test
  void issue4_injectedFaultsAndTheAdminEndpoints() throws Exception {
    HttpRequest submit = HttpRequest.newBuilder(URI.create(panda.url() + "/admin/jobs"))
        .header("Authorization", "Bearer admin-token")
        .POST(HttpRequest.BodyPublishers.ofString(new com.fasterxml.jackson.databind.ObjectMapper()
            .writeValueAsString(List.of(evgen(1))))).build();
    assertThat(http.send(submit, HttpResponse.BodyHandlers.ofString()).body()).contains("PandaIDs");
    HttpRequest noAdmin = HttpRequest.newBuilder(URI.create(panda.url() + "/admin/jobs")).build();
    assertThat(http.send(noAdmin, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(403);

    HttpRequest get = HttpRequest.newBuilder(URI.create(panda.url() + "/server/panda/getJob"))
        .header("Authorization", "Bearer prod-token").POST(HttpRequest.BodyPublishers.ofString(GET)).build();
    panda.inject(new FakePanda.Faults(1, 0, 0, 0, 0));
    assertThat(http.send(get, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(503);
    panda.inject(new FakePanda.Faults(0, 1, 0, 0, 0));
    assertThat(http.send(get, HttpResponse.BodyHandlers.ofString()).body()).contains("<html>");
    panda.inject(new FakePanda.Faults(0, 0, 1, 0, 0));
    assertThat(call("getJob", "prod-token", GET, false)).containsEntry("StatusCode", "20");
    assertThat(call("getJob", "prod-token", GET, false)).containsEntry("StatusCode", "0");
  }
}
