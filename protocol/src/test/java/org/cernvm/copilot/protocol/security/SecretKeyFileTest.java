package org.cernvm.copilot.protocol.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.io.TempDir;

/** Replicas that start together and find no key file end up with one key between them. */
class SecretKeyFileTest {
  @TempDir Path dir;

  @RepeatedTest(5)
  void issue7_replicasStartingTogetherAllGetTheOneKeyThatIsInTheFile() throws Exception {
    Path file = dir.resolve("job-manager-ticket.key");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Callable<byte[]>> replicas = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        replicas.add(() -> SecretKeyFile.loadOrCreate(file, "ticket key"));
      }
      List<byte[]> keys = new ArrayList<>();
      for (Future<byte[]> f : pool.invokeAll(replicas)) {
        keys.add(f.get());
      }
      byte[] inFile = SecretKeyFile.loadOrCreate(file, "ticket key");
      assertThat(keys).allSatisfy(k -> assertThat(Arrays.equals(k, inFile)).isTrue());
      try (var left = Files.list(dir)) {
        assertThat(left.map(p -> p.getFileName().toString()).toList()).containsExactly("job-manager-ticket.key");
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
