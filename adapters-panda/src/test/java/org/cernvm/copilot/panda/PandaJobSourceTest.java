package org.cernvm.copilot.panda;

import org.cernvm.copilot.testkit.panda.JobView;
import org.cernvm.copilot.testkit.panda.FakePanda;
import org.cernvm.copilot.testkit.panda.Evgen;
import org.cernvm.copilot.testkit.panda.JobDefinition;
import org.cernvm.copilot.testkit.panda.PandaParams;
import java.time.Instant;
import org.cernvm.copilot.jobmanager.NotLeaseHolderException;
import org.cernvm.copilot.jobmanager.HandOver;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.cernvm.copilot.jobmanager.Claim;
import org.cernvm.copilot.jobmanager.LeaseFencedException;
import org.cernvm.copilot.jobmanager.OutputsNotRegisteredException;
import org.cernvm.copilot.jobmanager.UpstreamUnavailableException;
import org.cernvm.copilot.panda.PandaConfig;
import org.cernvm.copilot.panda.PandaJobSource;
import org.cernvm.copilot.protocol.FailureKind;
import org.cernvm.copilot.protocol.FileCheck;
import org.cernvm.copilot.protocol.Heartbeat;
import org.cernvm.copilot.protocol.InputFile;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.JobState;
import org.cernvm.copilot.protocol.JobTicket;
import org.cernvm.copilot.protocol.LeaseRef;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.PayloadReport;
import org.cernvm.copilot.protocol.RegisterOutputs;
import org.cernvm.copilot.protocol.Resources;
import org.cernvm.copilot.protocol.StoredFile;
import org.cernvm.copilot.protocol.Usage;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.testing.Keytool;
import org.cernvm.copilot.protocol.testing.ManualScheduler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The PanDA adapter against the fake PanDA server over real HTTP: translation, relaying, reports, faults. */
class PandaJobSourceTest {
  /** The source never reads the ticket: the job manager opens it and calls {@code adopt}. */
  private static final JobTicket ANY_TICKET = new JobTicket("k", "AAAAAAAAAAAAAAAA", "eA==");
  static final Resources SLOT = new Resources(1, 2048, 20_000, Duration.ofHours(24), "x86_64-linux", List.of());

  private final ManualScheduler time = new ManualScheduler();
  private FakePanda panda;
  private PandaJobSource source;
  private final Evgen evgen = new Evgen(100, 13600, 950000, "MC23.CoPilotDY_Zll", "AtlasProduction,23.6.1", 47000001L);

  @BeforeEach
  void setUp() throws Exception {
    panda = FakePanda.start(time.clock(), Duration.ofMinutes(30), Map.of("prod", "production"), "admin", 0);
    source = open("prod", "1ms");
  }

  private PandaJobSource open(String token, String updateInterval) {
    return open(token, updateInterval, "auto");
  }

  private PandaJobSource open(String token, String updateInterval, String api) {
    return PandaJobSource.open(PandaConfig.from(Settings.of(Map.of("panda.url", panda.url().toString(),
        "panda.token", token, "panda.release-dir", "/cvmfs/release", "panda.attempts", "3",
        "panda.backoff-min", "20ms", "panda.timeout", "500ms", "panda.update-interval", updateInterval,
        "panda.empty-pause", "5s", "panda.api", api, "panda.storage-endpoint", "NOT_THE_JOBS_DATADISK"))), time.clock());
  }

  /** Runs one job from claim to finished report through {@code s}. */
  private void runOne(PandaJobSource s, long id) throws Exception {
    Claim c = s.claim("agent-1", SLOT, Duration.ofMinutes(1)).orElseThrow();
    assertThat(c.job().jobId()).isEqualTo(Long.toString(id));
    OutputFile evnt = new OutputFile(c.job().outputs().get(0), 10, "0badcafe", "0123456789abcdef0123456789abcdef");
    s.registerOutputs(new RegisterOutputs(MessageIds.next(), time.clock().instant(), "agent-1", c.job().jobId(),
        c.lease().ref(), List.of(new StoredFile(evnt, "file:///se/e"), logOf(c)), ANY_TICKET));
    s.finish(done(c, Outcome.SUCCEEDED, 0, "", List.of(evnt, logOf(c).file())));
    assertThat(job(id).state()).isEqualTo("finished");
  }

  @Test
  void inputsAreResolvedThroughTheEndpointMapWithTheirSizeAndChecksumAndAnUnknownEndpointFails1100() throws Exception {
    JobDefinition.Input evnt = new JobDefinition.Input("EVNT.47000001._000001.pool.root.1",
        "0A1B2C3D-0000-4000-8000-000000000001", 1234, "0a1b2c3d", "mc23_13p6TeV", "mc23_13p6TeV.950000.x.EVNT", "SITE_DATADISK");
    JobDefinition.Input elsewhere = new JobDefinition.Input("EVNT.47000001._000002.pool.root.1",
        "0A1B2C3D-0000-4000-8000-000000000002", 1, "00000001", "mc23_13p6TeV", "mc23_13p6TeV.950000.x.EVNT", "FAR_AWAY");
    List<Long> ids = panda.submit(List.of(evgen.job(1).withInputs(List.of(evnt)), evgen.job(2).withInputs(List.of(elsewhere))));
    try (PandaJobSource withEndpoints = PandaJobSource.open(PandaConfig.from(Settings.of(Map.of(
        "panda.url", panda.url().toString(), "panda.token", "prod", "panda.release-dir", "/cvmfs/release",
        "panda.endpoints", "SITE_DATADISK=file:///se/rucio/,OTHER=https://se.example/dav"))), time.clock())) {
      Claim c = withEndpoints.claim("agent-1", SLOT, Duration.ofMinutes(1)).orElseThrow();
      assertThat(c.job().inputs()).singleElement().isEqualTo(new InputFile(evnt.lfn(),
          "file:///se/rucio/mc23_13p6TeV/" + evnt.lfn(), List.of(FileCheck.size(1234), FileCheck.adler32("0a1b2c3d"))));
      assertThat(withEndpoints.claim("agent-1", SLOT, Duration.ofMinutes(1))).isEmpty();
    }
    assertThat(job(ids.get(1)).state()).isEqualTo("failed");
    assertThat(job(ids.get(1)).pilotErrorCode()).isEqualTo("1100");
    assertThat(job(ids.get(1)).pilotErrorDiag()).contains("FAR_AWAY is not in panda.endpoints");
  }

  @ParameterizedTest
  @CsvSource({"STAGE_IN, 1099", "STAGE_IN_NOT_FOUND, 1103", "STAGE_IN_TIMEOUT, 1151", "STAGE_IN_ADLER32_MISMATCH, 1171",
      "STAGE_IN_MD5_MISMATCH, 1145", "NO_LOCAL_SPACE, 1098", "MISSING_INSTALLATION, 1211", "PAYLOAD, 1220",
      "MISSING_OUTPUT, 1165", "STAGE_OUT, 1137"})
  void aFailureKindBecomesItsPilotErrorCodeWhateverTheDiagnosticSays(FailureKind kind, String code) throws Exception {
    long id = panda.submit(List.of(evgen.job(1))).get(0);
    Claim c = source.claim("agent-1", SLOT, Duration.ofMinutes(1)).orElseThrow();
    source.finish(new JobDone(MessageIds.next(), time.clock().instant(), "agent-1", c.job().jobId(), c.lease().ref(),
        Outcome.FAILED, kind, 2, "stage-out failed: words no adapter reads", Usage.none(), PayloadReport.UNKNOWN, List.of(), ANY_TICKET));
    assertThat(job(id).pilotErrorCode()).isEqualTo(code);
  }

  @Test
  void theFinalReportCarriesTheEventsCpuTimeAndJobMetricsOfThePayloadsJobReport() throws Exception {
    List<Long> ids = panda.submit(List.of(evgen.job(1), evgen.job(2)));
    Claim c = source.claim("agent-1", SLOT, Duration.ofMinutes(1)).orElseThrow();
    OutputFile evnt = new OutputFile(c.job().outputs().get(0), 10, "0badcafe", "0123456789abcdef0123456789abcdef");
    source.registerOutputs(new RegisterOutputs(MessageIds.next(), time.clock().instant(), "agent-1", c.job().jobId(),
        c.lease().ref(), List.of(new StoredFile(evnt, "file:///se/e"), logOf(c)), ANY_TICKET));
    Usage measured = new Usage(Duration.ofMinutes(2), 50.4, 100, 200);
    source.finish(new JobDone(MessageIds.next(), time.clock().instant(), "agent-1", c.job().jobId(), c.lease().ref(),
        Outcome.SUCCEEDED, FailureKind.NONE, 0, "", measured, new PayloadReport(100, 42, 123_456),
        List.of(evnt, logOf(c).file()), ANY_TICKET));
    JobView finished = job(ids.get(0));
    assertThat(finished.nEvents()).isEqualTo(100);
    assertThat(finished.cpuConsumptionTime()).isEqualTo(42);
    assertThat(finished.jobMetrics()).isEqualTo("coreCount=1 nEvents=100 workDirSize=123456");

    // A payload that left no report: the agent's own CPU measure, no events.
    Claim d = source.claim("agent-1", SLOT, Duration.ofMinutes(1)).orElseThrow();
    source.finish(new JobDone(MessageIds.next(), time.clock().instant(), "agent-1", d.job().jobId(), d.lease().ref(),
        Outcome.FAILED, FailureKind.PAYLOAD, 3, "exit 3", measured, PayloadReport.UNKNOWN, List.of(), ANY_TICKET));
    JobView failed = job(ids.get(1));
    assertThat(failed.nEvents()).isZero();
    assertThat(failed.cpuConsumptionTime()).isEqualTo(50);
    assertThat(failed.jobMetrics()).isEqualTo("coreCount=1");
  }

  @Test
  void aCallRacingTheJobManagersStopIsAnUpstreamFailureNotAnInternalError() throws Exception {
    panda.submit(List.of(evgen.job(1)));
    PandaJobSource closed = open("prod", "1ms");
    closed.close();
    assertThatThrownBy(() -> closed.claim("agent-1", SLOT, Duration.ofMinutes(1)))
        .isInstanceOf(UpstreamUnavailableException.class).hasMessageContaining("the PanDA client is closed");
  }

  @Test
  void theAdapterSpeaksV1ToTodaysServerAndFallsBackToLegacyOnAnOlderOne() throws Exception {
    List<Long> ids = panda.submit(List.of(evgen.job(1), evgen.job(2), evgen.job(3), evgen.job(4)));
    panda.serveApis(false, true);
    runOne(source, ids.get(0));
    try (PandaJobSource legacyOnly = open("prod", "1ms", "legacy")) {
      assertThatThrownBy(() -> legacyOnly.claim("agent-1", SLOT, Duration.ofMinutes(1)))
          .isInstanceOf(UpstreamUnavailableException.class).hasMessageContaining("method getJob is forbidden");
    }
    panda.serveApis(true, false);
    try (PandaJobSource auto = open("prod", "1ms", "auto"); PandaJobSource v1Only = open("prod", "1ms", "v1")) {
      runOne(auto, ids.get(1));
      runOne(auto, ids.get(2));
      assertThatThrownBy(() -> v1Only.claim("agent-1", SLOT, Duration.ofMinutes(1)))
          .isInstanceOf(UpstreamUnavailableException.class).hasMessageContaining("no such method");
    }
    assertThat(job(ids.get(3)).state()).isEqualTo("activated");
  }

  @AfterEach
  void tearDown() {
    source.close();
    panda.close();
  }

  private JobView job(long id) {
    return panda.list().stream().filter(j -> j.pandaId() == id).findFirst().orElseThrow();
  }

  private JobDone done(Claim c, Outcome outcome, int exit, String diag, List<OutputFile> outputs) {
    return new JobDone(MessageIds.next(), time.clock().instant(), "agent-1", c.job().jobId(), c.lease().ref(), outcome, kindOf(outcome),
        exit, diag, Usage.none(), PayloadReport.UNKNOWN, outputs, ANY_TICKET);
  }

  @Test
  void issue18_aPrefetchTakesManyJobsInOneGetJobAndTheAgentsNodeReachesPandaWithItsFirstHeartbeat() throws Exception {
    for (String api : List.of("v1", "legacy")) {
      panda.submit(List.of(evgen.job(1), evgen.job(2), evgen.job(3), evgen.job(4), evgen.job(5)));
      try (PandaJobSource s = open("prod", "1ms", api)) {
        List<Claim> claims = s.claim("prefetch.jm-1", SLOT, Duration.ofMinutes(10), 10);
        assertThat(claims).as(api).hasSize(5);
        Claim c = claims.get(0);
        assertThat(job(Long.parseLong(c.job().jobId())).state()).isEqualTo("sent");
        Instant deadline = time.clock().instant().plus(Duration.ofMinutes(1));
        s.assign(new HandOver(c, "prefetch.jm-1", "agent-7", deadline));
        assertThat(s.heartbeat(new Heartbeat(MessageIds.next(), time.clock().instant(), "agent-7", c.job().jobId(),
            c.lease().ref(), JobState.RUNNING, Usage.none(), ANY_TICKET), Duration.ofMinutes(1))).isEmpty();
        JobView v = job(Long.parseLong(c.job().jobId()));
        assertThat(v.state()).isEqualTo("running");
        assertThat(v.node()).isEqualTo("agent-7");
        // The job manager holds the others; no agent may act on them, nor on the handed one as the holder.
        assertThatThrownBy(() -> s.assign(new HandOver(c, "prefetch.jm-1", "agent-8", deadline)))
            .isInstanceOf(NotLeaseHolderException.class);
      }
    }
  }

  @Test
  void issue4_aPandaJobBecomesACoPilotJobAndFinishesWithItsOutputCatalog() throws Exception {
    long id = panda.submit(List.of(evgen.job(3))).get(0);
    Claim c = source.claim("agent-1", SLOT, Duration.ofMinutes(1)).orElseThrow();
    assertThat(c.job().jobId()).isEqualTo(Long.toString(id));
    assertThat(c.job().source()).isEqualTo("panda");
    assertThat(c.job().command()).isEqualTo(Path.of("/cvmfs/release/Generate_tf.py").toString());
    assertThat(c.job().args()).contains("--randomSeed=3", "--firstEvent=201", "--maxEvents=100",
        "--outputEVNTFile=EVNT.47000001._000003.pool.root.1");
    assertThat(c.job().outputs()).containsExactly("EVNT.47000001._000003.pool.root.1");
    assertThat(c.job().env()).containsEntry("PandaID", Long.toString(id));
    assertThat(job(id).state()).isEqualTo("starting");
    assertThat(job(id).node()).isEqualTo("agent-1");

    time.advance(Duration.ofSeconds(1));
    Heartbeat hb = new Heartbeat(MessageIds.next(), time.clock().instant(), "agent-1", c.job().jobId(),
        c.lease().ref(), JobState.RUNNING, Usage.none(), ANY_TICKET);
    assertThat(source.heartbeat(hb, Duration.ofMinutes(1))).isEmpty();
    assertThat(job(id).state()).isEqualTo("running");

    OutputFile evnt = new OutputFile("EVNT.47000001._000003.pool.root.1", 4321, "0badcafe", "0123456789abcdef0123456789abcdef");
    assertThatThrownBy(() -> source.finish(done(c, Outcome.SUCCEEDED, 0, "", List.of(evnt))))
        .isInstanceOf(OutputsNotRegisteredException.class);
    source.registerOutputs(new RegisterOutputs(MessageIds.next(), time.clock().instant(), "agent-1", c.job().jobId(),
        c.lease().ref(), List.of(new StoredFile(evnt, "file:///se/panda/x/1/EVNT"), logOf(c)), ANY_TICKET));
    JobDone ok = done(c, Outcome.SUCCEEDED, 0, "", List.of(evnt, logOf(c).file()));
    source.finish(ok);
    source.finish(ok);
    JobView finished = job(id);
    assertThat(finished.state()).isEqualTo("finished");
    assertThat(c.job().log().file()).isEqualTo("log.47000001._000003.job.log.tgz.1");
    assertThat(c.job().log().directory()).isEqualTo("tarball_PandaJob_" + id + "_CERN-COPILOT");
    assertThat(finished.outputs()).hasSize(2).filteredOn(o -> o.lfn().startsWith("EVNT")).singleElement().satisfies(o -> {
      assertThat(o.fsize()).isEqualTo(4321);
      assertThat(o.adler32()).isEqualTo("0badcafe");
      assertThat(o.surl()).isEqualTo("file:///se/panda/x/1/EVNT");
      assertThat(o.guid()).matches("[0-9A-F-]{36}");
    });
    assertThat(finished.outputs()).allSatisfy(o -> assertThat(o.endpoint()).isEqualTo("CERN-COPILOT_DATADISK"));
    assertThat(finished.outputs()).filteredOn(o -> o.lfn().startsWith("log.")).singleElement()
        .satisfies(o -> assertThat(o.guid()).isEqualTo(PandaParams.form(c.upstream()).get("logGUID")));
    assertThat(finished.history().stream().filter(h -> h.split(" ")[1].equals("finished:"))).hasSize(1);
    assertThat(finished.history()).anyMatch(h -> h.contains(" holding: final report: finished"));
    assertThatThrownBy(() -> source.heartbeat(hb, Duration.ofMinutes(1))).isInstanceOf(LeaseFencedException.class);
  }

  @Test
  void issue4_tobekilledBecomesAKillAndFailuresCarryThePilotErrorCode() throws Exception {
    List<Long> ids = panda.submit(List.of(evgen.job(1), evgen.job(2)));
    Claim first = source.claim("agent-1", SLOT, Duration.ofMinutes(1)).orElseThrow();
    Claim second = source.claim("agent-1", SLOT, Duration.ofMinutes(1)).orElseThrow();
    panda.kill(ids.get(0));
    time.advance(Duration.ofSeconds(1));
    Heartbeat hb = new Heartbeat(MessageIds.next(), time.clock().instant(), "agent-1", first.job().jobId(),
        first.lease().ref(), JobState.RUNNING, Usage.none(), ANY_TICKET);
    assertThat(source.heartbeat(hb, Duration.ofMinutes(1))).hasValue("PanDA: tobekilled");
    source.finish(done(first, Outcome.KILLED, 143, "killed: PanDA: tobekilled", List.of()));
    assertThat(job(ids.get(0)).state()).isEqualTo("cancelled");

    source.finish(done(second, Outcome.FAILED, 65, "payload exited with code 65", List.of()));
    assertThat(job(ids.get(1)).state()).isEqualTo("failed");
    assertThat(job(ids.get(1)).pilotErrorCode()).isEqualTo("1220");
    assertThat(job(ids.get(1)).pilotErrorDiag()).isEqualTo("payload exited with code 65");
  }

  @Test
  void issue4_transientFaultsAreRetriedAndNoJobsIsNotAnError() throws Exception {
    long id = panda.submit(List.of(evgen.job(1))).get(0);
    panda.inject(new FakePanda.Faults(2, 0, 0, 0, 0));
    assertThat(source.claim("agent-1", SLOT, Duration.ofMinutes(1))).isPresent();
    assertThat(job(id).state()).isEqualTo("starting");

    panda.submit(List.of(evgen.job(2)));
    panda.inject(new FakePanda.Faults(0, 1, 0, 2000, 1));
    assertThat(source.claim("agent-1", SLOT, Duration.ofMinutes(1))).isPresent();

    // StatusCode 20: nothing now, and PanDA is left alone for the empty pause.
    assertThat(source.claim("agent-1", SLOT, Duration.ofMinutes(1))).isEmpty();
    assertThat(source.hasWorkFor(SLOT)).isFalse();
    panda.submit(List.of(evgen.job(3)));
    time.advance(Duration.ofSeconds(6));
    assertThat(source.hasWorkFor(SLOT)).isTrue();
  }

  @Test
  void issue4_whenPandaStaysDownTheCallFailsRetryablyAndTheReportIsMadeOnceLater() throws Exception {
    panda.submit(List.of(evgen.job(1)));
    Claim c = source.claim("agent-1", SLOT, Duration.ofMinutes(1)).orElseThrow();
    panda.inject(new FakePanda.Faults(3, 0, 0, 0, 0));
    JobDone failed = done(c, Outcome.FAILED, 1, "payload exited with code 1", List.of());
    assertThatThrownBy(() -> source.finish(failed)).isInstanceOf(UpstreamUnavailableException.class)
        .hasMessageContaining("HTTP 503");
    assertThat(job(Long.parseLong(c.job().jobId())).state()).isEqualTo("starting");
    source.finish(failed);
    source.finish(failed);
    assertThat(job(Long.parseLong(c.job().jobId())).history().stream().filter(h -> h.split(" ")[1].equals("failed:")))
        .hasSize(1);
  }

  @Test
  void issue4_aClientCertificateAuthenticatesTheAdapterOverHttps(@TempDir Path certs) throws Exception {
    Path server = Keytool.pair(certs, "server", "localhost");
    Path adapter = Keytool.pair(certs, "adapter", "copilot-panda-adapter");
    Path stranger = Keytool.pair(certs, "stranger", "stranger");
    Path clients = Files.writeString(certs.resolve("clients.pem"),
        Files.readString(certs.resolve("adapter.pem")) + Files.readString(certs.resolve("stranger.pem")));
    try (FakePanda https = FakePanda.start(time.clock(), Duration.ofMinutes(30), Map.of(), "admin", 0,
        new FakePanda.Tls(server, Keytool.PASSWORD, clients, Map.of("CN=copilot-panda-adapter", "production")))) {
      https.submit(List.of(evgen.job(1)));
      assertThat(https.url().getScheme()).isEqualTo("https");
      try (PandaJobSource withCert = viaCertificate(https, adapter, certs.resolve("server.pem"));
          PandaJobSource withOther = viaCertificate(https, stranger, certs.resolve("server.pem"))) {
        assertThatThrownBy(() -> withOther.claim("agent-1", SLOT, Duration.ofMinutes(1)))
            .isInstanceOf(UpstreamUnavailableException.class).hasMessageContaining("no production/pilot role");
        assertThat(withCert.claim("agent-1", SLOT, Duration.ofMinutes(1))).isPresent();
      }
      assertThat(https.list().get(0).state()).isEqualTo("starting");
    }
  }

  private PandaJobSource viaCertificate(FakePanda server, Path keystore, Path trust) {
    return PandaJobSource.open(PandaConfig.from(Settings.of(Map.of("panda.url", server.url().toString(),
        "panda.client-keystore", keystore.toString(), "panda.client-keystore-password", Keytool.PASSWORD,
        "panda.trust", trust.toString(), "panda.release-dir", "/cvmfs/release", "panda.attempts", "1"))), time.clock());
  }

  @Test
  void issue4_refusedCredentialsAreNotRetriedAndAnExpiredLeaseIsReportedFailed() throws Exception {
    panda.submit(List.of(evgen.job(1), evgen.job(2)));
    try (PandaJobSource forged = open("forged", "1ms")) {
      assertThatThrownBy(() -> forged.claim("agent-1", SLOT, Duration.ofMinutes(1)))
          .isInstanceOf(UpstreamUnavailableException.class)
          .hasMessageContaining("HTTP 403").hasMessageContaining("Token authentication failed");
    }
    Claim c = source.claim("agent-1", SLOT, Duration.ofMinutes(1)).orElseThrow();
    time.advance(Duration.ofMinutes(2));
    assertThat(source.expireLeases()).isEqualTo(1);
    JobView j = job(Long.parseLong(c.job().jobId()));
    assertThat(j.state()).isEqualTo("failed");
    assertThat(j.pilotErrorDiag()).contains("lease of agent agent-1 expired");
    assertThatThrownBy(() -> source.finish(done(c, Outcome.SUCCEEDED, 0, "", List.of())))
        .isInstanceOf(LeaseFencedException.class);
    assertThat(c.lease().ref()).isEqualTo(new LeaseRef(c.lease().leaseId(), 1));
  }

  private static FailureKind kindOf(Outcome outcome) {
    return outcome == Outcome.FAILED ? FailureKind.PAYLOAD : FailureKind.of(outcome);
  }

  /** The job's log tarball, as the storage adapter registers it. */
  private static StoredFile logOf(Claim c) {
    return new StoredFile(new OutputFile(c.job().log().file(), 99, "00000001", "0123456789abcdef0123456789abcdef"),
        "file:///se/log");
  }
}
