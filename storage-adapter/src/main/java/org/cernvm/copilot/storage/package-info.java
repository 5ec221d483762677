/**
 * The storage adapter: upload grants, verified HTTP uploads, storage backends and output
 * registration upstream. It is built by issue 3; until then outputs stay in the agent's job directory
 * and are described (size, adler32, md5) in jobDone.
 */
package org.cernvm.copilot.storage;
