package org.cernvm.copilot.protocol;

import java.time.Instant;

/**
 * {@code have_getJob}: a job manager that has work for the offered slot says so; the agent claims it
 * from the first that answers.
 *
 * @param id message id
 * @param sentAt send time
 * @param replyTo the {@link WantGetJob} answered
 * @param source the job source behind this job manager ({@code generic}, {@code panda}, …)
 */
public record HaveGetJob(String id, Instant sentAt, String replyTo, String source) implements Reply {
  public HaveGetJob {
    Checks.id(id, "id");
    Checks.present(sentAt, "sentAt");
    Checks.id(replyTo, "replyTo");
    Checks.id(source, "source");
  }
}
