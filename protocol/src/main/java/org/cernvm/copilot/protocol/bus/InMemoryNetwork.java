package org.cernvm.copilot.protocol.bus;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executor;
import org.cernvm.copilot.protocol.security.MessageSecurity;
import org.cernvm.copilot.protocol.time.Scheduler;

/**
 * An in-process network of buses for unit tests. It routes as an XMPP server does: a message to a bare
 * address reaches every connected endpoint under it, and a message to a full address that is not
 * connected goes to the bare address instead.
 */
public final class InMemoryNetwork {
  private final ConcurrentMap<Address, Map<Address, Endpoint>> endpoints = new ConcurrentHashMap<>();
  private final Scheduler scheduler;
  private final Executor executor;

  /**
   * Creates a network.
   *
   * @param scheduler times out requests
   * @param executor delivers messages to handlers and completes replies
   */
  public InMemoryNetwork(Scheduler scheduler, Executor executor) {
    this.scheduler = scheduler;
    this.executor = executor;
  }

  /**
   * Connects a new endpoint with the given full address, e.g. {@code jobmanager@test/jm-1}, signing and
   * verifying with {@code security}.
   */
  public Endpoint connect(String fullAddress, MessageSecurity security) {
    return connect(fullAddress, security, UnauthenticatedLimits.DEFAULT);
  }

  /** Connects a new endpoint that allows unauthenticated senders only {@code limits}. */
  public Endpoint connect(String fullAddress, MessageSecurity security, UnauthenticatedLimits limits) {
    Address address = Address.of(fullAddress);
    if (!address.isFull()) {
      throw new IllegalArgumentException("need a full address with a resource: " + fullAddress);
    }
    Endpoint endpoint = new Endpoint(address, security, limits);
    endpoints.computeIfAbsent(address.bare(), a -> new ConcurrentHashMap<>()).put(address, endpoint);
    return endpoint;
  }

  private void route(Address from, Address to, String id, String body) throws BusException {
    Map<Address, Endpoint> group = endpoints.getOrDefault(to.bare(), Map.of());
    Endpoint direct = to.isFull() ? group.get(to) : null;
    if (direct != null && direct.connected) {
      direct.receive(from, body);
      return;
    }
    boolean delivered = false;
    for (Endpoint e : group.values()) {
      if (e.connected) {
        e.receive(from, body);
        delivered = true;
      }
    }
    if (!delivered) {
      throw new BusException("recipient unavailable: " + to);
    }
  }

  /** One endpoint on an {@link InMemoryNetwork}. */
  public final class Endpoint extends AbstractBus {
    private final Address self;
    private volatile boolean connected = true;

    private Endpoint(Address self, MessageSecurity security, UnauthenticatedLimits limits) {
      super(security, limits, InMemoryNetwork.this.scheduler, InMemoryNetwork.this.executor);
      this.self = self;
    }

    @Override
    public Address self() {
      return self;
    }

    @Override
    public boolean isConnected() {
      return connected;
    }

    /** Simulates losing ({@code false}) or regaining ({@code true}) the connection. */
    public void setConnected(boolean connected) {
      this.connected = connected;
    }

    @Override
    void transmit(Address to, String id, String body) throws BusException {
      if (!connected) {
        throw new BusException("not connected");
      }
      route(self, to, id, body);
    }

    /** Delivers a raw body to this endpoint as if {@code from} had sent it, for bad-input tests. */
    public void injectRaw(Address from, String body) {
      receive(from, body);
    }

    @Override
    public void close() {
      connected = false;
      Map<Address, Endpoint> group = endpoints.get(self.bare());
      if (group != null) {
        group.remove(self);
      }
      stopBackgroundWork();
      failAllPending("bus closed");
    }
  }
}
