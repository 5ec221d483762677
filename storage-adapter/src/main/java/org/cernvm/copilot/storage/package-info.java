/**
 * The storage adapter: it answers {@code want_storeJobOutputDir} — from the agent a job manager's lease
 * ticket names — with signed upload grants sealed for that agent, serves the
 * HTTP upload endpoint, verifies each upload (size, adler32, md5) while streaming it into a
 * {@link org.cernvm.copilot.storage.StorageBackend}, and, once every output of a job is stored, asks the
 * job's job-manager service to register them upstream ({@code registerOutputs}).
 *
 * <p>It keeps no state of its own: a grant carries everything needed to check an upload (the job's sealed
 * ticket by its digest; each upload presents the ticket itself in a header, for {@code registerOutputs}),
 * and whether a job's outputs are complete is read from the backend, where a file appears only once verified. Replicas
 * that share the grant key and the backend are interchangeable. The one thing each replica counts for itself
 * is how many uploads each agent has in progress there, to bound them.
 *
 * <p>The upload endpoint decides a {@code PUT} on its headers (path, grant, job ticket, declared length,
 * the agent's uploads in progress) before reading any of its body; a refused body is not waited for, and the answer
 * closes the connection. An admitted body gets a worker thread only once its first bytes arrive, and is cut
 * off with {@code 408} if it falls below a minimum data rate or goes silent for the idle timeout.
 */
package org.cernvm.copilot.storage;
