package org.cernvm.copilot.protocol;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** One filled-in example of every verb. */
final class SampleMessages {
  static final Instant T = Instant.parse("2026-11-23T10:15:30.123Z");
  static final Resources RES = new Resources(4, 8192, 20_000, Duration.ofHours(12), "x86_64-el9", List.of("ATLAS"));
  static final LeaseRef LEASE = new LeaseRef("lease-1", 2);
  static final OutputFile OUT = new OutputFile("EVNT.pool.root", 1234, "0a1b2c3d", "0123456789abcdef0123456789abcdef");
  static final JobTicket JOB_TICKET = new JobTicket("k1", "AAAAAAAAAAAAAAAA", "c2VhbGVk");
  static final LeaseTicket TICKET = new LeaseTicket("jobmanager@copilot.local", "generic", "g000001", "agent-1", LEASE,
      JOB_TICKET, T, "MIIB", "MEUC");
  static final Sealed SEALED = new Sealed("MFkw", "AAAAAAAAAAAAAAAA", "c2VjcmV0");

  private SampleMessages() {}

  static List<Message> all() {
    JobSpec spec = new JobSpec("g000001", "generic", "generic", "sh", List.of("-c", "echo hi > out.txt"),
        Map.of("A", "1"), List.of(new InputFile("in.txt", "file:///tmp/in.txt", List.of(FileCheck.size(12), FileCheck.adler32("0a1b2c3d")))), List.of("out.txt"),
        JobLog.of("g000001"), Duration.ofMinutes(30), 1);
    Usage usage = new Usage(Duration.ofSeconds(42), 12.5, 100, 250);
    return List.of(
        new WantGetJob("m1", T, "agent-1", RES),
        new HaveGetJob("m2", T, "m1", "generic"),
        new GetJob("m3", T, "agent-1", RES),
        new RunJob("m4", T, "m3", spec, new Lease("lease-1", 2, T.plusSeconds(60)), TICKET),
        new Heartbeat("m5", T, "agent-1", "g000001", LEASE, JobState.RUNNING, usage, JOB_TICKET),
        new WantStoreJobOutputDir("m6", T, "agent-1", "g000001", "generic", "jobmanager@copilot.local", LEASE,
            List.of(OUT), TICKET),
        new StoreJobOutputDir("m7", T, "m6", "g000001",
            List.of(new UploadGrant("EVNT.pool.root", "https://se/upload/1", 2000, T.plusSeconds(600), SEALED))),
        new JobDone("m8", T, "agent-1", "g000001", LEASE, Outcome.SUCCEEDED, FailureKind.NONE, 0, "", usage, PayloadReport.UNKNOWN, List.of(OUT),
            JOB_TICKET),
        new Ack("m9", T, "m5", List.of(new Kill("m10", T, "g000001", "operator"), new Drain("m11", T, "agent-1", "x"))),
        new ErrorReply("m12", T, "m3", ErrorCode.NO_JOB, true, "nothing fits", Duration.ofMillis(250)),
        new Kill("m13", T, "g000001", "operator"),
        new Drain("m14", T, "agent-1", "maintenance"),
        new RegisterOutputs("m15", T, "agent-1", "g000001", LEASE,
            List.of(new StoredFile(OUT, "file:///srv/copilot/generic/g000001/2/EVNT.pool.root")), JOB_TICKET),
        new Enroll("m16", T, "agent-1", SEALED, "-----BEGIN CERTIFICATE REQUEST-----\nMII\n-----END CERTIFICATE REQUEST-----\n"),
        new Enrolled("m17", T, "m16", "-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\nB\n-----END CERTIFICATE-----\n"),
        new Renew("m18", T, "-----BEGIN CERTIFICATE REQUEST-----\nMII\n-----END CERTIFICATE REQUEST-----\n"),
        new FetchCrl("m19", T),
        new Crl("m20", T, "m19", "-----BEGIN X509 CRL-----\nMII\n-----END X509 CRL-----\n"));
  }
}
