package org.cernvm.copilot.protocol;

import java.util.List;

/**
 * A file the agent stages into the job's working directory before starting the payload.
 *
 * @param name file name inside the working directory (no directories)
 * @param source where to fetch it: a {@code file:}, {@code http:} or {@code https:} URI
 * @param checks what the agent checks once it has the file, none when the source knows nothing of it
 */
public record InputFile(String name, String source, List<FileCheck> checks) {
  public InputFile {
    FileNames.check(name, "name");
    Checks.text(source, "source");
    checks = Checks.list(checks, "checks");
  }

  /** An input the agent does not check. */
  public InputFile(String name, String source) {
    this(name, source, List.of());
  }
}
