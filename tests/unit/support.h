/*
 * support.h -- helpers shared by the unit tests that use the message layer.
 */
#ifndef SIPHON_TEST_SUPPORT_H
#define SIPHON_TEST_SUPPORT_H

#include <siphon/msg.h>

/* The URI of a name-addr value; a failed parse is a test failure and gives
 * an empty URI, so the checks that follow fail instead of crashing. */
const siphon_uri *uri_of(siphon_msg *m, const siphon_nameaddr *na);

#endif
