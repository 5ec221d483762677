package org.cernvm.copilot.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.cernvm.copilot.protocol.Checksums;
import org.cernvm.copilot.protocol.FailureKind;
import org.cernvm.copilot.protocol.FileCheck;
import org.cernvm.copilot.protocol.InputFile;
import org.cernvm.copilot.protocol.OutputFile;
import org.cernvm.copilot.protocol.Untrusted;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches a job's inputs into its working directory before the payload starts, as a pilot stages in: each
 * from its {@code file:} or {@code http(s):} source, within a timeout that covers its body, never more than
 * the size the job names, tried again on a failure that may pass, and checked against the size and
 * checksums the job names. Runs on the job's own thread, never a bus thread.
 */
final class StageIn {
  private static final Logger log = LoggerFactory.getLogger(StageIn.class);

  /** How often one input is fetched before the job fails. */
  static final int ATTEMPTS = 3;

  /** A stage-in that failed, with the kind the job's end reports. */
  static final class StageInException extends Exception {
    private static final long serialVersionUID = 1L;
    final FailureKind kind;

    StageInException(FailureKind kind, String message) {
      super(message);
      this.kind = kind;
    }
  }

  private final HttpClient http;
  private final Scheduler scheduler;
  private final Duration timeout;
  private final Duration firstPause;

  /**
   * @param timeout how long one fetch of one input may take, its body included
   * @param firstPause the pause before the second attempt, doubled before each next one
   */
  StageIn(HttpClient http, Scheduler scheduler, Duration timeout, Duration firstPause) {
    this.http = http;
    this.scheduler = scheduler;
    this.timeout = timeout;
    this.firstPause = firstPause;
  }

  /** Fetches and checks every input of {@code inputs} into {@code dir}. */
  void fetch(List<InputFile> inputs, Path dir) throws StageInException, InterruptedException {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new StageInException(FailureKind.STAGE_IN, "cannot make the working directory: " + e.getMessage());
    }
    long needed = 0;
    for (InputFile in : inputs) {
      needed = saturatedAdd(needed, expectedSize(in));
    }
    long free = usableSpace(dir);
    if (needed > free) {
      throw new StageInException(FailureKind.NO_LOCAL_SPACE,
          "the inputs need " + needed + " bytes and the working directory has " + free + " free");
    }
    for (InputFile in : inputs) {
      fetchOne(in, dir.resolve(in.name()));
    }
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }

  private static long usableSpace(Path dir) throws StageInException {
    try {
      return Files.getFileStore(dir).getUsableSpace();
    } catch (IOException e) {
      throw new StageInException(FailureKind.STAGE_IN, "cannot read the free space of " + dir + ": " + e.getMessage());
    }
  }

  private static long expectedSize(InputFile in) {
    return in.checks().stream().filter(c -> c.kind() == FileCheck.Kind.SIZE).mapToLong(c -> Long.parseLong(c.value()))
        .findFirst().orElse(0);
  }

  private void fetchOne(InputFile in, Path target) throws StageInException, InterruptedException {
    Duration pause = firstPause;
    for (int attempt = 1; ; attempt++) {
      try {
        verify(in, copy(in, target));
        return;
      } catch (StageInException e) {
        boolean retryable = e.kind != FailureKind.STAGE_IN_NOT_FOUND;
        if (!retryable || attempt >= ATTEMPTS) {
          throw new StageInException(e.kind, in.name() + ": " + e.getMessage()
              + (attempt > 1 ? " (" + attempt + " attempts)" : ""));
        }
        log.warn("stage-in of {} failed (attempt {} of {}): {}; trying again in {}", Untrusted.text(in.name()),
            attempt, ATTEMPTS, Untrusted.text(e.getMessage()), pause);
        Thread.sleep(pause.toMillis());
        pause = pause.multipliedBy(2);
      }
    }
  }

  /** Fetches {@code in} into {@code target} and describes what was written. */
  private OutputFile copy(InputFile in, Path target) throws StageInException, InterruptedException {
    URI uri;
    try {
      uri = URI.create(in.source());
    } catch (IllegalArgumentException e) {
      throw new StageInException(FailureKind.STAGE_IN, "the source is not a URI");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme();
    // A fetch may not write more than the input's size (when the job names it) and one byte more: a
    // source that sends more is caught without filling the disk.
    long limit = in.checks().stream().anyMatch(c -> c.kind() == FileCheck.Kind.SIZE)
        ? saturatedAdd(expectedSize(in), 1) : Long.MAX_VALUE;
    try {
      switch (scheme) {
        case "file" -> {
          try (InputStream body = Files.newInputStream(Path.of(uri))) {
            return write(body, target, limit, null);
          }
        }
        case "http", "https" -> {
          HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
              HttpResponse.BodyHandlers.ofInputStream());
          try (InputStream body = r.body()) {
            if (r.statusCode() == 404 || r.statusCode() == 410) {
              throw new StageInException(FailureKind.STAGE_IN_NOT_FOUND,
                  "GET " + Untrusted.text(uri) + " answered HTTP " + r.statusCode());
            }
            if (r.statusCode() != 200) {
              throw new StageInException(FailureKind.STAGE_IN,
                  "GET " + Untrusted.text(uri) + " answered HTTP " + r.statusCode());
            }
            return write(body, target, limit, uri);
          }
        }
        default -> throw new StageInException(FailureKind.STAGE_IN,
            "unsupported source scheme '" + Untrusted.text(scheme) + "'");
      }
    } catch (NoSuchFileException e) {
      throw new StageInException(FailureKind.STAGE_IN_NOT_FOUND, "no such file " + Untrusted.text(e.getFile()));
    } catch (HttpTimeoutException e) {
      throw new StageInException(FailureKind.STAGE_IN_TIMEOUT, "no answer from " + Untrusted.text(uri) + " in " + timeout);
    } catch (IOException | IllegalArgumentException e) {
      throw new StageInException(FailureKind.STAGE_IN, Untrusted.text(e.getMessage()));
    }
  }

  /**
   * Copies {@code body} to {@code target}, at most {@code limit} bytes, and describes what it wrote, checksums
   * taken on the way; a body from {@code uri} that is not read to its end within the timeout is closed, which
   * ends the read.
   */
  private OutputFile write(InputStream body, Path target, long limit, URI uri) throws IOException, StageInException {
    AtomicBoolean timedOut = new AtomicBoolean();
    Scheduler.Cancellable deadline = uri == null ? null : scheduler.schedule(timeout, () -> {
      timedOut.set(true);
      try {
        body.close();
      } catch (IOException e) {
        // Closing to end a stalled read; the read reports the failure.
      }
    });
    Checksums.Digest digest = new Checksums.Digest();
    try (OutputStream out = Files.newOutputStream(target)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = body.read(buf)) >= 0; ) {
        if (digest.size() + n > limit) {
          throw new StageInException(FailureKind.STAGE_IN_SIZE_MISMATCH,
              "the source sent more than the " + (limit - 1) + " bytes the job names");
        }
        out.write(buf, 0, n);
        digest.update(buf, 0, n);
      }
      return digest.describe(target.getFileName().toString());
    } catch (IOException e) {
      if (timedOut.get()) {
        throw new StageInException(FailureKind.STAGE_IN_TIMEOUT,
            "fetching " + Untrusted.text(uri) + " took longer than " + timeout);
      }
      throw e;
    } finally {
      if (deadline != null) {
        deadline.cancel();
      }
    }
  }

  private static void verify(InputFile in, OutputFile got) throws StageInException {
    for (FileCheck c : in.checks()) {
      String actual = switch (c.kind()) {
        case SIZE -> Long.toString(got.sizeBytes());
        case ADLER32 -> got.adler32();
        case MD5 -> got.md5();
      };
      if (!actual.equals(c.value())) {
        FailureKind kind = switch (c.kind()) {
          case SIZE -> FailureKind.STAGE_IN_SIZE_MISMATCH;
          case ADLER32 -> FailureKind.STAGE_IN_ADLER32_MISMATCH;
          case MD5 -> FailureKind.STAGE_IN_MD5_MISMATCH;
        };
        throw new StageInException(kind, c.kind() + " is " + actual + ", the job names " + c.value());
      }
    }
  }
}
