package org.cernvm.copilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.cernvm.copilot.agent.Agent;
import org.cernvm.copilot.agent.AgentConfig;
import org.cernvm.copilot.jobmanager.generic.JobQueue;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.jobmanager.generic.QueuedJob;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.server.Services;
import org.cernvm.copilot.testkit.xmpp.EmbeddedXmppServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two job-manager hosts, each a network namespace with its own link, run {@code copilot job-manager} over the
 * generic queue in PostgreSQL; the XMPP server (embedded, with the key manager and a storage adapter) and
 * PostgreSQL ({@code scripts/postgres-up}) are reached over each host's link. One host's link is cut mid-run:
 * the other host's job manager goes on with the shared queue, and every job runs once. Needs root (ip netns);
 * it runs the packaged jar, so it runs after {@code package}.
 */
class NetnsHostsIT {
  private static final int POSTGRES_PORT = 15432;
  @TempDir Path dir;

  /** One job-manager host: its namespace, its link's two ends, and the address it reaches the servers at. */
  private record Host(String ns, String rootSide, String servers) {}

  @Test
  void aJobManagerHostCutOffMidRunLeavesTheOtherHostToFinishEveryJobOnce() throws Exception {
    int n = ThreadLocalRandom.current().nextInt(1, 250);
    Assumptions.assumeTrue(run("ip", "netns", "add", "cpjm" + n + "a") == 0, "needs root and ip netns (iproute2)");
    List<Host> hosts = List.of(host(n, 1, "cpjm" + n + "a"), host(n, 2, null));
    List<AutoCloseable> stack = new ArrayList<>();
    List<Process> jobManagers = new ArrayList<>();
    String schema = "netns_" + n + "_" + System.nanoTime() % 100_000;
    try (Services services = new Services("netns-hosts-test", 8)) {
      Pki pki = Pki.create(dir.resolve("ca"), services);
      EmbeddedXmppServer server = EmbeddedXmppServer.start(Demo.DOMAIN, pki.ca.issueServer(
          List.of(Demo.DOMAIN, "127.0.0.1"), Duration.ofDays(1)), pki.ca.certificate(), dir);
      stack.add(server);
      pki.serve(server, stack);
      AgentVm.startStorage(dir, pki, server, services, stack);
      for (Host h : hosts) {
        stack.add(TcpForward.start(new InetSocketAddress(InetAddress.getByName(h.servers()), server.port()),
            new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port())));
        stack.add(TcpForward.start(new InetSocketAddress(InetAddress.getByName(h.servers()), POSTGRES_PORT),
            new InetSocketAddress(InetAddress.getLoopbackAddress(), POSTGRES_PORT)));
      }

      // The queue, seen from this host: the jobs submitted, and their states read back.
      psql("CREATE SCHEMA " + schema);
      JobQueue queue = JobQueue.open(new JobQueue.Location(null, "jdbc:postgresql://127.0.0.1:" + POSTGRES_PORT
          + "/copilot?currentSchema=" + schema, "copilot", "copilot", 2), services.scheduler.clock(), 3);
      stack.add(queue);
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 24; i++) {
        ids.add(queue.submit(NewJob.of("sh", "-c", "echo $COPILOT_JOB_ID >> " + dir.resolve("ran.log") + "; sleep 1")));
      }

      String password = Pki.password();
      XmppSettings account = server.account("jobmanager", password, "unused");
      for (int i = 0; i < hosts.size(); i++) {
        Process jm = startJobManager(hosts.get(i), "jm-host-" + (i + 1), account, password, pki, server, schema);
        jobManagers.add(jm);
        // One at a time: the first makes the job-manager group's ticket key, which the second then reads.
        Path log = dir.resolve("jm-host-" + (i + 1) + ".log");
        await().atMost(Duration.ofSeconds(90)).until(() -> Files.exists(log) && Files.readString(log).contains(" serving "));
      }
      for (int a = 1; a <= 3; a++) {
        Agent agent = new Agent(AgentConfig.from(Settings.of(Map.of("agent.cores", "1",
            "agent.work-dir", dir.resolve("work-" + a).toString(), "agent.idle-backoff-min", "100ms",
            "agent.idle-backoff-max", "500ms", "agent.request-timeout", "2s")), "agent-" + a, Demo.DOMAIN),
            pki.join(server, "agent-" + a, "vm", Role.AGENT, stack), services.scheduler, services.workers);
        stack.add(agent);
        agent.start();
      }
      await().atMost(Duration.ofMinutes(2)).until(() -> queue.counts().get(JobStatus.DONE) >= 6);

      check(run("ip", "link", "set", hosts.get(0).rootSide(), "down"));
      await().atMost(Duration.ofMinutes(3)).until(() -> queue.counts().get(JobStatus.DONE) == ids.size());

      Map<String, Long> runs = Files.readAllLines(dir.resolve("ran.log")).stream()
          .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
      assertThat(runs.keySet()).containsExactlyInAnyOrderElementsOf(ids);
      assertThat(runs.values()).as("each job ran once").allMatch(c -> c == 1);
      for (QueuedJob job : queue.list()) {
        assertThat(job.history().stream().filter(h -> h.contains(" DONE"))).hasSize(1);
      }
      assertThat(Files.readString(dir.resolve("jm-host-2.log"))).contains(" serving ");
    } finally {
      for (Process jm : jobManagers) {
        jm.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
      for (int i = stack.size() - 1; i >= 0; i--) {
        try {
          stack.get(i).close();
        } catch (Exception e) {
          // Closing what the cut link left half-open may fail; the rest still closes.
        }
      }
      for (Host h : hosts) {
        run("ip", "netns", "del", h.ns());
        run("ip", "link", "del", h.rootSide());
      }
      psql("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
  }

  /**
   * Makes host {@code i}'s namespace (or takes {@code made}) and a link to it: this side 10.215.N.(4i+1), which
   * the host reaches the servers at, and the host's side 10.215.N.(4i+2).
   */
  private static Host host(int n, int i, String made) throws IOException, InterruptedException {
    String ns = made != null ? made : "cpjm" + n + (char) ('a' + i - 1);
    if (made == null) {
      check(run("ip", "netns", "add", ns));
    }
    String rootSide = "cpj" + n + "h" + i;
    String hostSide = "cpj" + n + "v" + i;
    String here = "10.215." + n + "." + (4 * i + 1);
    check(run("ip", "link", "add", rootSide, "type", "veth", "peer", "name", hostSide));
    check(run("ip", "link", "set", hostSide, "netns", ns));
    check(run("ip", "addr", "add", here + "/30", "dev", rootSide));
    check(run("ip", "link", "set", rootSide, "up"));
    check(run("ip", "netns", "exec", ns, "ip", "addr", "add", "10.215." + n + "." + (4 * i + 2) + "/30", "dev",
        hostSide));
    check(run("ip", "netns", "exec", ns, "ip", "link", "set", hostSide, "up"));
    check(run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"));
    return new Host(ns, rootSide, here);
  }

  /** {@code copilot job-manager} in the host's namespace, reaching XMPP and PostgreSQL over its link. */
  private Process startJobManager(Host h, String resource, XmppSettings account, String password, Pki pki,
      EmbeddedXmppServer server, String schema) throws IOException {
    Map<String, String> set = new LinkedHashMap<>();
    set.put("xmpp.host", h.servers());
    set.put("xmpp.port", Integer.toString(server.port()));
    set.put("xmpp.domain", Demo.DOMAIN);
    set.put("xmpp.user", "jobmanager");
    set.put("xmpp.resource", resource);
    set.put("xmpp.trust", account.trustCertificate().toString());
    set.put("xmpp.tls-protocols", String.join(",", account.tlsProtocols()));
    set.put("security.ca", dir.resolve("ca").resolve("ca.pem").toString());
    set.put("security.key-manager", pki.address(Demo.DOMAIN).value());
    set.put("security.dir", dir.resolve(resource + "-keys").toString());
    set.put("job-manager.lease", "10s");
    set.put("job-manager.sweep-interval", "1s");
    set.put("job-manager.ticket-key-file", dir.resolve("ticket.key").toString());
    set.put("job-manager.queue-url", "jdbc:postgresql://" + h.servers() + ":" + POSTGRES_PORT + "/copilot?currentSchema="
        + schema);
    set.put("job-manager.queue-user", "copilot");
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", h.ns(),
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        Path.of("target", "copilot.jar").toAbsolutePath().toString(), "job-manager"));
    set.forEach((k, v) -> cmd.addAll(List.of("--set", k + "=" + v)));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("COPILOT_XMPP_PASSWORD", password);
    pb.environment().put("COPILOT_SECURITY_TOKEN", pki.token(Role.JOB_MANAGER));
    pb.environment().put("COPILOT_JOB_MANAGER_QUEUE_PASSWORD", "copilot");
    return pb.redirectErrorStream(true).redirectOutput(dir.resolve(resource + ".log").toFile()).start();
  }

  private static void psql(String sql) throws Exception {
    try (var c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + POSTGRES_PORT + "/copilot",
        "copilot", "copilot"); var s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static int run(String... cmd) throws IOException, InterruptedException {
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
        .waitFor();
  }

  private static void check(int exitCode) {
    assertThat(exitCode).as("an ip command for the hosts' namespaces").isZero();
  }
}
