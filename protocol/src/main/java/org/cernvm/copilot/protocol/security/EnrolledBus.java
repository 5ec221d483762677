package org.cernvm.copilot.protocol.security;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executor;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.BusException;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.time.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A component's XMPP bus once the component holds a certificate: it logs in, enrolls with its token (or
 * keeps, or renews, the certificate it kept from an earlier run), fetches the revocation list, and from
 * then on renews and refreshes in the background until closed.
 *
 * @param bus the bus, signing with the component's certificate
 * @param upkeep the background renewal and revocation-list refresh
 */
public record EnrolledBus(XmppBus bus, Scheduler.Cancellable upkeep) implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EnrolledBus.class);
  private static final Duration RETRY_PAUSE = Duration.ofSeconds(1);

  /**
   * Connects and enrolls as the XMPP account of {@code xmpp}.
   *
   * @param connectTimeout how long to wait for the first login and for the key manager's answers
   * @throws EnrollmentException if the key manager refused
   * @throws BusException if the server or the key manager could not be reached in time
   * @throws IOException if the CA certificate or the kept credentials cannot be read
   */
  public static EnrolledBus connect(XmppSettings xmpp, SecuritySettings security, Scheduler scheduler,
      Executor executor, Duration connectTimeout)
      throws EnrollmentException, BusException, IOException, InterruptedException {
    XmppBus bus = Bus.xmpp(xmpp, security.open(scheduler.clock()), scheduler, executor);
    try {
      long deadline = System.nanoTime() + connectTimeout.toNanos();
      bus.awaitConnected(connectTimeout);
      Enrollment enrollment = new Enrollment(bus, security.keyManager(), security.timeout());
      while (true) {
        try {
          enrollment.ensure(bus.self().local(), security.token());
          enrollment.refreshRevocations();
          return new EnrolledBus(bus, enrollment.maintain(scheduler, security.crlRefresh()));
        } catch (BusException e) {
          // The key manager may be reconnecting, e.g. after the XMPP server restarted; ask again until the
          // connect timeout is spent. A refusal (EnrollmentException) is final.
          if (System.nanoTime() + RETRY_PAUSE.toNanos() > deadline) {
            throw e;
          }
          log.warn("no answer from key manager {} yet ({}); asking again in {} ms", security.keyManager(),
              e.getMessage(), RETRY_PAUSE.toMillis());
          Thread.sleep(RETRY_PAUSE.toMillis());
        }
      }
    } catch (EnrollmentException | BusException | InterruptedException | RuntimeException e) {
      bus.close();
      throw e;
    }
  }

  @Override
  public void close() {
    upkeep.cancel();
    bus.close();
  }
}
