package org.cernvm.copilot.jobmanager.generic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.cernvm.copilot.jobmanager.Claim;
import org.cernvm.copilot.jobmanager.JobSourceException;
import org.cernvm.copilot.jobmanager.LeaseFencedException;
import org.cernvm.copilot.jobmanager.UnknownJobException;
import org.cernvm.copilot.jobmanager.UpstreamUnavailableException;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.Outcome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The generic queue in a real PostgreSQL: what the contract asks, and what several hosts sharing it need. */
class SqlQueueTest extends JobQueueContract {
  private final List<TestPostgres> schemas = new ArrayList<>();
  private TestPostgres db;

  @Override
  JobQueue open(Clock clock, int maxAttempts) throws Exception {
    db = new TestPostgres();
    schemas.add(db);
    return JobQueue.open(db.location(4), clock, maxAttempts);
  }

  @AfterEach
  void dropSchemas() throws Exception {
    queue.close();
    for (TestPostgres s : schemas) {
      s.close();
    }
  }

  @Test
  void jobManagersOnTwoHostsClaimingAtOnceTakeEveryJobExactlyOnce() throws Exception {
    int jobs = 600;
    for (int i = 0; i < jobs; i++) {
      queue.submit(NewJob.of("true"));
    }
    // Two hosts: each its own queue instance, with its own connections, and four claimers.
    try (JobQueue other = JobQueue.open(db.location(4), time.clock(), 2)) {
      ExecutorService claimers = Executors.newFixedThreadPool(8);
      List<String> claimed = Collections.synchronizedList(new ArrayList<>());
      List<Future<?>> running = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        JobQueue q = t % 2 == 0 ? queue : other;
        boolean bulk = t % 4 < 2;
        String agent = "agent-" + t;
        running.add(claimers.submit(() -> {
          while (true) {
            List<Claim> got = bulk ? q.claim(agent, ONE_CORE, LEASE, 7)
                : q.claim(agent, ONE_CORE, LEASE).map(List::of).orElse(List.of());
            if (got.isEmpty()) {
              return null;
            }
            got.forEach(c -> claimed.add(c.job().jobId()));
          }
        }));
      }
      for (Future<?> f : running) {
        f.get();
      }
      claimers.shutdown();
      assertThat(claimed).hasSize(jobs).doesNotHaveDuplicates();
      assertThat(other.counts()).containsEntry(JobStatus.LEASED, jobs).containsEntry(JobStatus.QUEUED, 0);
    }
  }

  @Test
  void aBulkReportFailsOnlyTheEndsTheRulesRefuseAndRecordsARepeatOnce() throws Exception {
    queue.submit(NewJob.of("true"));
    queue.submit(NewJob.of("true"));
    Claim a = queue.claim("agent-1", ONE_CORE, LEASE).orElseThrow();
    Claim b = queue.claim("agent-1", ONE_CORE, LEASE).orElseThrow();
    queue.release(b.job().jobId(), b.lease().ref(), "draining");
    JobDone ok = done(a, Outcome.SUCCEEDED);
    JobDone fenced = done(b, Outcome.SUCCEEDED);
    JobDone unknown = new JobDone("d", time.clock().instant(), "agent-1", "g999999", a.lease().ref(),
        Outcome.SUCCEEDED, kindOf(Outcome.SUCCEEDED), 0, "", ok.usage(), ok.report(), List.of(), ANY_TICKET);
    Map<JobDone, JobSourceException> failed = queue.finishAll(List.of(ok, fenced, ok, unknown));
    assertThat(failed).containsOnlyKeys(fenced, unknown);
    assertThat(failed.get(fenced)).isInstanceOf(LeaseFencedException.class);
    assertThat(failed.get(unknown)).isInstanceOf(UnknownJobException.class);
    QueuedJob job = queue.get(a.job().jobId()).orElseThrow();
    assertThat(job.status()).isEqualTo(JobStatus.DONE);
    assertThat(job.history().stream().filter(h -> h.contains(" DONE"))).hasSize(1);
    assertThat(queue.get(b.job().jobId()).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
  }

  @Test
  void reopeningKeepsTheJobsAndTheirIdsGoOnFromWhereTheyWere() throws Exception {
    String first = queue.submit(NewJob.of("true"));
    queue.close();
    queue = JobQueue.open(db.location(2), time.clock(), 2);
    String second = queue.submit(NewJob.of("true"));
    assertThat(queue.list()).extracting(QueuedJob::jobId).containsExactly(first, second);
    assertThat(queue.where()).as("no credentials, no parameters").isEqualTo(TestPostgres.URL + " as " + TestPostgres.USER);
  }

  @Test
  void anUnreachableOrRefusingDatabaseIsAnUnavailableUpstreamThatSaysWhere() {
    JobQueue.Location nobody = new JobQueue.Location(null, "jdbc:postgresql://127.0.0.1:1/copilot", "copilot",
        "copilot", 1);
    assertThatThrownBy(() -> JobQueue.open(nobody, time.clock(), 2)).isInstanceOf(UpstreamUnavailableException.class)
        .hasMessageContaining("cannot connect to the job queue at jdbc:postgresql://127.0.0.1:1/copilot as copilot");
    JobQueue.Location wrongPassword = new JobQueue.Location(null, TestPostgres.URL, TestPostgres.USER, "not-it", 1);
    assertThatThrownBy(() -> JobQueue.open(wrongPassword, time.clock(), 2))
        .isInstanceOf(UpstreamUnavailableException.class).hasMessageContaining("password authentication failed")
        .hasMessageNotContaining("not-it");
  }
}
