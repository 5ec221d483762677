package org.cernvm.copilot.testbed;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How the agent's launcher is to start its JVM in a test or measurement.
 *
 * @param java the {@code java} to run ({@code COPILOT_AGENT_JAVA}), or {@code null} for the launcher's choice
 * @param options JVM options replacing the launcher's tuned ones ({@code COPILOT_AGENT_JAVA_OPTS}), or none
 */
record AgentJvm(Path java, List<String> options) {
  /** The launcher's own choice of java and options. */
  static final AgentJvm LAUNCHERS = new AgentJvm(null, List.of());

  AgentJvm {
    options = List.copyOf(options);
  }

  /** Sets the launcher's environment variables in {@code env}. */
  void applyTo(Map<String, String> env) {
    if (java != null) {
      env.put("COPILOT_AGENT_JAVA", java.toString());
    }
    if (!options.isEmpty()) {
      env.put("COPILOT_AGENT_JAVA_OPTS", String.join(" ", options));
    }
  }

  /** E.g. {@code JVM options of the launcher} or {@code JVM -Xmx64m on /opt/runtime/bin/java}. */
  String describe() {
    return "JVM " + (options.isEmpty() ? "options of the launcher" : String.join(" ", options))
        + (java == null ? "" : " on " + java);
  }
}
