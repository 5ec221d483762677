package org.cernvm.copilot.testbed.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cernvm.copilot.protocol.bus.XmppSettings;

/**
 * The two-node ejabberd cluster that {@code scripts/ejabberd-cluster-up} starts, on ports 15224 and 15225
 * unless {@code COPILOT_EJABBERD_CLUSTER_PORTS} says otherwise. Every component is given both nodes: agents,
 * and job managers whose resource ends in {@code -b}, the second node first; the others the first node first.
 */
final class EjabberdCluster extends XmppServer {
  private static final List<Integer> PORTS = List.of(System.getenv()
      .getOrDefault("COPILOT_EJABBERD_CLUSTER_PORTS", "15224 15225").trim().split("\\s+")).stream()
      .map(Integer::parseInt).toList();
  private static final Path DIR = System.getenv().containsKey("COPILOT_EJABBERD_CLUSTER_DIR")
      ? Path.of(System.getenv("COPILOT_EJABBERD_CLUSTER_DIR")) : inTmp("copilot-ejabberd-cluster");

  EjabberdCluster() {
    super("the ejabberd cluster", "ejabberd-cluster-up", PORTS.get(0), DIR);
  }

  /** The node's client port: 0 for the first, 1 for the second. */
  int port(int node) {
    return PORTS.get(node);
  }

  @Override
  XmppSettings settings(String name, String resource) {
    XmppSettings.Server first = new XmppSettings.Server("127.0.0.1", PORTS.get(0));
    XmppSettings.Server second = new XmppSettings.Server("127.0.0.1", PORTS.get(1));
    boolean onSecond = name.startsWith("agent") || resource.endsWith("-b");
    return super.settings(name, resource).withServers(onSecond ? List.of(second, first) : List.of(first, second));
  }

  /** Kills node {@code node}'s Erlang VM at once, as a host that fails would, and waits until it is gone. */
  void kill(int node) throws IOException, InterruptedException {
    long pid = Long.parseLong(Files.readString(DIR.resolve(Integer.toString(PORTS.get(node))).resolve("ejabberd.pid"))
        .trim());
    ProcessHandle vm = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("no ejabberd VM " + pid));
    vm.destroyForcibly();
    vm.onExit().orTimeout(30, TimeUnit.SECONDS).join();
  }

  /** Starts again whatever node does not run, through the script, which it rejoins the cluster by. */
  void restore() throws IOException, InterruptedException {
    Process p = new ProcessBuilder(Path.of("..", "scripts", "ejabberd-cluster-up").toString()).inheritIO().start();
    if (!p.waitFor(Duration.ofMinutes(3).toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException("scripts/ejabberd-cluster-up could not start the cluster's nodes again");
    }
  }
}
