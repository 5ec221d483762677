package org.cernvm.copilot.panda;

import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.jobmanager.JobSourceProvider;
import org.cernvm.copilot.protocol.config.Settings;

/** {@code job-manager.source=panda}: a PanDA queue, configured by the {@code panda.*} keys. */
public final class PandaSourceProvider implements JobSourceProvider {
  @Override
  public String name() {
    return "panda";
  }

  @Override
  public Opener configure(Settings settings, JobManagerConfig jobManager) {
    PandaConfig config = PandaConfig.from(settings);
    return clock -> PandaJobSource.open(config, clock);
  }
}
