/**
 * The CoPilot protocol: one record per verb, the JSON codec, and the wire format.
 *
 * <h2>Wire format</h2>
 *
 * <p>Every message is one JSON object, UTF-8, at most 192 KiB counted as bytes on the wire (after XML
 * escaping, see {@link org.cernvm.copilot.protocol.WireJson}), in an envelope: one line of JSON naming
 * the recipient and carrying the sender's signature ({@code {"to", "cert", "sig"}}) or pairwise MAC
 * ({@code {"to", "from", "for", "mac"}}), then a newline and the message's JSON text (see
 * {@link org.cernvm.copilot.protocol.security.MessageSecurity} for the envelope, the checks every receiver
 * makes, and which roles may send which verb), carried as the body of an XMPP
 * {@code <message type='normal'>} stanza whose stanza id equals the message id (see
 * {@link org.cernvm.copilot.protocol.bus.XmppBus}). The property {@code verb} names the message kind; the
 * other properties are the record components of that verb, by name. Times ({@code sentAt},
 * {@code deadline}, {@code expiresAt}) are ISO-8601 instants in UTC ({@code 2026-11-23T10:15:30.123Z});
 * durations ({@code ttl}, {@code lifetime}, {@code wallTime}) are ISO-8601 durations ({@code PT1H}).
 * Enumerations are their upper-case names. Every property is required and must have the declared JSON
 * type (no string-to-number coercion); a property documented as nullable may be {@code null} but must be
 * present. Unknown properties are ignored so that newer peers can add some.
 *
 * <p>Every message has {@code id} (unique; replies quote it) and {@code sentAt}. Replies have
 * {@code replyTo}. Ids ({@code id}, {@code replyTo}, {@code agentId}, {@code jobId}, {@code leaseId},
 * {@code keyId}, {@code source}, {@code name}) are identifiers as {@link org.cernvm.copilot.protocol.MessageIds}
 * defines them: 1 to 128 ASCII letters, digits and {@code . _ : @ + = / ~ # -}. Numbers must be finite and of
 * the declared kind (a count takes no fraction); a string takes no number or boolean. Characters XML does not
 * allow (U+FFFE, U+FFFF, lone surrogates) travel as JSON escapes, as every surrogate does.
 *
 * <table>
 *   <caption>Verbs</caption>
 *   <tr><th>verb</th><th>from → to</th><th>fields besides id, sentAt</th><th>answered by</th></tr>
 *   <tr><td>{@code want_getJob}</td><td>agent → service address (all job managers)</td>
 *       <td>{@code agentId}, {@code resources} {cores, memoryMb, diskMb, lifetime, platform, experiments[]}</td>
 *       <td>{@code have_getJob} from each job manager with work (silence otherwise), or {@code runJob} in
 *       direct dispatch</td></tr>
 *   <tr><td>{@code have_getJob}</td><td>job manager → agent</td><td>{@code replyTo}, {@code source}</td><td>—</td></tr>
 *   <tr><td>{@code getJob}</td><td>agent → the job manager that answered first</td>
 *       <td>{@code agentId}, {@code resources}</td><td>{@code runJob} or {@code error} NO_JOB</td></tr>
 *   <tr><td>{@code runJob}</td><td>job manager → agent</td>
 *       <td>{@code replyTo}, {@code job} {jobId, source, experiment, command, args[], env{}, inputs[{name, source,
 *       checks[{kind (SIZE, ADLER32, MD5), value}]}],
 *       outputs[], log {file, directory} (the log tarball the agent makes and stores), ttl, cores}, {@code lease} {leaseId, epoch, deadline}, {@code ticket} (a {@link
 *       org.cernvm.copilot.protocol.LeaseTicket} signed by the job manager)</td><td>—</td></tr>
 *   <tr><td>{@code heartbeat}</td><td>agent → job manager, every lease/3</td>
 *       <td>{@code agentId}, {@code jobId}, {@code lease} {leaseId, epoch}, {@code state}
 *       (STAGING_IN, RUNNING, STAGING_OUT), {@code usage} {wallTime, cpuSeconds, rssMb, peakRssMb}</td>
 *       <td>{@code ack} whose {@code commands} may hold {@code kill}/{@code drain}; {@code error} FENCED</td></tr>
 *   <tr><td>{@code want_storeJobOutputDir}</td><td>agent → storage service address</td>
 *       <td>{@code agentId}, {@code jobId}, {@code source}, {@code jobManager} (bare service address),
 *       {@code lease}, {@code files} [{name, sizeBytes, adler32, md5}] (every output of the job), {@code ticket}
 *       (the lease ticket of {@code runJob})</td>
 *       <td>{@code storeJobOutputDir}, or {@code error} (FORBIDDEN job manager or ticket of another job or
 *       agent, UNAUTHENTICATED ticket, TOO_LARGE, INVALID_FIELD)</td></tr>
 *   <tr><td>{@code storeJobOutputDir}</td><td>storage adapter → agent</td>
 *       <td>{@code replyTo}, {@code jobId}, {@code grants} [{file, url, maxBytes, expiresAt, token}], each token
 *       {@link org.cernvm.copilot.protocol.Sealed} {key, nonce, data} for the agent</td><td>—</td></tr>
 *   <tr><td>{@code jobDone}</td><td>agent → job manager</td>
 *       <td>{@code agentId}, {@code jobId}, {@code lease}, {@code outcome} (SUCCEEDED, FAILED, KILLED,
 *       TTL_EXCEEDED, or RELEASED: handed back unfinished to run again elsewhere), {@code failure} (a {@link
 *       org.cernvm.copilot.protocol.FailureKind} that fits the outcome: NONE, STAGE_IN…, MISSING_INSTALLATION,
 *       PAYLOAD, MISSING_OUTPUT, STAGE_OUT, LOG, TTL, KILLED; never LOST, which only a job manager records),
 *       {@code exitCode}, {@code diagnostic}, {@code usage}, {@code report} ({@code events},
 *       {@code cpuSeconds}, {@code workDirBytes} from the payload's own report, each -1 when unknown),
 *       {@code outputs} (the log tarball among them once stored)</td>
 *       <td>{@code ack}, or {@code error} FENCED for a lease that is no longer current, or
 *       OUTPUTS_NOT_REGISTERED (retryable) when a successful job's outputs are not yet registered</td></tr>
 *   <tr><td>{@code registerOutputs}</td><td>storage adapter → job-manager service</td>
 *       <td>{@code agentId}, {@code jobId}, {@code lease}, {@code files} [{file {name, sizeBytes, adler32, md5},
 *       location}]</td><td>{@code ack}, or {@code error} FENCED, FORBIDDEN (sender is not a configured storage
 *       adapter), UPSTREAM_UNAVAILABLE</td></tr>
 *   <tr><td>{@code enroll}</td><td>component → key-manager service</td>
 *       <td>{@code name} (the sender's account), {@code token} (one-time enrollment token, sealed for the CA's
 *       key), {@code csr} (PKCS#10, PEM); the one verb that may travel unsigned</td>
 *       <td>{@code enrolled}; the same certificate again for a repeated {@code enroll} (same token, name and
 *       key, within the token's validity), so that a component whose answer was lost may ask again; or
 *       {@code error} FORBIDDEN (token unknown or expired, used for another name or key or for a certificate
 *       since revoked; name not the sender's), UNAUTHENTICATED (token not sealed for this key manager) or
 *       INVALID_FIELD (bad request), or INTERNAL (retryable: the use could not be recorded)</td></tr>
 *   <tr><td>{@code renew}</td><td>component → key-manager service, signed with the certificate to renew</td>
 *       <td>{@code csr} (for a new key pair)</td><td>{@code enrolled} in the same name and role</td></tr>
 *   <tr><td>{@code fetchCrl}</td><td>component → key-manager service</td><td>—</td><td>{@code crl}</td></tr>
 *   <tr><td>{@code crl}</td><td>key manager → component</td><td>{@code replyTo}, {@code crl} (X.509 CRL, PEM,
 *       signed by the CA)</td><td>—</td></tr>
 *   <tr><td>{@code enrolled}</td><td>key manager → component</td>
 *       <td>{@code replyTo}, {@code certificate} (PEM), {@code ca} (PEM)</td><td>—</td></tr>
 *   <tr><td>{@code ack}</td><td>any → requester</td><td>{@code replyTo}, {@code commands} []</td><td>—</td></tr>
 *   <tr><td>{@code error}</td><td>any → requester</td>
 *       <td>{@code replyTo} (nullable), {@code code}, {@code retryable}, {@code message}</td><td>—</td></tr>
 *   <tr><td>{@code kill}</td><td>operator → service; job manager → agent inside {@code ack}</td>
 *       <td>{@code jobId}, {@code reason}</td><td>{@code ack} or {@code error} UNKNOWN_JOB</td></tr>
 *   <tr><td>{@code drain}</td><td>operator → service; job manager → agent inside {@code ack}</td>
 *       <td>{@code agentId}, {@code reason}</td><td>{@code ack}</td></tr>
 * </table>
 *
 * <p>Output files never travel over XMPP: the storage adapter's grants name an HTTP(S) URL and a signed
 * token, and the upload endpoint answers with an {@link org.cernvm.copilot.protocol.UploadReceipt}, whose
 * documentation describes the endpoint.
 *
 * <p>Error codes are listed in {@link org.cernvm.copilot.protocol.ErrorCode}. A message that fails a
 * security check is answered with {@code error} UNAUTHENTICATED, FORBIDDEN or REPLAYED naming the reason,
 * and a body that cannot be decoded with {@code error} (MALFORMED, UNKNOWN_VERB, MISSING_FIELD, INVALID_FIELD, TOO_LARGE)
 * — in both cases quoting its id when the id could be read and the body was not itself a reply; otherwise it is dropped
 * with one log line.
 */
package org.cernvm.copilot.protocol;
