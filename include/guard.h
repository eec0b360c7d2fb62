/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_GUARD_H
#define POSTDESK_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"

/*
 * The guard tells a fault of one message from a fault of the machine.
 * While it is armed for a message, a crash (SIGSEGV, SIGBUS, SIGILL,
 * SIGFPE, SIGABRT, SIGTRAP: also a failed allocation under the memory limit,
 * which GLib turns into an abort) or an expired CPU limit writes one
 * line "<digest> <attempt> <what>\n" with write(2) to the faults file,
 * "<database>.faults", opened before any message is read.  The next
 * attempt at that message finds the line (guard_faulted) and counts it;
 * a SIGKILL, a SIGTERM or a temporary failure leaves no line and never
 * counts.
 *
 * After a crash the signal goes on to the handler that was there before
 * (the default one, or a sanitizer's); after the CPU limit the process
 * exits with EX_TEMPFAIL.
 */

/* Open the faults file and install the handlers; cpu_seconds (0: none)
 * limits the processor time of one armed message, memory (0: none) the
 * address space of the whole process (not under AddressSanitizer, which
 * needs a vast one).  0 / -1 (logged; the caller goes on unguarded). */
int	guard_init(const char *database, unsigned cpu_seconds,
	    uint64_t memory);

/* Arm for one attempt at one message (its digest and the number of the
 * attempt, so that a line of an earlier attempt never counts twice),
 * then disarm.  No-ops without guard_init. */
void	guard_arm(const char *digest, unsigned attempt);
void	guard_disarm(void);

/* Does the faults file of database hold a line for this attempt at
 * digest?  what gets the fault's name ("SIGSEGV", "cpu-time") when it
 * does. */
bool	guard_faulted(const char *database, const char *digest,
	    unsigned attempt, char *what, size_t whatlen);

#endif
