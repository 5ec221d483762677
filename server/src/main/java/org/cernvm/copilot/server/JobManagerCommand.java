package org.cernvm.copilot.server;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code job-manager}: one job manager over XMPP, serving its configured job source until stopped. */
@Command(name = "job-manager", description = "Runs a job manager serving the generic queue (or, with --source panda "
    + "or alien, a PanDA queue or an AliEn site) until stopped (SIGTERM).")
public final class JobManagerCommand implements Callable<Integer> {
  @Mixin JobManagerOptions options;

  @Override
  public Integer call() throws Exception {
    JobManagerRole.run(options.settings(), JobManagerRole.Hooks.NONE);
    return 0;
  }
}
