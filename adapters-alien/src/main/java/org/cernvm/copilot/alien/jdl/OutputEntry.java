package org.cernvm.copilot.alien.jdl;

import java.util.Arrays;
import java.util.List;

/**
 * One entry of {@code Output}, {@code OutputFile}, {@code OutputArchive} or {@code OutputErrorE}:
 * {@code f1,f2@opts} for files, or {@code arch.zip:f1,f2@opts} for an archive of them. Options are
 * {@code disk=N} (N replicas), a storage element to use, or {@code !SE} to avoid.
 *
 * @param archive the archive's name, or {@code null} for plain files
 * @param files the files or patterns ({@code *.root})
 * @param options the options after {@code @}
 */
public record OutputEntry(String archive, List<String> files, List<String> options) {
  public OutputEntry {
    files = List.copyOf(files);
    options = List.copyOf(options);
    if (files.isEmpty()) {
      throw new IllegalArgumentException("an output entry names no file");
    }
  }

  /**
   * Reads an entry.
   *
   * @throws IllegalArgumentException if it names no file, or asks for a number of replicas ({@code disk=N})
   *     that is not a whole number from 1
   */
  static OutputEntry parse(String s) {
    String spec = s;
    List<String> opts = List.of();
    int at = s.lastIndexOf('@');
    if (at >= 0) {
      spec = s.substring(0, at);
      opts = split(s.substring(at + 1));
      for (String o : opts) {
        if (o.startsWith("disk=") && !o.substring(5).matches("[1-9]\\d{0,8}")) {
          throw new IllegalArgumentException("the replicas of an output entry must be a whole number from 1: "
              + JdlSyntaxException.quote(o));
        }
      }
    }
    String archive = null;
    int colon = spec.indexOf(':');
    if (colon >= 0) {
      archive = spec.substring(0, colon).trim();
      spec = spec.substring(colon + 1);
      if (archive.isEmpty()) {
        throw new IllegalArgumentException("an output archive has no name: \"" + JdlSyntaxException.quote(s) + "\"");
      }
    }
    List<String> files = split(spec);
    if (files.isEmpty()) {
      throw new IllegalArgumentException("an output entry names no file: \"" + JdlSyntaxException.quote(s) + "\"");
    }
    return new OutputEntry(archive, files, opts);
  }

  private static List<String> split(String s) {
    return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
  }

  /** The number of replicas asked for with {@code disk=N}, 1 when not given. */
  public int replicas() {
    return options.stream().filter(o -> o.startsWith("disk=")).map(o -> Integer.parseInt(o.substring(5)))
        .findFirst().orElse(1);
  }

  /** The entry as written in a JDL; options start after the last {@code @}, so one is written if a name has one. */
  String print() {
    String spec = (archive == null ? "" : archive + ":") + String.join(",", files);
    return spec + (options.isEmpty() && spec.indexOf('@') < 0 ? "" : "@" + String.join(",", options));
  }
}
