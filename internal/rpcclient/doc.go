// Package rpcclient implements what soterd's command-line RPC clients
// share: the options that say where soterd's RPC server is and how to log
// in to it (soterctl's, which sotermine reuses), their defaults from
// soterd's own files, the TLS configuration that trusts soterd's generated
// certificate, and a JSON-RPC client over the websocket endpoint that
// matches replies to calls and delivers notifications.
//
// Defaults, as soterctl has always applied them: without a user and
// password the client reads rpcuser and rpcpass from soterd's config file
// (~/.soterd/soterd.conf); the server is 127.0.0.1 on the network's RPC
// port; TLS is on and trusts ~/.soterd/rpc.cert.
//
// Package rpcclient does not parse command lines (the commands embed
// ConnOptions in their go-flags options), reconnect a dropped websocket
// (the caller dials again), or know any method beyond the envelopes of
// package rpcmodel.
package rpcclient
