/**
 * The AliEn adapter: a JobSource that takes ALICE jobs from AliEn's central services.
 */
package org.cernvm.copilot.alien;
