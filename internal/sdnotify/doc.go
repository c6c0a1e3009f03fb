// Package sdnotify implements the client side of systemd's service
// notification protocol, so that soterd can run as a Type=notify unit.
//
// The protocol is one datagram per message to the unix socket named by
// $NOTIFY_SOCKET (a leading '@' names a socket in the abstract namespace):
// newline-separated VARIABLE=value assignments such as READY=1, STATUS=...,
// WATCHDOG=1 and STOPPING=1. A Notifier sends READY=1 when started, a
// STATUS= line from a caller's function at a fixed interval, WATCHDOG=1
// at half the period systemd asks for in $WATCHDOG_USEC, and STOPPING=1
// when stopped. Without $NOTIFY_SOCKET every call does nothing, so the
// daemon needs no flag to tell it whether systemd runs it.
//
// Package sdnotify does not open file descriptors for systemd to keep
// (FDSTORE), does not read socket activation, and does not check that the
// process is healthy before a watchdog ping: the ping says that the
// process is scheduled and the notifier's goroutine runs.
package sdnotify
