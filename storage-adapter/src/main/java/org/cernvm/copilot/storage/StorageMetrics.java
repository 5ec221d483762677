package org.cernvm.copilot.storage;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.cernvm.copilot.protocol.ErrorCode;

/**
 * A storage adapter's Prometheus metrics: uploads by result and HTTP status, bytes stored, grants, and
 * registrations by result. No label names a job, a file or an agent.
 */
final class StorageMetrics {
  /** How an upload ended. */
  enum Result {
    /** Stored and verified. */
    STORED,
    /** Refused for what the client sent or did (a 4xx answer). */
    REFUSED,
    /** The backend failed (a 5xx answer). */
    FAILED
  }

  private final Counter uploads;
  private final Counter bytes;
  private final Counter grants;
  private final Counter grantRefusals;
  private final Counter registrations;
  private final AtomicLong stored = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong registered = new AtomicLong();

  StorageMetrics(PrometheusRegistry registry) {
    uploads = Counter.builder().name("copilot_storage_uploads_total").help("Uploads answered, by result and status")
        .labelNames("result", "status").register(registry);
    bytes = Counter.builder().name("copilot_storage_stored_bytes_total").unit(Unit.BYTES)
        .help("Bytes of outputs stored and verified").register(registry);
    grants = Counter.builder().name("copilot_storage_grants_total").help("Files granted an upload")
        .register(registry);
    grantRefusals = Counter.builder().name("copilot_storage_grant_refusals_total")
        .help("Requests for upload grants refused, by code").labelNames("code").register(registry);
    registrations = Counter.builder().name("copilot_storage_registrations_total")
        .help("Registrations of a job's complete outputs with its job manager, by result")
        .labelNames("result").register(registry);
  }

  /** An upload was answered with {@code status}; one stored may still answer 409 or 503 for its registration. */
  void upload(Result result, int status, long storedBytes) {
    uploads.labelValues(result.name().toLowerCase(Locale.ROOT), Integer.toString(status)).inc();
    switch (result) {
      case STORED -> {
        stored.incrementAndGet();
        bytes.inc(storedBytes);
      }
      case REFUSED -> refused.incrementAndGet();
      case FAILED -> { }
    }
  }

  void granted(int files) {
    grants.inc(files);
  }

  void grantRefused(ErrorCode code) {
    grantRefusals.labelValues(code.name().toLowerCase(Locale.ROOT)).inc();
  }

  void registration(StorageAdapter.Registration.State state) {
    registrations.labelValues(state.name().toLowerCase(Locale.ROOT)).inc();
    if (state == StorageAdapter.Registration.State.REGISTERED) {
      registered.incrementAndGet();
    }
  }

  StorageAdapter.Stats stats() {
    return new StorageAdapter.Stats(stored.get(), refused.get(), registered.get());
  }
}
