// Command sotermine is an external CPU miner for soterd: it mines over
// JSON-RPC and the websocket alone, as GPU and ASIC miners and pools do,
// and is the reference for anyone writing one (docs/mining.md explains the
// template, the nonce space, the extra nonce, the coinbase and the merkle
// root step by step).
//
// Usage:
//
//	sotermine [--regtest|--simnet|--testnet] [-s host:port] [-u user -P pass]
//	          [--miningaddr address] [-t workers] [--pace d] [--maxblocks n]
//	sotermine --bench 10s [-t workers]
//
// Options come from the command line, over the config file
// (~/.sotermine/sotermine.conf, or -C), in go-flags INI form as soterctl
// reads its own. It connects to soterd's websocket endpoint with the
// options and defaults of soterctl (TLS trusting ~/.soterd/rpc.cert,
// credentials from ~/.soterd/soterd.conf, the network's RPC port), asks for
// blocktemplatechanged notifications (notifyblocktemplate) and fetches a
// template with getblocktemplate, paying --miningaddr or, without it, the
// node's mining key. Each of N workers (one per core by default) hashes
// the template's header with its own extra nonce in the coinbase, from a
// random nonce, through package mining's nonce search, the loop of the
// built-in CPU miner. When the node announces a new template (the DAG's
// tips moved, or new transactions were waiting), the workers drop the old
// one at once and start on the new one; every 5 s the header's timestamp
// moves on. A solved block goes to submitblock and the answer is logged,
// with the hash rate every --statsinterval.
//
// On regtest and simnet almost every hash meets the target, so sotermine
// waits --pace (default the network's block interval, 1 s) after each
// block, as soterd's own miner does; a negative --pace turns that off.
// --maxblocks N exits after N accepted blocks. A lost connection is dialled
// again every 5 s; SIGINT or SIGTERM stops the miner cleanly.
//
// --bench hashes a synthetic header on the workers for the given time,
// without a node, and prints
//
//	sotermine bench workers=N seconds=S hashes_per_s=X per_worker=Y
//
// which soterbench hashrate compares with the built-in miner.
//
// sotermine keeps no state and no keys: the coinbase pays a public key,
// and spending what it earns needs the private key and sotertx.
package main
