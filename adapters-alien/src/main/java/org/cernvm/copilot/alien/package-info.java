/**
 * The AliEn adapter: a JobSource that takes ALICE jobs from AliEn's central services. It is built
 * by issue 5.
 */
package org.cernvm.copilot.alien;
