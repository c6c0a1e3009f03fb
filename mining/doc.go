// Package mining implements block templates and the CPU miner.
//
// A Generator builds a block template on the current virtual block: the
// parents, blue score, bits and earliest timestamp come from the DAG
// (TemplateState), the transactions from the mempool by fee rate (parents
// before children, within the block size limit, re-checked against the
// virtual's UTXO set when a FetchUTXO function is given), and a coinbase
// pays the block subsidy to the miner's public key. Its payload is the
// block's blue score (8 bytes little endian), a random extra nonce (8
// bytes) that keeps every template's coinbase, and so its txid, unique,
// and a short miner tag. Fees are burned (DESIGN.md), so the coinbase pays
// the subsidy only. Each template is checked by CheckBlockTemplate (every
// validation stage but proof of work) before anyone hashes it.
//
// A CPUMiner runs N worker goroutines over a template, takes a fresh one
// when the tips change (NotifyTipsChanged) or every few seconds, and hands
// solved blocks to a SubmitBlock function the node supplies. On the local
// test networks, where almost any nonce meets the target, the continuous
// miner paces itself to one block per PaceBlocks so it cannot fill a disk;
// Generate mines a given number of blocks at once for tests and is never
// paced.
//
// HeaderHasher and Target, the proof-of-work search, are exported so that
// external miners (cmd/sotermine) hash through the same loop, and
// NewCoinbase gives getblocktemplate a fresh coinbase for each caller.
//
// The package does not validate blocks (package blockdag does), relay them
// (netsync does), or pick parents itself: it trusts TemplateState, which
// the node fills from blockdag's TemplateInfo. It does not serve miners
// over the network either: package rpcserver serves getblocktemplate from a
// Generator, and there is no getwork or stratum.
package mining
