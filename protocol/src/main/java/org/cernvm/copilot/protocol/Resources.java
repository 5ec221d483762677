package org.cernvm.copilot.protocol;

import java.time.Duration;
import java.util.List;

/**
 * What one agent slot offers: the resources a job handed to it may use.
 *
 * @param cores CPU cores
 * @param memoryMb memory in MiB
 * @param diskMb scratch disk in MiB
 * @param lifetime how long the VM will still live; no job with a longer TTL is handed out
 * @param platform the platform string, e.g. {@code x86_64-el9}
 * @param experiments the experiments whose jobs the agent accepts (e.g. {@code ATLAS}, {@code ALICE},
 *     {@code generic}); an empty list accepts all
 */
public record Resources(
    int cores, long memoryMb, long diskMb, Duration lifetime, String platform, List<String> experiments) {
  public Resources {
    Checks.positive(cores, "cores");
    Checks.notNegative(memoryMb, "memoryMb");
    Checks.notNegative(diskMb, "diskMb");
    Checks.notNegative(lifetime, "lifetime");
    Checks.text(platform, "platform");
    experiments = Checks.list(experiments, "experiments");
  }

  /** Whether these resources accept jobs of the given experiment. */
  public boolean accepts(String experiment) {
    return experiments.isEmpty() || experiments.contains(experiment);
  }
}
