package org.cernvm.copilot.protocol.bus;

import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import javax.xml.namespace.QName;
import org.cernvm.copilot.protocol.Untrusted;
import org.jivesoftware.smack.SmackConfiguration;
import org.jivesoftware.smack.SmackException;
import org.jivesoftware.smack.packet.AbstractIqBuilder;
import org.jivesoftware.smack.packet.EmptyResultIQ;
import org.jivesoftware.smack.packet.ErrorIQ;
import org.jivesoftware.smack.packet.IQ;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.packet.Stanza;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.jivesoftware.smack.xml.XmlPullParser;
import org.jivesoftware.smack.xml.XmlPullParserException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Smack connection that no stanza can take off its stream. Smack 4.4 as it comes lets one stanza do
 * that three ways, all seen against Prosody with an ordinary account:
 *
 * <ul>
 *   <li>It answers an IQ request it cannot parse with malformed XML (the unparsed child escaped into an
 *       unclosed element), and the server closes the stream. This connection answers IQ requests itself: a
 *       CoPilot component serves none but roster pushes, which Smack handles, and pings, which get a
 *       result. Any other gets {@code service-unavailable} without the request's child (RFC 6120 8.3.3.1
 *       lets it be left out), charged to the sender's share of unauthenticated traffic; beyond that share,
 *       no answer.
 *   <li>It parses an unknown extension element recursively, so that a few thousand nested elements
 *       overflow the reader thread's stack and kill it, silently: the connection stays up and reads no
 *       more. This connection refuses stanzas nested deeper than {@value #MAX_DEPTH} elements before the
 *       parser gets there, and skips them.
 *   <li>Its default answer to a stanza that fails to parse is to throw, which closes the connection. This
 *       connection logs it, within the share of log lines unauthenticated traffic has, and goes on.
 * </ul>
 *
 * <p>Presence from anyone but the server and this component's own account is dropped: Smack's roster keeps
 * the last presence of every sender, with whatever it carries, so that a few accounts sending large
 * presences would fill the heap; a CoPilot component reads no presence. Roster pushes are Smack's only
 * from the server or the own account; from anyone else they are answered as any other IQ.
 */
final class GuardedConnection extends XMPPTCPConnection {
  private static final Logger log = LoggerFactory.getLogger(GuardedConnection.class);
  /** The deepest nesting of elements read inside one stanza; CoPilot's and the server's need a handful. */
  static final int MAX_DEPTH = 64;
  private static final QName PING = new QName("urn:xmpp:ping", "ping");
  private static final QName ROSTER = new QName("jabber:iq:roster", "query");

  /** What the connection charges a stranger with, and how it asks leave to log. */
  interface Strangers {
    /** Charges one message of {@code from}; {@code logLine} runs if it may be logged; says whether to answer. */
    boolean charge(Address from, Runnable logLine);

    /** Whether one more log line about traffic of unknown origin fits its share. */
    boolean mayLog();
  }

  private final Executor executor;
  private final Strangers strangers;

  GuardedConnection(XMPPTCPConnectionConfiguration configuration, Executor executor, Strangers strangers) {
    super(configuration);
    this.executor = executor;
    this.strangers = strangers;
    // Smack's own answer is never wanted; processStanza answers every IQ request before Smack would.
    setUnknownIqRequestReplyMode(SmackConfiguration.UnknownIqRequestReplyMode.doNotReply);
    setParsingExceptionCallback(unparsable -> {
      if (strangers.mayLog()) {
        log.warn("skipped a stanza that cannot be read: {}: {}", Untrusted.text(unparsable.getParsingException()),
            Untrusted.text(unparsable.getContent()));
      }
    });
  }

  @Override
  protected void parseAndProcessStanza(XmlPullParser parser)
      throws XmlPullParserException, IOException, InterruptedException {
    super.parseAndProcessStanza(new DepthLimitedParser(parser, parser.getDepth() + MAX_DEPTH));
  }

  /** Whether {@code stanza} comes from the server or this component's own account (no from is the server's). */
  private boolean fromServerOrSelf(Stanza stanza) {
    if (stanza.getFrom() == null) {
      return true;
    }
    String from = stanza.getFrom().asBareJid().toString();
    String domain = getXMPPServiceDomain() == null ? "" : getXMPPServiceDomain().toString();
    return from.equals(domain) || (getUser() != null && from.equals(getUser().asBareJid().toString()));
  }

  @Override
  protected void processStanza(Stanza stanza) throws InterruptedException {
    boolean trusted = fromServerOrSelf(stanza);
    if (stanza instanceof Presence) {
      if (trusted) {
        super.processStanza(stanza);
      }
      return;
    }
    if (!(stanza instanceof IQ iq) || !iq.isRequestIQ() || (trusted && ROSTER.equals(iq.getChildElementQName()))) {
      super.processStanza(stanza);
      return;
    }
    String domain = getXMPPServiceDomain() == null ? "" : getXMPPServiceDomain().toString();
    Address from = iq.getFrom() == null ? Address.of(domain) : Address.of(iq.getFrom().toString());
    boolean ping = PING.equals(iq.getChildElementQName()) && iq.getType() == IQ.Type.get;
    if (!trusted && !strangers.charge(from, () -> log.warn("answered an IQ {} {} from {} {}", iq.getType(),
        Untrusted.text(iq.getChildElementQName()), Untrusted.text(from), ping ? "with a pong"
            : "with service-unavailable"))) {
      return;
    }
    IQ answer = ping
        ? new EmptyResultIQ(iq)
        : ErrorIQ.builder(StanzaError.getBuilder(StanzaError.Condition.service_unavailable).build(),
            AbstractIqBuilder.createErrorResponse(iq)).build();
    // Not on the reader thread, which must never wait for the writer, nor see an exception of ours.
    try {
      executor.execute(() -> {
        try {
          sendStanza(answer);
        } catch (SmackException.NotConnectedException e) {
          log.debug("could not answer an IQ from {}: not connected", Untrusted.text(from));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
    } catch (RejectedExecutionException e) {
      log.debug("could not answer an IQ from {}: the bus is closing", Untrusted.text(from));
    }
  }

  /**
   * A parser that fails, once, when it would enter an element deeper than {@code limit}; Smack then skips
   * the rest of the stanza through it, iteratively.
   */
  private static final class DepthLimitedParser implements XmlPullParser {
    private final XmlPullParser p;
    private final int limit;
    private boolean tripped;

    DepthLimitedParser(XmlPullParser p, int limit) {
      this.p = p;
      this.limit = limit;
    }

    private <E> E checked(E event) throws XmlPullParserException {
      if (!tripped && p.getDepth() > limit
          && (event == Event.START_ELEMENT || event == TagEvent.START_ELEMENT)) {
        tripped = true;
        throw new XmlPullParserException("a stanza nested deeper than " + MAX_DEPTH + " elements");
      }
      return event;
    }

    @Override
    public Event next() throws IOException, XmlPullParserException {
      return checked(p.next());
    }

    @Override
    public TagEvent nextTag() throws IOException, XmlPullParserException {
      return checked(p.nextTag());
    }

    @Override
    public String nextText() throws IOException, XmlPullParserException {
      return p.nextText();
    }

    @Override
    public Object getProperty(String name) {
      return p.getProperty(name);
    }

    @Override
    public String getInputEncoding() {
      return p.getInputEncoding();
    }

    @Override
    public int getNamespaceCount() throws XmlPullParserException {
      return p.getNamespaceCount();
    }

    @Override
    public String getNamespacePrefix(int pos) throws XmlPullParserException {
      return p.getNamespacePrefix(pos);
    }

    @Override
    public String getNamespaceUri(int pos) throws XmlPullParserException {
      return p.getNamespaceUri(pos);
    }

    @Override
    public String getNamespace(String prefix) {
      return p.getNamespace(prefix);
    }

    @Override
    public int getDepth() {
      return p.getDepth();
    }

    @Override
    public String getPositionDescription() {
      return p.getPositionDescription();
    }

    @Override
    public int getLineNumber() {
      return p.getLineNumber();
    }

    @Override
    public int getColumnNumber() {
      return p.getColumnNumber();
    }

    @Override
    public boolean isWhiteSpace() throws XmlPullParserException {
      return p.isWhiteSpace();
    }

    @Override
    public String getText() {
      return p.getText();
    }

    @Override
    public String getNamespace() {
      return p.getNamespace();
    }

    @Override
    public String getName() {
      return p.getName();
    }

    @Override
    public QName getQName() {
      return p.getQName();
    }

    @Override
    public String getPrefix() {
      return p.getPrefix();
    }

    @Override
    public int getAttributeCount() {
      return p.getAttributeCount();
    }

    @Override
    public String getAttributeNamespace(int index) {
      return p.getAttributeNamespace(index);
    }

    @Override
    public String getAttributeName(int index) {
      return p.getAttributeName(index);
    }

    @Override
    public QName getAttributeQName(int index) {
      return p.getAttributeQName(index);
    }

    @Override
    public String getAttributePrefix(int index) {
      return p.getAttributePrefix(index);
    }

    @Override
    public String getAttributeType(int index) {
      return p.getAttributeType(index);
    }

    @Override
    public String getAttributeValue(int index) {
      return p.getAttributeValue(index);
    }

    @Override
    public String getAttributeValue(String namespace, String name) {
      return p.getAttributeValue(namespace, name);
    }

    @Override
    public Event getEventType() throws XmlPullParserException {
      return p.getEventType();
    }

    @Override
    public boolean supportsRoundtrip() {
      return p.supportsRoundtrip();
    }
  }
}
