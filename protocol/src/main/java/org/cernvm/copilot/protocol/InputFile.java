package org.cernvm.copilot.protocol;

/**
 * A file the agent stages into the job's working directory before starting the payload.
 *
 * @param name file name inside the working directory (no directories)
 * @param source where to fetch it: a {@code file:}, {@code http:} or {@code https:} URI
 */
public record InputFile(String name, String source) {
  public InputFile {
    FileNames.check(name, "name");
    Checks.text(source, "source");
  }
}
