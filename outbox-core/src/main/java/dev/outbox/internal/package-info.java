/** The relay engine and argument checks. Not API: may change in any release. */
package dev.outbox.internal;
