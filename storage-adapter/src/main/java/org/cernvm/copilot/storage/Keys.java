package org.cernvm.copilot.storage;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.cernvm.copilot.protocol.FileNames;

/** Backend keys: {@code /}-separated plain name segments, never {@code ..}, each percent-encoded in URLs. */
final class Keys {
  private Keys() {}

  /** The key of a job's output file. */
  static String of(String source, String jobId, long epoch, String file) {
    return String.join("/", List.of(FileNames.check(source, "source"), FileNames.check(jobId, "jobId"),
        Long.toString(epoch), FileNames.check(file, "file")));
  }

  /**
   * Checks that every segment of {@code key} is a plain name.
   *
   * @throws IllegalArgumentException if one is not
   */
  static List<String> segments(String key) {
    List<String> parts = List.of(key.split("/", -1));
    parts.forEach(p -> FileNames.check(p, "key"));
    return parts;
  }

  /** The key with each segment percent-encoded, for a URL path. */
  static String encode(String key) {
    return String.join("/", segments(key).stream().map(Keys::encodeSegment).toList());
  }

  /** One path segment, percent-encoded. */
  static String encodeSegment(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
