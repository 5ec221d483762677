package org.cernvm.copilot.jobmanager;

import java.util.ArrayList;
import java.util.List;
import org.cernvm.copilot.protocol.JobDone;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.Outcome;
import org.cernvm.copilot.protocol.StoredFile;

/** The rule every {@link JobSource} applies before it accepts a successful job: its outputs are registered. */
public final class RegisteredOutputs {
  private RegisteredOutputs() {}

  /**
   * Checks that every expected output and every output the agent reports is among the registered files
   * with the same size and checksums; failed and killed jobs need nothing registered.
   *
   * @param expected the names of the outputs the job must leave
   * @throws OutputsNotRegisteredException naming what is missing
   */
  public static void check(JobDone done, List<String> expected, List<StoredFile> registered)
      throws OutputsNotRegisteredException {
    if (done.outcome() != Outcome.SUCCEEDED) {
      return;
    }
    List<String> missing = new ArrayList<>();
    for (String name : expected) {
      if (registered.stream().noneMatch(s -> s.file().name().equals(name))) {
        missing.add(name);
      }
    }
    for (OutputFile reported : done.outputs()) {
      if (registered.stream().noneMatch(s -> s.matches(reported)) && !missing.contains(reported.name())) {
        missing.add(reported.name());
      }
    }
    if (!missing.isEmpty()) {
      throw new OutputsNotRegisteredException("outputs " + missing + " of " + done.jobId()
          + " are not registered by the storage adapter yet");
    }
  }
}
