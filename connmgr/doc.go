// Package connmgr implements the connection side of a soterd node: a
// connection manager that keeps a target number of outbound connections,
// redials persistent peers with exponential backoff and accepts inbound
// connections within a total and a per-IP bound; a ban manager with decaying
// misbehaviour scores and bans that survive a restart (bans.json); and an
// address book fed by addr gossip, persisted as peers.json, that picks
// outbound candidates and answers getaddr.
//
// The three parts are independent: the node wires them together, for
// example by refusing banned hosts in the connection manager's OnAccept and
// by drawing GetNewAddress from the address book.
//
// Package connmgr does not speak the wire protocol: it hands raw
// connections to the node, which runs package peer on them. It does not
// decide which behaviour deserves ban score; the node reports scores that
// package peer and the sync manager compute.
package connmgr
