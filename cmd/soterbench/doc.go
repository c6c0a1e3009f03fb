// Command soterbench measures soterd on a real network of soterd processes
// on the local machine: the initial block download of a fresh node, the
// propagation of new blocks along a line of nodes, how soon a miner holds a
// block template on a new block, the machine's raw Schnorr signature
// verification rate to compare them with, and the hash rate of the external
// miner against the built-in one.
//
// Usage:
//
//	soterbench ibd [-n N] [-txs T] [-width W] [-utxoindex] [-peers K] [-delay D] [-jitter J] [-mbit M]
//	               [-dir DIR] [-soterd PATH] [-profile PORT]
//	soterbench propagate [-nodes K] [-blocks B] [-dir DIR] [-soterd PATH]
//	soterbench schnorr [-seconds S] [-cpu C]
//	soterbench template [-blocks B] [-dir DIR] [-soterd PATH]
//	soterbench hashrate [-seconds S] [-rounds R] [-workers W] [-sotermine PATH]
//	soterbench dbsize -db DIR
//
// ibd builds a source DAG of N blocks in process, with packages blockdag,
// mining and keys, straight into the database of a soterd home directory:
// rounds of W blocks built on the same tips (so the DAG is W wide), each
// with its own coinbase key and T signed 1-in/1-out or 1-in/2-out
// transactions spending outputs of earlier rounds, coins first split from
// matured coinbases. It then starts a soterd on that home, starts a second
// soterd with an empty home connected to the first (--connect), and times
// the download from the second process's start until its getdaginfo shows
// the first's tips and UTXO commitment. It prints
//
//	ibd n=N txs=T width=W seconds=S blocks_per_s=B tx_per_s=X peak_rss_mb=M
//
// where peak_rss_mb is the syncing process's VmHWM in MiB; with -utxoindex
// the syncing node keeps the UTXO index and the line ends in utxoindex=1. With -dir the
// node homes are kept and a source DAG built there before with the same
// shape by the same soterbench executable is reused, which saves the build
// on repeated runs.
//
// With -peers K, K source nodes serve the same DAG (the others on copies
// of the first one's store) and the syncing node connects to all of them.
// With -delay, -jitter or -mbit every connection goes through a proxy of
// package internal/wanproxy that gives each direction that one-way delay,
// jitter and bandwidth cap, and the line goes on with
//
//	peers=K delay_ms=D mbit=M wire_mb=B link_bound_s=L vs_bound=R
//
// where wire_mb is what the links carried to the syncing node, link_bound_s
// the least time a download can take over them (wire_mb at the K links'
// combined bandwidth plus 3 round trips: the handshake, the first getblocks
// and the first getdata) and vs_bound the measured time over it. The bound
// leaves the CPU out: on a loaded machine compare with a loopback run too.
//
// propagate starts K soterd processes in a line, each connected to the
// next, subscribes to blockconnected notifications on every node's
// websocket, mines B blocks one at a time on the first node (RPC generate
// 1) and timestamps each block's notification on each node. It prints the
// median and the 99th percentile of the delay between neighbours:
//
//	propagate nodes=K blocks=B hop_median_ms=X hop_p99_ms=Y
//
// schnorr verifies BIP-340 signatures on C goroutines (one per core by
// default) for S seconds, each verification parsing the key and the
// signature as blockdag does for a transaction input, and prints the rate.
//
// template starts one soterd, subscribes a websocket client to
// blocktemplatechanged, and B times mines a block from the current
// template and submits it over HTTP while an HTTP long poll on that
// template waits. From the moment submitblock is sent (so the upload and
// the block's validation count) it times the websocket client holding a
// template built on the block (notification, then getblocktemplate on the
// same connection, as sotermine does) and the long poll answering with
// one:
//
//	template blocks=B ws_median_ms=X ws_p99_ms=Y longpoll_median_ms=Z longpoll_p99_ms=W
//
// hashrate runs, R times in turn, package mining's CPU miner in process and
// sotermine --bench (found beside soterbench, in bin/ or on PATH), each
// with W workers for S seconds on a target no hash meets, and prints the
// medians per worker and their ratio:
//
//	hashrate workers=W seconds=S rounds=R builtin_per_worker=X sotermine_per_worker=Y ratio=Z
//
// dbsize opens the store of a stopped node read-only (DIR is its
// data/<network>/db), adds up the keys and values of every bucket, and
// prints them beside the files' size on disk:
//
//	dbsize live_mib=L disk_mib=D over_pct=P
//
// over_pct is how much more the disk holds than a fully compacted store
// would: deleted keys not yet compacted away, and LevelDB's own overhead.
//
// The nodes run on regtest (or simnet with -net) with loopback addresses
// the kernel picks, RPC over plain HTTP on loopback, and their output in
// stdout.log in their home directories. Every process soterbench started is
// stopped when it exits, also on an error or Ctrl-C. soterbench does not
// tune or change the nodes it measures: it runs the soterd executable as
// built, with its default options.
package main
