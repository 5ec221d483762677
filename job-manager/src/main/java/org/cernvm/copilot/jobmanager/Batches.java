package org.cernvm.copilot.jobmanager;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Work items of one kind that gather while their threads are busy, each call carrying as many as have
 * gathered, up to {@code maxBatch}: job ends for the upstream's bulk update, hand-overs of prefetched jobs
 * that the generic queue forces to disk together. At most {@code maxCalls} calls run at once and at most
 * {@code maxQueued} items wait; beyond that an item is refused at once with
 * {@link UpstreamUnavailableException}, and its sender asks again.
 *
 * @param <T> the item
 */
final class Batches<T> {
  /** One call for a batch: the failure of each item that failed, the others having succeeded. */
  @FunctionalInterface
  interface Call<T> {
    Map<T, JobSourceException> run(List<T> batch) throws JobSourceException;
  }

  private record Pending<T>(T item, CompletableFuture<Void> done) {}

  private final String what;
  private final Call<T> call;
  private final UpstreamCalls threads;
  private final int maxBatch;
  private final int maxCalls;
  private final int maxQueued;
  private final ArrayDeque<Pending<T>> queue = new ArrayDeque<>();
  private int callsUnderWay;

  Batches(String what, Call<T> call, UpstreamCalls threads, int maxBatch, int maxCalls, int maxQueued) {
    this.what = what;
    this.call = call;
    this.threads = threads;
    this.maxBatch = Math.max(1, maxBatch);
    this.maxCalls = maxCalls;
    this.maxQueued = maxQueued;
  }

  /** Adds {@code item}; the result completes when its call succeeded for it, or fails with why not. */
  CompletableFuture<Void> submit(T item) {
    Pending<T> p = new Pending<>(item, new CompletableFuture<>());
    synchronized (this) {
      if (queue.size() >= maxQueued) {
        return CompletableFuture.failedFuture(new UpstreamUnavailableException(what + " refused: " + queue.size()
            + " wait already", null));
      }
      queue.add(p);
    }
    drain();
    return p.done();
  }

  private void drain() {
    while (true) {
      List<Pending<T>> batch = new ArrayList<>();
      synchronized (this) {
        if (callsUnderWay >= maxCalls || queue.isEmpty()) {
          return;
        }
        while (batch.size() < maxBatch && !queue.isEmpty()) {
          batch.add(queue.poll());
        }
        callsUnderWay++;
      }
      List<T> items = batch.stream().map(Pending::item).toList();
      threads.submit(what + " of " + items.size(), () -> call.run(items)).whenComplete((failed, err) -> {
        synchronized (this) {
          callsUnderWay--;
        }
        for (Pending<T> p : batch) {
          if (err != null) {
            p.done().completeExceptionally(err);
          } else if (failed.containsKey(p.item())) {
            p.done().completeExceptionally(failed.get(p.item()));
          } else {
            p.done().complete(null);
          }
        }
        drain();
      });
    }
  }
}
