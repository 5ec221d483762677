package org.cernvm.copilot.alien;

import org.cernvm.copilot.jobmanager.JobManagerConfig;
import org.cernvm.copilot.jobmanager.JobSourceProvider;
import org.cernvm.copilot.protocol.config.Settings;

/** {@code job-manager.source=alien}: an AliEn site, configured by the {@code alien.*} keys. */
public final class AlienSourceProvider implements JobSourceProvider {
  @Override
  public String name() {
    return "alien";
  }

  @Override
  public Opener configure(Settings settings, JobManagerConfig jobManager) {
    AlienConfig config = AlienConfig.from(settings);
    return clock -> AlienJobSource.open(config, clock);
  }
}
