package org.cernvm.copilot.agent;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cernvm.copilot.protocol.config.ConfigException;
import org.cernvm.copilot.protocol.config.Settings;

/**
 * The entry point of the agent-only artifact: {@code copilot-agent [--config FILE] [--set KEY=VALUE]…}.
 * Settings are layered as everywhere: the file, the VM's user-data, {@code COPILOT_*} environment variables,
 * then {@code --set}. It exits with the code of the agent's {@linkplain Shutdown shutdown reason}, or 2 for
 * a configuration error.
 */
public final class AgentMain {
  private AgentMain() {}

  /** Runs the agent and exits with its code. */
  public static void main(String[] args) {
    int code;
    try {
      code = run(args);
    } catch (ConfigException e) {
      System.err.println("copilot-agent: " + e.getMessage());
      code = 2;
    } catch (Exception e) {
      System.err.println("copilot-agent: " + e);
      code = 1;
    }
    System.exit(code);
  }

  static int run(String[] args) throws Exception {
    Path file = null;
    Map<String, String> cli = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if ((a.equals("--config") || a.equals("--set")) && i + 1 >= args.length) {
        throw new ConfigException(a + " needs a value");
      }
      if (a.equals("--config")) {
        file = Path.of(args[++i]);
      } else if (a.equals("--set")) {
        String kv = args[++i];
        int eq = kv.indexOf('=');
        if (eq <= 0) {
          throw new ConfigException("--set needs KEY=VALUE, got '" + kv + "'");
        }
        cli.put(kv.substring(0, eq), kv.substring(eq + 1));
      } else if (a.equals("--help") || a.equals("-h")) {
        System.out.println("usage: copilot-agent [--config FILE] [--set KEY=VALUE]...\n"
            + "Runs a CoPilot agent; settings from FILE, the VM's user-data (context.user-data-file or "
            + "context.metadata-url), COPILOT_* environment variables and --set, each overriding the one before.\n"
            + "Exit codes: 0 drained, 3 no work, 4 lifetime over, 5 spot notice, 143 SIGTERM, 2 bad configuration.");
        return 0;
      } else {
        throw new ConfigException("unknown argument '" + a + "'; see --help");
      }
    }
    return AgentProcess.run(Settings.layered(file, System.getenv(), cli), System.out);
  }
}
