package org.cernvm.copilot.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A job ticket as the one header value an upload carries it in, and the digest a grant binds it by. */
class JobTicketTest {
  private static final JobTicket TICKET = new JobTicket("k1a2b3", "AAECAwQFBgcICQoL", "eyJqb2IiOjF9+/==");

  @Test
  void theHeaderValueReadsBackToTheSameTicketAndTheDigestTellsTicketsApart() {
    assertThat(JobTicket.fromHeader(TICKET.header())).isEqualTo(TICKET);
    assertThat(TICKET.digest()).hasSize(43).isEqualTo(JobTicket.fromHeader(TICKET.header()).digest())
        .isNotEqualTo(new JobTicket("k1a2b3", "AAECAwQFBgcICQoL", "eyJqb2IiOjJ9+/==").digest());
  }

  @Test
  void aMalformedHeaderValueIsRefusedNamingItsForm() {
    for (String bad : new String[] {"", "k1 only-two", "k1 a b c", "k1  AAAA", "k1 AA;A BBBB", "bad\u0000id AAAA BBBB"}) {
      assertThatThrownBy(() -> JobTicket.fromHeader(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
