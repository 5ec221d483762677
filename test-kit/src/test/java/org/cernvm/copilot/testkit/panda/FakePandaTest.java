package org.cernvm.copilot.testkit.panda;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Contract tests of the fake PanDA job dispatcher over real HTTP, called as pilot3 (form and gzip-compressed
 * JSON bodies on the legacy API) and Harvester (the v1 API) call today's server.
 */
class FakePandaTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String EVNT = "EVNT.47000001._000001.pool.root.1";
  private static final String LOG = "log.47000001._000001.job.log.tgz.1";

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

  private HttpResponse<String> post(String path, String token, String contentType, byte[] body, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(panda.url() + path))
        .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A legacy call with a form body, as pilot3's curl fallback makes it; the form answer decoded. */
  private Map<String, String> form(String method, String token, String form) throws Exception {
    HttpResponse<String> r = post("/server/panda/" + method, token, "application/x-www-form-urlencoded",
        form.getBytes(StandardCharsets.UTF_8));
    assertThat(r.statusCode()).isEqualTo(200);
    return PandaParams.form(r.body());
  }

  /** A legacy call with a gzip-compressed JSON body and no Content-Encoding, as pilot3's default transport. */
  private JsonNode pilot3(String method, String token, Map<String, Object> params) throws Exception {
    HttpResponse<String> r = post("/server/panda/" + method, token, "application/json", gzip(JSON.writeValueAsBytes(params)));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private JsonNode v1(String method, String token, Map<String, Object> params) throws Exception {
    HttpResponse<String> r = post("/api/v1/pilot/" + method, token, "application/json", JSON.writeValueAsBytes(params),
        "Accept", "application/json");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private static byte[] gzip(byte[] plain) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(plain);
    }
    return out.toByteArray();
  }

  private static final String GET = "siteName=CERN-COPILOT&computingElement=copilot&prodSourceLabel=managed"
      + "&node=vm-1&mem=4000&diskSpace=20000&cpu=2600.0";
  private static final Map<String, Object> PILOT3_GET = Map.of("siteName", "CERN-COPILOT", "prodSourceLabel", "managed",
      "node", "vm-1", "mem", 4000.0, "diskSpace", 20000, "cpu", 2600.0, "getProxyKey", false);

  private JobView job(long id) {
    return panda.list().stream().filter(j -> j.pandaId() == id).findFirst().orElseThrow();
  }

  @Test
  void getJobHandsOutEachActivatedJobOnceWithEveryFieldOfTheRealServerThenStatusCode20() throws Exception {
    long id = panda.submit(List.of(evgen(1))).get(0);
    assertThat(job(id).state()).isEqualTo("activated");
    Map<String, String> job = form("getJob", "prod-token", GET);
    assertThat(job).containsEntry("StatusCode", "0").containsEntry("PandaID", Long.toString(id))
        .containsEntry("transformation", "Generate_tf.py").containsEntry("homepackage", "AtlasProduction/23.6.1")
        .containsEntry("attemptNr", "1").containsEntry("logFile", LOG).containsEntry("scopeLog", "mc23_13p6TeV")
        .containsEntry("resource_type", "SCORE").containsEntry("processingType", "evgen")
        .containsEntry("minRamCount", "2000").containsEntry("nSent", "0");
    // The log is the last of the outputs, with its own dataset.
    assertThat(job.get("outFiles")).isEqualTo(EVNT + "," + LOG);
    assertThat(job.get("realDatasets").split(",")).hasSize(2).satisfies(d -> assertThat(d[1]).contains(".log."));
    assertThat(job.get("ddmEndPointOut").split(",")).hasSize(2);
    assertThat(job.get("logGUID")).matches("[0-9A-F-]{36}");
    assertThat(job).containsKeys("jobName", "jobDefinitionID", "cloud", "cmtConfig", "taskID", "jobsetID", "reqID",
        "inFiles", "realDatasetsIn", "GUID", "fsize", "checksum", "scopeIn", "ddmEndPointIn", "prodDBlocks",
        "prodDBlockToken", "dispatchDblock", "dispatchDBlockToken", "transferType", "destinationDblock",
        "destinationDBlockToken", "scopeOut", "fileDestinationSE", "destinationSE", "coreCount", "maxDiskCount",
        "maxCpuCount", "maxWalltime", "currentPriority", "jobPars", "prodSourceLabel", "swRelease");
    assertThat(job(id).state()).isEqualTo("sent");
    assertThat(form("getJob", "prod-token", GET)).containsEntry("StatusCode", "20");
  }

  @Test
  void pilot3sGzipCompressedJsonBodiesAreReadAndAnsweredWithIntegersAsIntegers() throws Exception {
    long id = panda.submit(List.of(evgen(1))).get(0);
    JsonNode job = pilot3("getJob", "prod-token", PILOT3_GET);
    assertThat(job.get("StatusCode").isInt()).isTrue();
    assertThat(job.get("StatusCode").asInt()).isZero();
    assertThat(job.get("PandaID").isIntegralNumber()).isTrue();
    assertThat(job.get("PandaID").asLong()).isEqualTo(id);
    assertThat(job.get("coreCount").isInt()).isTrue();

    JsonNode update = pilot3("updateJob", "prod-token", Map.of("jobId", id, "state", "running", "coreCount", 1,
        "cpuConsumptionTime", 7));
    assertThat(update.get("StatusCode").asInt()).isZero();
    assertThat(update.get("command").asText()).isEqualTo("NULL");
    assertThat(job(id).state()).isEqualTo("running");
    assertThat(job(id).cpuConsumptionTime()).isEqualTo(7);
    // Plain JSON and a declared encoding are read too.
    assertThat(JSON.readTree(post("/server/panda/updateJob", "prod-token", "application/json",
        JSON.writeValueAsBytes(Map.of("jobId", id, "state", "running"))).body()).get("StatusCode").asInt()).isZero();
  }

  @Test
  void nJobsAsksForABulkAnswerInJsonOrAsAJsonStringInAForm() throws Exception {
    panda.submit(List.of(evgen(1), evgen(2), evgen(3)));
    Map<String, Object> bulk = new java.util.HashMap<>(PILOT3_GET);
    bulk.put("nJobs", 2);
    JsonNode answer = pilot3("getJob", "prod-token", bulk);
    assertThat(answer.get("StatusCode").asInt()).isZero();
    assertThat(answer.get("jobs")).hasSize(2);
    assertThat(answer.get("jobs").get(0).get("nSent").asInt()).isEqualTo(1);
    Map<String, String> formBulk = form("getJob", "prod-token", GET + "&nJobs=5");
    assertThat(JSON.readTree(formBulk.get("jobs"))).hasSize(1);
    // nJobs even of 1 answers in bulk form; without it, the job's fields stand alone.
    panda.submit(List.of(evgen(4), evgen(5)));
    Map<String, String> one = form("getJob", "prod-token", GET + "&nJobs=1");
    assertThat(one).containsOnlyKeys("StatusCode", "jobs");
    assertThat(JSON.readTree(one.get("jobs"))).hasSize(1);
    assertThat(form("getJob", "prod-token", GET)).containsKey("PandaID").doesNotContainKey("jobs");
    assertThat(form("getJob", "prod-token", GET + "&nJobs=1")).containsEntry("StatusCode", "20");
  }

  @Test
  void theV1ApiAcquiresAndUpdatesJobsInItsEnvelope() throws Exception {
    long id = panda.submit(List.of(evgen(1))).get(0);
    JsonNode acquired = v1("acquire_jobs", "prod-token", Map.of("site_name", "CERN-COPILOT", "prod_source_label",
        "managed", "node", "vm-1", "memory", 4000, "disk_space", 20000, "n_jobs", 3));
    assertThat(acquired.get("success").asBoolean()).isTrue();
    assertThat(acquired.at("/data/StatusCode").asInt()).isZero();
    assertThat(acquired.at("/data/jobs")).singleElement().satisfies(j -> assertThat(j.get("PandaID").asLong()).isEqualTo(id));

    JsonNode none = v1("acquire_jobs", "prod-token", Map.of("site_name", "CERN-COPILOT", "prod_source_label", "managed"));
    assertThat(none.get("success").asBoolean()).isFalse();
    assertThat(none.get("message").asText()).isEqualTo("No jobs in PanDA");
    assertThat(none.get("data").isNull()).isTrue();

    JsonNode running = v1("update_job", "prod-token", Map.of("job_id", id, "job_status", "running"));
    assertThat(running.get("success").asBoolean()).isTrue();
    assertThat(running.at("/data/StatusCode").asInt()).isZero();
    assertThat(running.at("/data/command").asText()).isEqualTo("NULL");
    assertThat(job(id).state()).isEqualTo("running");
    JsonNode bad = v1("update_job", "prod-token", Map.of("job_id", id, "job_status", "dancing"));
    assertThat(bad.get("success").asBoolean()).isFalse();
    assertThat(bad.at("/data/StatusCode").asInt()).isEqualTo(FakePanda.SC_INVALID);

    String report = JSON.writeValueAsString(Map.of(EVNT, Map.of("guid", "0A1B2C3D-0000-4000-8000-000000000001",
        "fsize", 1234, "adler32", "0a1b2c3d", "surl", "file:///se/x", "endpoint", "CERN-COPILOT_DATADISK"),
        LOG, Map.of("guid", "0A1B2C3D-0000-4000-8000-000000000002", "fsize", 99, "adler32", "00000001",
            "surl", "file:///se/log", "endpoint", "CERN-COPILOT_DATADISK")));
    JsonNode finished = v1("update_job", "prod-token", Map.of("job_id", id, "job_status", "finished",
        "job_output_report", report, "n_events", 10, "job_metrics", "actualCoreCount=1 nEvents=10"));
    assertThat(finished.get("success").asBoolean()).isTrue();
    assertThat(job(id).state()).isEqualTo("finished");
    assertThat(job(id).nEvents()).isEqualTo(10);
    assertThat(job(id).jobMetrics()).isEqualTo("actualCoreCount=1 nEvents=10");
  }

  @Test
  void credentialsAreAnsweredAsTheRealServerAnswersThem() throws Exception {
    panda.submit(List.of(evgen(1)));
    assertThat(form("getJob", null, GET)).containsEntry("StatusCode", "60");
    HttpResponse<String> forged = post("/server/panda/getJob", "forged", "application/x-www-form-urlencoded",
        GET.getBytes(StandardCharsets.UTF_8));
    assertThat(forged.statusCode()).isEqualTo(403);
    assertThat(forged.body()).contains("Token authentication failed");
    assertThat(form("getJob", "user-token", GET)).containsEntry("StatusCode", "60");
    assertThat(form("updateJob", null, "jobId=1&state=running")).containsEntry("StatusCode", "60");
    assertThat(v1("acquire_jobs", null, Map.of("site_name", "CERN-COPILOT")).get("success").asBoolean()).isFalse();
    assertThat(panda.list().get(0).state()).isEqualTo("activated");
  }

  @Test
  void anUpdateNamingNoJobOrAnUnknownStateIsAnsweredZeroAndChangesNothing() throws Exception {
    long id = panda.submit(List.of(evgen(1))).get(0);
    form("getJob", "prod-token", GET);
    assertThat(form("updateJob", "prod-token", "jobId=NULL&state=running")).containsEntry("StatusCode", "0");
    assertThat(form("updateJob", "prod-token", "jobId=" + id + "&state=dancing")).containsEntry("StatusCode", "0");
    assertThat(job(id).state()).isEqualTo("sent");
  }

  private static String poolFileCatalog(String... lfns) {
    StringBuilder x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\" ?>\n"
        + "<!DOCTYPE POOLFILECATALOG SYSTEM \"InMemory\">\n<POOLFILECATALOG>");
    for (int i = 0; i < lfns.length; i++) {
      x.append("<File ID=\"0A1B2C3D-0000-4000-8000-00000000000").append(i + 1).append("\"><logical><lfn name=\"")
          .append(lfns[i]).append("\"/></logical><metadata att_name=\"fsize\" att_value=\"1234\"/><metadata")
          .append(" att_name=\"adler32\" att_value=\"0a1b2c3d\"/><metadata att_name=\"surl\" att_value=\"file:///se/x\"/>")
          .append("</File>");
    }
    return x.append("</POOLFILECATALOG>").toString();
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void aFinalReportInPilot3sJsonPassesThroughHoldingToFinished() throws Exception {
    long id = panda.submit(List.of(evgen(1))).get(0);
    form("getJob", "prod-token", GET);
    for (String s : List.of("starting", "running", "running", "transferring")) {
      assertThat(form("updateJob", "prod-token", "jobId=" + id + "&state=" + s + "&cpuConsumptionTime=3"))
          .containsEntry("StatusCode", "0").containsEntry("command", "NULL");
      assertThat(job(id).state()).isEqualTo(s);
    }
    // A finished report without the output file is refused and changes nothing.
    assertThat(form("updateJob", "prod-token", "jobId=" + id + "&state=finished&xml=")).containsEntry("StatusCode", "30");
    String lacking = JSON.writeValueAsString(Map.of(EVNT, Map.of("guid", "G", "surl", "file:///se/x")));
    assertThat(form("updateJob", "prod-token", "jobId=" + id + "&state=finished&xml=" + enc(lacking)))
        .containsEntry("StatusCode", "30").extractingByKey("errorDialog").asString().contains("Could not get GUID");
    assertThat(job(id).state()).isEqualTo("transferring");

    String report = JSON.writeValueAsString(Map.of(
        EVNT, Map.of("guid", "0A1B2C3D-0000-4000-8000-000000000001", "fsize", 1234, "adler32", "0a1b2c3d",
            "surl", "file:///se/x", "endpoint", "CERN-COPILOT_DATADISK"),
        LOG, Map.of("guid", "0A1B2C3D-0000-4000-8000-000000000002", "fsize", 99, "adler32", "00000001",
            "surl", "file:///se/log", "endpoint", "CERN-COPILOT_DATADISK")));
    JsonNode answer = pilot3("updateJob", "prod-token", Map.of("jobId", id, "state", "finished", "xml", report));
    assertThat(answer.get("StatusCode").asInt()).isZero();
    JobView done = job(id);
    assertThat(done.state()).isEqualTo("finished");
    assertThat(done.history()).anyMatch(h -> h.contains(" holding: final report: finished"));
    assertThat(done.outputs()).extracting(PandaOutput::lfn).containsExactlyInAnyOrder(EVNT, LOG);
    assertThat(done.outputs().stream().filter(o -> o.lfn().equals(EVNT))).singleElement().satisfies(o -> {
      assertThat(o.adler32()).isEqualTo("0a1b2c3d");
      assertThat(o.fsize()).isEqualTo(1234);
      assertThat(o.endpoint()).isEqualTo("CERN-COPILOT_DATADISK");
    });
    // The same final report again is accepted and changes nothing; a different one is not.
    assertThat(form("updateJob", "prod-token", "jobId=" + id + "&state=finished&xml=" + enc(report)))
        .containsEntry("StatusCode", "0").containsEntry("command", "alreadydone");
    assertThat(form("updateJob", "prod-token", "jobId=" + id + "&state=failed")).containsEntry("StatusCode", "30");
  }

  @Test
  void aFinishedJobsOutputsAreADatasetsFilesAndTheirReplicasAreServedForTheNextStepsInputs(@TempDir Path se)
      throws Exception {
    long id = panda.submit(List.of(evgen(1))).get(0);
    form("getJob", "prod-token", GET);
    Path stored = Files.writeString(se.resolve("evnt"), "HepMC::Version 3.01.02\n");
    String report = JSON.writeValueAsString(Map.of(
        EVNT, Map.of("guid", "0A1B2C3D-0000-4000-8000-000000000001", "fsize", 23, "adler32", "5e3c0791",
            "surl", stored.toUri().toString(), "endpoint", "CERN-COPILOT_DATADISK"),
        LOG, Map.of("guid", "0A1B2C3D-0000-4000-8000-000000000002", "fsize", 99, "adler32", "00000001",
            "surl", "https://se.example/log", "endpoint", "CERN-COPILOT_DATADISK")));
    String dataset = "mc23_13p6TeV.950000.x.evgen.EVNT.e1_tid47000001_00";
    // Until the job finishes, the dataset has no files.
    assertThat(panda.datasetFiles(dataset)).isEmpty();
    pilot3("updateJob", "prod-token", Map.of("jobId", id, "state", "finished", "xml", report));

    List<JobDefinition.Input> files = new PandaAdmin(panda.url(), "admin-token").datasetFiles(dataset);
    assertThat(files).containsExactly(new JobDefinition.Input(EVNT, "0A1B2C3D-0000-4000-8000-000000000001", 23,
        "5e3c0791", "mc23_13p6TeV", dataset, "CERN-COPILOT_DATADISK"));

    URI base = panda.replicaUrl("CERN-COPILOT_DATADISK");
    HttpResponse<String> replica = http.send(HttpRequest.newBuilder(URI.create(base + "/mc23_13p6TeV/" + EVNT)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(replica.statusCode()).isEqualTo(200);
    assertThat(replica.body()).isEqualTo("HepMC::Version 3.01.02\n");
    HttpResponse<String> elsewhere = http.send(HttpRequest.newBuilder(URI.create(base + "/mc23_13p6TeV/" + LOG)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(elsewhere.statusCode()).isEqualTo(302);
    assertThat(elsewhere.headers().firstValue("Location")).contains("https://se.example/log");
    for (String wrong : List.of("/mc23_13p6TeV/EVNT.nothing", "/other_scope/" + EVNT, "/../../etc/passwd", "/x")) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + wrong)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(wrong).isEqualTo(404);
    }
    HttpResponse<String> otherEndpoint = http.send(HttpRequest.newBuilder(
        URI.create(panda.replicaUrl("FAR_AWAY") + "/mc23_13p6TeV/" + EVNT)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(otherEndpoint.statusCode()).isEqualTo(404);
    Files.delete(stored);
    assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/mc23_13p6TeV/" + EVNT)).build(),
        HttpResponse.BodyHandlers.ofString()).body()).contains("is lost");

    // The next step's jobs take these files as their inputs, with what PanDA hands a pilot for each.
    Derivation derivation = new Derivation(dataset, 5, "AthDerivation,23.6.1", 47000002);
    long next = panda.submit(derivation.jobs(files)).get(0);
    Map<String, String> job = form("getJob", "prod-token", GET);
    assertThat(job).containsEntry("PandaID", Long.toString(next)).containsEntry("transformation", "Derivation_tf.py")
        .containsEntry("inFiles", EVNT).containsEntry("fsize", "23").containsEntry("checksum", "ad:5e3c0791")
        .containsEntry("scopeIn", "mc23_13p6TeV").containsEntry("ddmEndPointIn", "CERN-COPILOT_DATADISK")
        .containsEntry("realDatasetsIn", dataset).containsEntry("processingType", "deriv");
    assertThat(job.get("jobPars")).isEqualTo("--inputEVNTFile=" + EVNT
        + " --outputDAOD_TRUTH1File=DAOD_TRUTH1.47000002._000001.pool.root.1 --reductionConf=TRUTH1");
    assertThat(job.get("realDatasets")).startsWith("mc23_13p6TeV.950000.x.deriv.DAOD_TRUTH1.e1_p6266_tid47000002_00");
  }

  @Test
  void aPoolFileCatalogIsStillReadAsAnOlderServerDid() throws Exception {
    long id = panda.submit(List.of(evgen(1))).get(0);
    form("getJob", "prod-token", GET);
    assertThat(form("updateJob", "prod-token", "jobId=" + id + "&state=finished&xml=" + enc(poolFileCatalog(EVNT, LOG))))
        .containsEntry("StatusCode", "0");
    assertThat(job(id).state()).isEqualTo("finished");
    assertThat(job(id).outputs()).hasSize(2).first().satisfies(o -> {
      assertThat(o.guid()).isEqualTo("0A1B2C3D-0000-4000-8000-000000000001");
      assertThat(o.adler32()).isEqualTo("0a1b2c3d");
    });
  }

  @Test
  void aSilentDispatchedJobFailsWithLostHeartbeatAndAKilledOneIsToldToBeKilled() throws Exception {
    List<Long> ids = panda.submit(List.of(evgen(1), evgen(2), evgen(3)));
    form("getJob", "prod-token", GET);
    form("getJob", "prod-token", GET);
    form("updateJob", "prod-token", "jobId=" + ids.get(1) + "&state=running");

    time.advance(Duration.ofMinutes(20));
    form("updateJob", "prod-token", "jobId=" + ids.get(1) + "&state=running");
    time.advance(Duration.ofMinutes(15));
    assertThat(job(ids.get(0)).state()).isEqualTo("failed");
    assertThat(job(ids.get(0)).pilotErrorDiag()).isEqualTo("lost heartbeat");
    assertThat(job(ids.get(1)).state()).isEqualTo("running");

    assertThat(panda.kill(ids.get(1))).hasValue("running");
    assertThat(form("updateJob", "prod-token", "jobId=" + ids.get(1) + "&state=running"))
        .containsEntry("command", "tobekilled");
    form("updateJob", "prod-token", "jobId=" + ids.get(1) + "&state=failed&pilotErrorCode=1144&pilotErrorDiag=killed");
    assertThat(job(ids.get(1)).state()).isEqualTo("cancelled");
    assertThat(panda.kill(ids.get(2))).hasValue("cancelled");
  }

  @Test
  void badBodiesAreRefusedWithoutChangingAnyJob() throws Exception {
    long id = panda.submit(List.of(evgen(1))).get(0);
    assertThat(post("/server/panda/getJob", "prod-token", "application/json", "{not json".getBytes(StandardCharsets.UTF_8))
        .statusCode()).isEqualTo(500);
    assertThat(post("/server/panda/getJob", "prod-token", "application/json", new byte[] {0x1f, (byte) 0x8b, 1, 2})
        .statusCode()).isEqualTo(500);
    byte[] bomb = gzip(new byte[PandaParams.MAX_BODY_BYTES + 1]);
    assertThat(post("/server/panda/getJob", "prod-token", "application/json", bomb).statusCode()).isEqualTo(413);
    assertThat(post("/server/panda/getJob", "prod-token", "application/x-www-form-urlencoded",
        "siteName=%zz".getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(500);
    assertThat(job(id).state()).isEqualTo("activated");
  }

  @Test
  void aServerWithoutOneApiAnswersItsMethodsForbidden() throws Exception {
    panda.serveApis(false, true);
    HttpResponse<String> legacy = post("/server/panda/getJob", "prod-token", "application/x-www-form-urlencoded",
        GET.getBytes(StandardCharsets.UTF_8));
    assertThat(legacy.statusCode()).isEqualTo(403);
    assertThat(legacy.body()).contains("method getJob is forbidden");
    panda.serveApis(true, false);
    assertThat(post("/api/v1/pilot/acquire_jobs", "prod-token", "application/json", "{}".getBytes(StandardCharsets.UTF_8))
        .statusCode()).isEqualTo(403);
  }

  @Test
  void injectedFaultsAndTheAdminEndpoints() throws Exception {
    HttpRequest submit = HttpRequest.newBuilder(URI.create(panda.url() + "/admin/jobs"))
        .header("Authorization", "Bearer admin-token")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(List.of(evgen(1))))).build();
    assertThat(http.send(submit, HttpResponse.BodyHandlers.ofString()).body()).contains("PandaIDs");
    HttpRequest noAdmin = HttpRequest.newBuilder(URI.create(panda.url() + "/admin/jobs")).build();
    assertThat(http.send(noAdmin, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(403);

    byte[] get = GET.getBytes(StandardCharsets.UTF_8);
    panda.inject(new FakePanda.Faults(1, 0, 0, 0, 0));
    assertThat(post("/server/panda/getJob", "prod-token", "application/x-www-form-urlencoded", get).statusCode())
        .isEqualTo(503);
    panda.inject(new FakePanda.Faults(0, 1, 0, 0, 0));
    assertThat(post("/server/panda/getJob", "prod-token", "application/x-www-form-urlencoded", get).body())
        .contains("<html>");
    panda.inject(new FakePanda.Faults(0, 0, 1, 0, 0));
    assertThat(form("getJob", "prod-token", GET)).containsEntry("StatusCode", "20");
    assertThat(form("getJob", "prod-token", GET)).containsEntry("StatusCode", "0");
  }
}
