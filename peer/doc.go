// Package peer implements one remote soterd node over a net.Conn: the
// version/verack handshake, the read loop that decodes frames and hands each
// message to listener callbacks, a prioritised write queue that never blocks
// its caller, pings with round-trip times, idle and stall timeouts, and the
// per-peer set of known inventory that keeps announcements from being sent
// twice.
//
// # Lifecycle
//
// A Peer is made by NewInboundPeer or NewOutboundPeer and started by
// AssociateConnection, which runs the handshake on a goroutine of its own.
// Once the handshake succeeds the peer runs three goroutines: the read loop
// (inHandler), the write loop (outHandler) and a timer loop (timeHandler) for
// pings, stall checks and the trickled flushing of transaction inventory.
// Disconnect ends all of them; it is idempotent and safe from any goroutine,
// and WaitForDisconnect returns once every goroutine of the peer has exited.
//
// # Misbehaviour
//
// Protocol violations are reported through the OnMisbehavior listener with a
// score (the Score* constants) and a reason. A violation that leaves the
// stream unusable (bad magic, bad checksum, an oversized frame, a malformed
// payload) also ends the connection. The peer never bans: whether a score
// leads to a ban is decided by the caller, normally through the ban manager
// of package connmgr.
//
// # What this package does not do
//
// It does not dial or accept connections (package connmgr does), does not
// decide what to answer to getdata, getblocks or getaddr, and does not
// validate blocks or transactions: those decisions belong to the listeners
// the node installs. It imports no package above wire.
package peer
