// Command soterctl is the command-line JSON-RPC client of soterd, in the
// manner of btcctl:
//
//	soterctl [options] <method> [params...]
//
// It sends one request to soterd's RPC server and prints the result: strings
// as they are, everything else as indented JSON, nothing for null. Errors go
// to standard error as "code: message" and the exit status is 1.
//
// Parameters are converted by the method's parameter types from package
// rpcmodel: numbers and booleans are parsed, JSON objects and arrays passed
// through, strings taken as they are. A parameter of "-" is read as one line
// from standard input, for values too long for a command line (submitblock
// of a large block, for example).
//
// Options come from the command line and from the config file
// (~/.soterctl/soterctl.conf, or -C), in go-flags INI form (plain
// "key=value" lines work). When neither names an RPC user and password,
// soterctl reads rpcuser and rpcpass from soterd's own config file
// (~/.soterd/soterd.conf), so a local node needs no client setup. TLS is on
// by default and trusts soterd's generated certificate (~/.soterd/rpc.cert).
// The server defaults to 127.0.0.1 on the selected network's RPC port.
//
// soterctl -l lists the methods by category; soterctl help <method>
// asks the node for a method's help.
//
// soterctl does not keep connections, does not speak websocket (it cannot
// receive notifications) and does not sign transactions (see sotertx).
package main
