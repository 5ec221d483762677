package org.cernvm.copilot.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.cernvm.copilot.agent.Agent;
import org.cernvm.copilot.agent.AgentConfig;
import org.cernvm.copilot.jobmanager.generic.JobQueue;
import org.cernvm.copilot.jobmanager.generic.JobStatus;
import org.cernvm.copilot.jobmanager.generic.NewJob;
import org.cernvm.copilot.jobmanager.generic.QueuedJob;
import org.cernvm.copilot.protocol.config.Settings;
import org.cernvm.copilot.protocol.security.Credentials;
import org.cernvm.copilot.protocol.security.Pem;
import org.cernvm.copilot.protocol.security.Role;
import org.cernvm.copilot.server.Services;
import org.cernvm.copilot.testkit.xmpp.XmppAccounts;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Four hosts, each a network namespace on one bridge: an XMPP host running Prosody, a database host running
 * PostgreSQL, and two job-manager hosts running {@code copilot job-manager} over the generic queue in that
 * database. The key manager, a storage adapter and the agents run in the test's own namespace and reach the
 * servers over the bridge too. One job-manager host's link is cut mid-run: the other host's job manager goes
 * on with the shared queue, and every job runs once. Needs root (ip netns), Prosody and PostgreSQL
 * ({@code .ci/run} installs both); it runs the packaged jar, so it runs after {@code package}.
 */
class NetnsHostsIT {
  private static final int XMPP_PORT = 5222;
  private static final int POSTGRES_PORT = 5432;
  @TempDir Path dir;

  /** A host: its namespace, the bridge's end of its link, and its address. */
  private record Host(String ns, String link, String address) {}

  @Test
  void aJobManagerHostCutOffMidRunLeavesTheOtherHostToFinishEveryJobOnce() throws Exception {
    Path postgresBin = postgresBin();
    Assumptions.assumeTrue(postgresBin != null && run("sh", "-c", "command -v prosody") == 0,
        "needs Prosody and PostgreSQL (.ci/run installs them)");
    int n = ThreadLocalRandom.current().nextInt(1, 250);
    String bridge = "cpbr" + n;
    Assumptions.assumeTrue(run("ip", "link", "add", bridge, "type", "bridge") == 0, "needs root and iproute2");
    List<Host> hosts = new ArrayList<>();
    List<AutoCloseable> stack = new ArrayList<>();
    List<Process> processes = new ArrayList<>();
    Path pg = Files.createTempDirectory(Path.of("/tmp"), "copilot-netns-pg-",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    try (Services services = new Services("netns-hosts-test", 8)) {
      check(run("ip", "addr", "add", "10.215." + n + ".1/24", "dev", bridge));
      check(run("ip", "link", "set", bridge, "up"));
      Host xmppHost = host(n, "x", 10, bridge, hosts);
      Host dbHost = host(n, "d", 11, bridge, hosts);
      List<Host> jmHosts = List.of(host(n, "a", 21, bridge, hosts), host(n, "b", 22, bridge, hosts));

      Pki pki = Pki.create(dir.resolve("ca"), services);
      processes.add(startProsody(xmppHost, pki));
      processes.add(startPostgres(dbHost, n, pg, postgresBin));
      XmppAccounts server = XmppAccounts.registering(xmppHost.address(), XMPP_PORT, Demo.DOMAIN,
          dir.resolve("ca").resolve("ca.pem"));
      pki.serve(server, stack);
      AgentVm.startStorage(dir, pki, server, services, stack);

      // The queue, seen from the test's namespace over the bridge: the jobs submitted, and their states.
      String url = "jdbc:postgresql://" + dbHost.address() + ":" + POSTGRES_PORT + "/postgres";
      JobQueue queue = JobQueue.open(new JobQueue.Location(null, url, "copilot", "copilot", 2),
          services.scheduler.clock(), 3);
      stack.add(queue);
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 24; i++) {
        ids.add(queue.submit(NewJob.of("sh", "-c", "echo $COPILOT_JOB_ID >> " + dir.resolve("ran.log") + "; sleep 1")));
      }

      String password = Pki.password();
      for (int i = 0; i < jmHosts.size(); i++) {
        String resource = "jm-host-" + (i + 1);
        processes.add(startJobManager(jmHosts.get(i), resource, xmppHost, url, password, pki));
        // One at a time: the first makes the job-manager group's ticket key, which the second then reads.
        Path log = dir.resolve(resource + ".log");
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

      check(run("ip", "link", "set", jmHosts.get(0).link(), "down"));
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
      for (int i = processes.size() - 1; i >= 2; i--) {
        processes.get(i).destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
      for (int i = stack.size() - 1; i >= 0; i--) {
        try {
          stack.get(i).close();
        } catch (Exception e) {
          // Closing what the cut link left half-open may fail; the rest still closes.
        }
      }
      if (Files.exists(pg.resolve("data/postmaster.pid"))) {
        run("runuser", "-u", "postgres", "--", postgresBin.resolve("pg_ctl").toString(), "-D",
            pg.resolve("data").toString(), "-m", "immediate", "-w", "stop");
      }
      for (Process p : processes.subList(0, Math.min(2, processes.size()))) {
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
      for (Host h : hosts) {
        run("ip", "netns", "del", h.ns());
      }
      run("ip", "link", "del", bridge);
      try (Stream<Path> files = Files.walk(pg)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  /**
   * Makes a host: namespace {@code cphN<name>}, a link whose other end is on the bridge, address
   * 10.215.N.{@code last}; pushes it on {@code made} before anything can fail, so that it is removed.
   */
  private static Host host(int n, String name, int last, String bridge, List<Host> made)
      throws IOException, InterruptedException {
    String ns = "cph" + n + name;
    String link = "cph" + n + name + "b";
    String inside = "cph" + n + name + "h";
    check(run("ip", "netns", "add", ns));
    Host h = new Host(ns, link, "10.215." + n + "." + last);
    made.add(h);
    check(run("ip", "link", "add", link, "type", "veth", "peer", "name", inside));
    check(run("ip", "link", "set", inside, "netns", ns));
    check(run("ip", "link", "set", link, "master", bridge));
    check(run("ip", "link", "set", link, "up"));
    check(run("ip", "netns", "exec", ns, "ip", "addr", "add", h.address() + "/24", "dev", inside));
    check(run("ip", "netns", "exec", ns, "ip", "link", "set", inside, "up"));
    check(run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"));
    return h;
  }

  /** Prosody on the XMPP host, with scripts/prosody-up's configuration and a certificate for its address. */
  private Process startProsody(Host h, Pki pki) throws Exception {
    Path home = Files.createDirectories(dir.resolve("prosody"));
    Files.createDirectories(home.resolve("data"));
    Files.createDirectories(home.resolve("certs"));
    Credentials tls = pki.ca.issueServer(List.of(Demo.DOMAIN, h.address()), Duration.ofDays(1));
    Files.writeString(home.resolve("certs/xmpp.key"), Pem.of(tls.key()));
    Files.writeString(home.resolve("certs/xmpp.pem"), Pem.of(tls.certificate()) + Pem.of(pki.ca.certificate()));
    String config = Files.readString(Path.of("..", "scripts", "prosody.cfg.lua.in"))
        .replace("@INTERFACE@", h.address()).replace("@PORT@", Integer.toString(XMPP_PORT))
        .replace("@DIR@", home.toString());
    Files.writeString(home.resolve("prosody.cfg.lua"), config);
    Process p = new ProcessBuilder("ip", "netns", "exec", h.ns(), "prosody", "--config",
        home.resolve("prosody.cfg.lua").toString(), "-F").redirectErrorStream(true)
        .redirectOutput(home.resolve("stdout.log").toFile()).start();
    awaitListening(h, XMPP_PORT, p);
    return p;
  }

  /**
   * A new PostgreSQL cluster on the database host, in {@code pg} (outside the test's directory, which the
   * postgres user cannot enter): user copilot, password copilot, reached by password from the bridge's subnet.
   */
  private static Process startPostgres(Host h, int n, Path pg, Path bin) throws Exception {
    check(run("chown", "postgres", pg.toString()));
    Path pw = pg.resolve("pw");
    Files.writeString(pw, "copilot\n");
    check(run("chown", "postgres", pw.toString()));
    check(run("runuser", "-u", "postgres", "--", bin.resolve("initdb").toString(), "-D", pg.resolve("data").toString(),
        "-U", "copilot", "--pwfile=" + pw, "--auth=scram-sha-256", "-E", "UTF8"));
    Files.writeString(pg.resolve("data/pg_hba.conf"), "host all all 10.215." + n + ".0/24 scram-sha-256\n",
        java.nio.file.StandardOpenOption.APPEND);
    Process p = new ProcessBuilder("ip", "netns", "exec", h.ns(), "runuser", "-u", "postgres", "--",
        bin.resolve("postgres").toString(), "-D", pg.resolve("data").toString(), "-c", "listen_addresses=" + h.address(),
        "-p", Integer.toString(POSTGRES_PORT), "-k", pg.toString(), "-c", "max_connections=50")
        .redirectErrorStream(true).redirectOutput(pg.resolve("postgres.log").toFile()).start();
    awaitListening(h, POSTGRES_PORT, p);
    // Listening comes before accepting logins while the server starts.
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
      try (var c = DriverManager.getConnection("jdbc:postgresql://" + h.address() + ":" + POSTGRES_PORT + "/postgres",
          "copilot", "copilot")) {
        return c.isValid(5);
      }
    });
    return p;
  }

  private static void awaitListening(Host h, int port, Process p) {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
      assertThat(p.isAlive()).as("the server on " + h.ns()).isTrue();
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(h.address(), port), 1000);
        return true;
      } catch (IOException e) {
        return false;
      }
    });
  }

  /** {@code copilot job-manager} in the host's namespace, reaching XMPP and PostgreSQL over its link. */
  private Process startJobManager(Host h, String resource, Host xmppHost, String url, String password, Pki pki)
      throws IOException {
    Map<String, String> set = new LinkedHashMap<>();
    set.put("xmpp.host", xmppHost.address());
    set.put("xmpp.port", Integer.toString(XMPP_PORT));
    set.put("xmpp.domain", Demo.DOMAIN);
    set.put("xmpp.user", "jobmanager");
    set.put("xmpp.resource", resource);
    set.put("xmpp.register", "true");
    set.put("xmpp.trust", dir.resolve("ca").resolve("ca.pem").toString());
    set.put("security.ca", dir.resolve("ca").resolve("ca.pem").toString());
    set.put("security.key-manager", pki.address(Demo.DOMAIN).value());
    set.put("security.dir", dir.resolve(resource + "-keys").toString());
    set.put("job-manager.lease", "10s");
    set.put("job-manager.sweep-interval", "1s");
    set.put("job-manager.ticket-key-file", dir.resolve("ticket.key").toString());
    set.put("job-manager.queue-url", url);
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

  /** The newest PostgreSQL's programs from Debian's packages, or null. */
  private static Path postgresBin() throws IOException {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return null;
    }
    try (Stream<Path> versions = Files.list(root)) {
      return versions.map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("initdb")))
          .max(Comparator.comparingInt(b -> Integer.parseInt(b.getParent().getFileName().toString().replaceAll("\\D", "0"))))
          .orElse(null);
    }
  }

  private static int run(String... cmd) throws IOException, InterruptedException {
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
        .waitFor();
  }

  private static void check(int exitCode) {
    assertThat(exitCode).as("a command setting up the hosts").isZero();
  }
}
