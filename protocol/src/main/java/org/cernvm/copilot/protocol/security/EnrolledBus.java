package org.cernvm.copilot.protocol.security;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executor;
import org.cernvm.copilot.protocol.bus.Bus;
import org.cernvm.copilot.protocol.bus.BusException;
import org.cernvm.copilot.protocol.bus.XmppBus;
import org.cernvm.copilot.protocol.bus.XmppSettings;
import org.cernvm.copilot.protocol.time.Scheduler;

/**
 * A component's XMPP bus once the component holds a certificate: it logs in, enrolls with its token (or
 * keeps, or renews, the certificate it kept from an earlier run), fetches the revocation list, and from
 * then on renews and refreshes in the background until closed.
 *
 * @param bus the bus, signing with the component's certificate
 * @param upkeep the background renewal and revocation-list refresh
 */
public record EnrolledBus(XmppBus bus, Scheduler.Cancellable upkeep) implements AutoCloseable {
  /**
   * Connects and enrolls as the XMPP account of {@code xmpp}. A request to the key manager that gets no
   * usable answer (it may be reconnecting, e.g. after the XMPP server restarted, or its answer was lost) is
   * sent again with backoff for up to {@code connectTimeout}, enrollment with the same key pair, so that
   * the key manager answers a repeated enrollment with the certificate it issued at the first.
   *
   * @param connectTimeout how long to wait for the first login, and how long after its first request to
   *     the key manager a retry may start (each waits {@link SecuritySettings#timeout})
   * @throws EnrollmentException if the key manager refused
   * @throws BusException if the server or the key manager could not be reached in time
   * @throws IOException if the CA certificate or the kept credentials cannot be read
   */
  public static EnrolledBus connect(XmppSettings xmpp, SecuritySettings security, Scheduler scheduler,
      Executor executor, Duration connectTimeout)
      throws EnrollmentException, BusException, IOException, InterruptedException {
    XmppBus bus = Bus.xmpp(xmpp, security.open(scheduler.clock()), scheduler, executor);
    try {
      bus.awaitConnected(connectTimeout);
      Enrollment enrollment = new Enrollment(bus, security.keyManager(), security.timeout(), scheduler,
          Enrollment.Retry.within(connectTimeout));
      enrollment.ensure(bus.self().local(), security.token());
      enrollment.refreshRevocations();
      return new EnrolledBus(bus, enrollment.maintain(scheduler, security.crlRefresh()));
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
