package org.cernvm.copilot.protocol.security;

import java.security.KeyPair;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.cernvm.copilot.protocol.Crl;
import org.cernvm.copilot.protocol.Enroll;
import org.cernvm.copilot.protocol.Enrolled;
import org.cernvm.copilot.protocol.ErrorReply;
import org.cernvm.copilot.protocol.FetchCrl;
import org.cernvm.copilot.protocol.MessageIds;
import org.cernvm.copilot.protocol.Renew;
import org.cernvm.copilot.protocol.Reply;
import org.cernvm.copilot.protocol.Request;
import org.cernvm.copilot.protocol.Untrusted;
import org.cernvm.copilot.protocol.bus.Address;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.BusException;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A component's side of the key manager: it enrolls with a one-time token (making its own key pair, whose
 * private half never leaves it), renews its certificate after two thirds of its lifetime, and fetches the
 * revocation list, all over its bus, installing the results in the bus's {@link Keyring} and
 * {@link Authority}.
 *
 * <p>Each request waits for its answer for the timeout, and one that gets no usable answer (none in time,
 * the recipient unavailable, or a retryable error) is sent again after a pause, as its {@link Retry}
 * allows; the pauses are scheduled, so no thread sleeps. Enrollment is safe to repeat: the key pair made
 * for a token is kept for every retry with that token by this object, and the key manager answers the
 * same request again with the certificate it issued the first time. So a component whose {@code enrolled}
 * answer was lost, or refused because it was authenticated for a certificate this process never held,
 * still enrolls with its one token.
 */
public final class Enrollment {
  private static final Logger log = LoggerFactory.getLogger(Enrollment.class);
  /** The purpose enrollment tokens are sealed for. */
  public static final String TOKEN_PURPOSE = "enrollment-token";

  /**
   * How a request to the key manager is retried: after an attempt without a usable answer, the next starts
   * after a pause that doubles from {@code firstPause} up to {@code maxPause}, as long as it starts within
   * {@code within} of the first attempt.
   *
   * @param within how long after the first attempt a new one may start; zero for a single attempt
   * @param firstPause the pause after the first failed attempt
   * @param maxPause the longest pause
   */
  public record Retry(Duration within, Duration firstPause, Duration maxPause) {
    public Retry {
      if (within.isNegative() || firstPause.isNegative() || firstPause.isZero()
          || maxPause.compareTo(firstPause) < 0) {
        throw new IllegalArgumentException("a retry needs within >= 0 and 0 < firstPause <= maxPause: " + within
            + ", " + firstPause + ", " + maxPause);
      }
    }

    /** Retries for up to a minute, pausing 1 s, 2 s, 4 s, then 8 s. */
    public static Retry standard() {
      return new Retry(Duration.ofMinutes(1), Duration.ofSeconds(1), Duration.ofSeconds(8));
    }

    /** Retries for up to {@code within}, pausing as {@link #standard()} does. */
    public static Retry within(Duration within) {
      Retry standard = standard();
      return new Retry(within, standard.firstPause(), standard.maxPause());
    }

    /** The pause after the {@code attempt}-th failed attempt, counting from 1. */
    public Duration pauseAfter(int attempt) {
      Duration pause = firstPause;
      for (int i = 1; i < attempt && pause.compareTo(maxPause) < 0; i++) {
        pause = pause.multipliedBy(2);
      }
      return pause.compareTo(maxPause) < 0 ? pause : maxPause;
    }
  }

  /** Turns the key manager's answer into the result, or says why it is refused. */
  @FunctionalInterface
  private interface Answer<T> {
    T take(Reply reply) throws EnrollmentException, BusException;
  }

  /** One request to the key manager and its retries, until it has a result. */
  private final class Attempts<T> {
    private final String what;
    private final Supplier<Request> request;
    private final Answer<T> answer;
    private final Instant start = clock().instant();
    private final CompletableFuture<T> result = new CompletableFuture<>();
    private final AtomicInteger made = new AtomicInteger();

    private Attempts(String what, Supplier<Request> request, Answer<T> answer) {
      this.what = what;
      this.request = request;
      this.answer = answer;
    }

    private void attempt() {
      if (result.isDone()) {
        return;
      }
      made.incrementAndGet();
      Request r;
      try {
        r = request.get();
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
        return;
      }
      bus.request(keyManager, r, timeout).whenComplete((response, failure) -> {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
            : failure;
        if (cause instanceof BusException e) {
          again(e.getMessage());
        } else if (cause != null) {
          result.completeExceptionally(cause);
        } else if (response.reply() instanceof ErrorReply err && err.retryable()) {
          again("answered " + describe(err));
        } else {
          try {
            result.complete(answer.take(response.reply()));
          } catch (EnrollmentException | BusException | RuntimeException e) {
            result.completeExceptionally(e);
          }
        }
      });
    }

    private void again(String why) {
      if (result.isDone()) {
        return;
      }
      Duration pause = retry.pauseAfter(made.get());
      if (clock().instant().plus(pause).isAfter(start.plus(retry.within()))) {
        result.completeExceptionally(unanswered(Untrusted.text(why)));
        return;
      }
      log.warn("{}: {}; asking key manager {} again in {} ms", what, Untrusted.text(why), keyManager, pause.toMillis());
      scheduler.schedule(pause, this::attempt);
    }

    private KeyManagerUnansweredException unanswered(String last) {
      return new KeyManagerUnansweredException(what, keyManager, made.get(), timeout,
          Duration.between(start, clock().instant()), last);
    }

    /** The result, awaited on the caller's thread (never a bus thread) for at most what the retry allows. */
    private T await() throws EnrollmentException, BusException, InterruptedException {
      attempt();
      // The retry bounds every attempt; this bound only guards against a scheduler that never runs them.
      Duration bound = retry.within().plus(timeout.multipliedBy(2));
      try {
        return result.get(bound.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof EnrollmentException ee) {
          throw ee;
        }
        if (cause instanceof BusException be) {
          throw be;
        }
        if (cause instanceof RuntimeException re) {
          throw re;
        }
        throw new IllegalStateException(what + " failed", cause);
      } catch (TimeoutException e) {
        result.cancel(false);
        throw unanswered("no result within " + bound.toMillis() + " ms");
      } catch (InterruptedException e) {
        result.cancel(false);
        throw e;
      }
    }

    /** The result, when it comes; nothing waits for it. */
    private CompletableFuture<T> start() {
      attempt();
      return result;
    }
  }

  /**
   * The key pair made for a token, kept for its retries.
   *
   * @param token the enrollment token; never shown
   */
  private record KeptPair(String name, String token, KeyPair pair) {
    @Override
    public String toString() {
      return "KeptPair[name=" + name + "]";
    }
  }

  private final Bus bus;
  private final Address keyManager;
  private final Duration timeout;
  private final Scheduler scheduler;
  private final Retry retry;
  private final AtomicReference<KeptPair> kept = new AtomicReference<>();

  /**
   * Talks to the key manager at {@code keyManager} over {@code bus}.
   *
   * @param timeout how long each attempt of a request waits for the key manager
   * @param scheduler times the pauses between attempts
   * @param retry how requests without a usable answer are sent again
   */
  public Enrollment(Bus bus, Address keyManager, Duration timeout, Scheduler scheduler, Retry retry) {
    this.bus = bus;
    this.keyManager = keyManager;
    this.timeout = timeout;
    this.scheduler = scheduler;
    this.retry = retry;
  }

  /**
   * Makes sure the component has a valid certificate: keeps the one in the keyring if it is valid for
   * longer than the renewal point, renews it if it is still valid, and otherwise enrolls as {@code name}
   * with {@code token}. Waits on the calling thread, which must not be a bus thread.
   *
   * @param token the one-time enrollment token, or {@code null} if the component was given none
   * @throws EnrollmentException if the key manager refused, or a token was needed and none was given
   * @throws KeyManagerUnansweredException if the key manager gave no usable answer in any attempt
   */
  public Credentials ensure(String name, String token) throws EnrollmentException, BusException, InterruptedException {
    MessageSecurity security = bus.security();
    Instant now = security.clock().instant();
    var current = security.keyring().current().filter(c -> c.expiresAt().isAfter(now) && c.name().equals(name));
    if (current.isPresent() && current.get().renewAt().isAfter(now)) {
      return current.get();
    }
    if (current.isPresent()) {
      return renew();
    }
    if (token == null) {
      throw new EnrollmentException(name + " holds no valid certificate and was given no enrollment token");
    }
    return enroll(name, token);
  }

  /**
   * Enrolls as {@code name} (the bus account) with {@code token}, sealed for the key manager, waiting on the
   * calling thread (never a bus thread); see {@link #enrollAsync}.
   *
   * @throws EnrollmentException if the key manager refused
   * @throws KeyManagerUnansweredException if it gave no usable answer in any attempt
   */
  public Credentials enroll(String name, String token) throws EnrollmentException, BusException, InterruptedException {
    return enrollment(name, token).await();
  }

  /**
   * Enrolls as {@code name} with {@code token} without waiting: the result completes with the credentials,
   * with an {@link EnrollmentException} if the key manager refused, or with a
   * {@link KeyManagerUnansweredException} once the retry is spent. Every attempt, and every later call
   * with the same name and token, certifies the same key pair, so that the key manager can answer a
   * repeated request with the certificate it issued at the first.
   */
  public CompletableFuture<Credentials> enrollAsync(String name, String token) {
    return enrollment(name, token).start();
  }

  private Attempts<Credentials> enrollment(String name, String token) {
    KeptPair mine = kept.updateAndGet(k -> k != null && k.name().equals(name) && k.token().equals(token) ? k
        : new KeptPair(name, token, Certificates.newKeyPair()));
    String csr = csr(name, mine.pair());
    MessageSecurity security = bus.security();
    return new Attempts<>("enroll as " + name, () -> new Enroll(MessageIds.next(), security.clock().instant(), name,
        security.seal(token, security.authority().certificate(), TOKEN_PURPOSE), csr), reply -> {
          Credentials c = install(mine.pair(), reply, "enrollment");
          kept.compareAndSet(mine, null);
          log.info("enrolled as {} ({}), certificate {} valid until {}", c.name(), c.role().wireName(),
              c.certificate().getSerialNumber().toString(16), c.expiresAt());
          return c;
        });
  }

  /**
   * Renews the current certificate for a new key pair, signed with the current one, waiting on the
   * calling thread (never a bus thread).
   *
   * @throws EnrollmentException if the key manager refused
   * @throws KeyManagerUnansweredException if it gave no usable answer in any attempt
   */
  public Credentials renew() throws EnrollmentException, BusException, InterruptedException {
    return renewal().await();
  }

  /** {@link #renew} without waiting. */
  public CompletableFuture<Credentials> renewAsync() {
    try {
      return renewal().start();
    } catch (EnrollmentException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private Attempts<Credentials> renewal() throws EnrollmentException {
    MessageSecurity security = bus.security();
    Credentials old = security.keyring().current()
        .orElseThrow(() -> new EnrollmentException("nothing to renew: not enrolled"));
    KeyPair pair = Certificates.newKeyPair();
    String csr = csr(old.name(), pair);
    return new Attempts<>("renew the certificate of " + old.name(),
        () -> new Renew(MessageIds.next(), security.clock().instant(), csr), reply -> {
          Credentials c = install(pair, reply, "renewal");
          log.info("renewed the certificate of {}: {} valid until {}", c.name(),
              c.certificate().getSerialNumber().toString(16), c.expiresAt());
          return c;
        });
  }

  /**
   * Fetches the key manager's revocation list and puts it in use, waiting on the calling thread (never a
   * bus thread).
   *
   * @throws KeyManagerUnansweredException if the key manager gave no usable answer in any attempt
   * @throws BusException if it answered with something else
   */
  public X509CRL refreshRevocations() throws BusException, InterruptedException {
    try {
      return revocations().await();
    } catch (EnrollmentException e) {
      throw new IllegalStateException("fetching the revocation list is never refused as an enrollment", e);
    }
  }

  /** {@link #refreshRevocations} without waiting. */
  public CompletableFuture<X509CRL> refreshRevocationsAsync() {
    return revocations().start();
  }

  private Attempts<X509CRL> revocations() {
    MessageSecurity security = bus.security();
    return new Attempts<>("fetch the revocation list", () -> new FetchCrl(MessageIds.next(),
        security.clock().instant()), reply -> {
          if (!(reply instanceof Crl crl)) {
            throw new BusException("the key manager answered fetchCrl with " + describe(reply));
          }
          try {
            X509CRL list = Pem.crl(crl.crl());
            security.authority().update(list);
            return list;
          } catch (IllegalArgumentException e) {
            throw new BusException("the key manager's revocation list is not usable: " + e.getMessage());
          }
        });
  }

  /**
   * Keeps the component's credentials fresh: renews the certificate at its renewal point and refreshes
   * the revocation list every {@code crlRefresh}, without blocking the scheduler's thread; failures are
   * logged and tried again at the next tick.
   *
   * @return what stops it
   */
  public Scheduler.Cancellable maintain(Scheduler scheduler, Duration crlRefresh) {
    Duration tick = crlRefresh.compareTo(Duration.ofMinutes(1)) < 0 ? crlRefresh : Duration.ofMinutes(1);
    AtomicLong lastCrl = new AtomicLong(Long.MIN_VALUE);
    AtomicBoolean busy = new AtomicBoolean();
    return scheduler.every(tick, () -> {
      // A tick that comes while the last one still waits for the key manager leaves it be.
      if (!busy.compareAndSet(false, true)) {
        return;
      }
      MessageSecurity security = bus.security();
      Instant now = security.clock().instant();
      var current = security.keyring().current();
      CompletableFuture<?> renewed = current.isPresent() && !current.get().renewAt().isAfter(now) ? renewAsync()
          : CompletableFuture.completedFuture(null);
      boolean crlDue = lastCrl.get() == Long.MIN_VALUE || now.toEpochMilli() - lastCrl.get() >= crlRefresh.toMillis();
      renewed.thenCompose(c -> crlDue ? refreshRevocationsAsync().thenRun(() -> lastCrl.set(now.toEpochMilli()))
              : CompletableFuture.completedFuture(null))
          .whenComplete((v, e) -> {
            busy.set(false);
            if (e != null) {
              Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
              log.warn("could not renew the certificate or refresh revocations: {}", cause.getMessage());
            }
          });
    });
  }

  /** The clock the pauses between attempts are scheduled on. */
  private Clock clock() {
    return scheduler.clock();
  }

  private Credentials install(KeyPair pair, Reply reply, String what) throws EnrollmentException {
    if (!(reply instanceof Enrolled e)) {
      throw new EnrollmentException("the key manager refused the " + what + ": " + describe(reply));
    }
    X509Certificate cert;
    try {
      cert = Pem.certificate(e.certificate());
      if (!java.util.Arrays.equals(cert.getPublicKey().getEncoded(), pair.getPublic().getEncoded())) {
        throw new EnrollmentException("the key manager issued a certificate for another key");
      }
      bus.security().authority().check(cert, bus.security().clock().instant());
    } catch (IllegalArgumentException | MessageRejectedException ex) {
      throw new EnrollmentException("the certificate from the key manager is not usable: " + ex.getMessage());
    }
    Credentials c = new Credentials(pair.getPrivate(), cert);
    try {
      bus.security().keyring().install(c);
    } catch (java.io.IOException ex) {
      throw new EnrollmentException("cannot keep the new credentials: " + ex.getMessage());
    }
    return c;
  }

  private static String describe(Reply reply) {
    return reply instanceof ErrorReply err ? err.code() + ": " + err.message() : String.valueOf(reply.verb());
  }

  /** A PEM certificate request for {@code pair} in the name {@code name}, signed with its private key. */
  public static String csr(String name, KeyPair pair) {
    try {
      return Pem.of(new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + name), pair.getPublic())
          .build(new JcaContentSignerBuilder(Certificates.SIGNATURE).setProvider(Certificates.BC)
              .build(pair.getPrivate())));
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("cannot make a certificate request: " + e.getMessage(), e);
    }
  }
}
