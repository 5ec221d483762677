/**
 * The PanDA adapter: a JobSource that takes ATLAS jobs from PanDA's job dispatcher. It is built by
 * issue 4.
 */
package org.cernvm.copilot.panda;
