package org.cernvm.copilot.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.io.IOUtils;
import org.cernvm.copilot.protocol.JobLog;

/**
 * Makes a job's log tarball ({@link JobLog}): every regular file of the job's directory but its inputs, its
 * outputs and the tarball itself, under the log's one directory, with the agent's own lines for the job as
 * {@code copilot-agent.log}; gzip-compressed tar, written beside its name and renamed when complete.
 * Symbolic links are left out rather than followed, since a payload may point them anywhere on the VM, and
 * a file larger than {@link #MAX_FILE_BYTES} is left out with a line saying so.
 */
final class LogTarball {
  /** The largest file the log holds. */
  static final long MAX_FILE_BYTES = 256L << 20;
  static final String AGENT_LOG = "copilot-agent.log";
  private static final byte[] PAD = new byte[8192];

  private LogTarball() {}

  /** Writes {@code log.file()} into {@code dir}, leaving out {@code exclude}; returns the tarball's path. */
  static Path make(Path dir, JobLog log, Set<String> exclude, List<String> agentLines) throws IOException {
    Path target = dir.resolve(log.file());
    Path partial = dir.resolve(log.file() + ".partial");
    List<String> lines = new ArrayList<>(agentLines);
    try (Stream<Path> walk = Files.walk(dir)) {
      List<Path> files = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
      try (OutputStream out = Files.newOutputStream(partial);
          TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(out))) {
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        for (Path file : files) {
          String relative = dir.relativize(file).toString();
          if (exclude.contains(relative) || file.equals(target) || file.equals(partial) || relative.equals(AGENT_LOG)) {
            continue;
          }
          long size = Files.size(file);
          if (size > MAX_FILE_BYTES) {
            lines.add("left out of the log: " + relative + " (" + size + " bytes, over " + MAX_FILE_BYTES + ")");
            continue;
          }
          TarArchiveEntry entry = new TarArchiveEntry(file.toFile(), log.directory() + "/" + relative);
          entry.setSize(size);
          tar.putArchiveEntry(entry);
          // Exactly the size the header says: a file a leftover process still writes cannot break the tar.
          long copied;
          try (InputStream in = Files.newInputStream(file)) {
            copied = IOUtils.copyLarge(in, tar, 0, size);
          }
          for (long left = size - copied; left > 0; left -= Math.min(left, PAD.length)) {
            tar.write(PAD, 0, (int) Math.min(left, PAD.length));
          }
          tar.closeArchiveEntry();
        }
        byte[] agent = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry(log.directory() + "/" + AGENT_LOG);
        entry.setSize(agent.length);
        tar.putArchiveEntry(entry);
        tar.write(agent);
        tar.closeArchiveEntry();
        tar.finish();
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(partial);
      throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
    }
    Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return target;
  }
}
