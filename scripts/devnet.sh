#!/bin/sh
# devnet.sh starts, stops and describes a local network of three mining
# simnet nodes, for trying soterd and soterctl by hand.
#
#   scripts/devnet.sh start    start the nodes (make devnet)
#   scripts/devnet.sh stop     stop them (make devnet-stop)
#   scripts/devnet.sh status   show which are running
#
# Each node has its own home directory under $DEVNET_DIR (default ./devnet):
# node1, node2 and node3, each with soterd.conf, the data and log
# directories, the RPC certificate and soterd.pid. They listen on loopback
# only, P2P on $DEVNET_PORT+10*(i-1)+1 and RPC (TLS) on $DEVNET_PORT+10*(i-1)+2 for
# node i (default base 18950: 18951/18952, 18961/18962, 18971/18972, clear
# of simnet's default 18941/18942), and connect in a triangle: node1 to
# node2, node2 to node3, node3 to node1. Each mines with one worker at the
# miner's default pace (a block a second on simnet).
#
# The conf files are written on the first start and kept, so the RPC
# passwords stay the same across restarts; delete $DEVNET_DIR to start
# over with a new DAG. $SOTERD and $SOTERCTL name the executables (default
# bin/soterd and bin/soterctl).

set -eu

DEVNET_DIR=${DEVNET_DIR:-./devnet}
DEVNET_PORT=${DEVNET_PORT:-18950}
SOTERD=${SOTERD:-bin/soterd}
SOTERCTL=${SOTERCTL:-bin/soterctl}
NODES="1 2 3"

# How long start waits for each node's RPC server, and stop for each node
# to exit after SIGTERM (soterd gives up its clean shutdown after 10 s).
START_WAIT=30
STOP_WAIT=15

die() {
	echo "devnet: $*" >&2
	exit 1
}

# abspath prints the absolute path of an existing directory.
abspath() {
	(cd "$1" && pwd)
}

p2p_port() { echo $((DEVNET_PORT + 10 * ($1 - 1) + 1)); }
rpc_port() { echo $((DEVNET_PORT + 10 * ($1 - 1) + 2)); }

# next_node prints the node that node $1 connects to: 1->2->3->1.
next_node() { echo $(($1 % 3 + 1)); }

home_of() { echo "$DEVNET_DIR/node$1"; }

# conf_value prints the value of option $2 in the conf file of node $1.
conf_value() {
	sed -n "s/^$2=//p" "$(home_of "$1")/soterd.conf" | tail -n 1
}

# random_pass prints 24 random alphanumeric characters.
random_pass() {
	LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | dd bs=24 count=1 2>/dev/null
}

# running_pid prints the pid of node $1 if its pid file names a live
# soterd process, and fails otherwise.
running_pid() {
	pidfile="$(home_of "$1")/soterd.pid"
	[ -f "$pidfile" ] || return 1
	pid=$(cat "$pidfile")
	case "$pid" in
	'' | *[!0-9]*) return 1 ;;
	esac
	kill -0 "$pid" 2>/dev/null || return 1
	# A stale pid file may name a pid reused by another program: only
	# a soterd counts.
	if [ -r "/proc/$pid/cmdline" ]; then
		tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q soterd || return 1
	fi
	echo "$pid"
}

# ctl runs soterctl against node $1 with the remaining arguments.
ctl() {
	n=$1
	shift
	home=$(home_of "$n")
	"$SOTERCTL" --simnet -s "127.0.0.1:$(rpc_port "$n")" -u "$(conf_value "$n" rpcuser)" \
		-P "$(conf_value "$n" rpcpass)" -c "$home/rpc.cert" "$@"
}

write_conf() {
	n=$1
	home=$(home_of "$n")
	conf="$home/soterd.conf"
	[ -f "$conf" ] && return 0
	mkdir -p "$home"
	chmod 700 "$home"
	umask 077
	cat >"$conf" <<EOF
; devnet node $n, written by scripts/devnet.sh
simnet=1
listen=127.0.0.1:$(p2p_port "$n")
rpclisten=127.0.0.1:$(rpc_port "$n")
rpcuser=devnet$n
rpcpass=$(random_pass)
addpeer=127.0.0.1:$(p2p_port "$(next_node "$n")")
generate=1
miningworkers=1
EOF
}

start_node() {
	n=$1
	home=$(home_of "$n")
	if pid=$(running_pid "$n"); then
		echo "devnet: node$n is already running (pid $pid)"
		return 0
	fi
	write_conf "$n"
	home=$(abspath "$home")
	# The daemon logs to $home/logs/simnet/soterd.log itself; its
	# standard output would repeat it.
	nohup "$SOTERD" -A "$home" >/dev/null 2>"$home/stderr.log" &
	echo $! >"$home/soterd.pid"
}

wait_ready() {
	n=$1
	home=$(home_of "$n")
	i=0
	while [ $i -lt $((START_WAIT * 5)) ]; do
		if ! running_pid "$n" >/dev/null; then
			echo "devnet: node$n exited; its last words:" >&2
			tail -n 20 "$home/stderr.log" "$home/logs/simnet/soterd.log" 2>/dev/null >&2
			return 1
		fi
		if [ -f "$home/rpc.cert" ] && ctl "$n" uptime >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
		i=$((i + 1))
	done
	echo "devnet: node$n did not answer RPC within ${START_WAIT}s; see $home/logs/simnet/soterd.log" >&2
	return 1
}

print_usage() {
	echo
	echo "devnet: three simnet nodes mining in $(abspath "$DEVNET_DIR"), connected 1->2->3->1."
	echo "Query them with soterctl, for example:"
	echo
	for n in $NODES; do
		home=$(abspath "$(home_of "$n")")
		echo "  # node$n: P2P 127.0.0.1:$(p2p_port "$n"), RPC 127.0.0.1:$(rpc_port "$n"), log $home/logs/simnet/soterd.log"
		echo "  $SOTERCTL --simnet -s 127.0.0.1:$(rpc_port "$n") -u $(conf_value "$n" rpcuser) -P $(conf_value "$n" rpcpass) -c $home/rpc.cert getdaginfo"
	done
	n=1
	home=$(abspath "$(home_of "$n")")
	base="$SOTERCTL --simnet -s 127.0.0.1:$(rpc_port "$n") -u $(conf_value "$n" rpcuser) -P $(conf_value "$n" rpcpass) -c $home/rpc.cert"
	echo
	echo "  $base getpeerinfo"
	echo "  $base getmininginfo"
	echo "  $base setgenerate false"
	echo "  $base renderdag 20"
	echo
	echo "Stop them with: make devnet-stop (or DEVNET_DIR=$DEVNET_DIR scripts/devnet.sh stop)"
}

cmd_start() {
	[ -x "$SOTERD" ] || die "no soterd at $SOTERD; run make build or set SOTERD"
	[ -x "$SOTERCTL" ] || die "no soterctl at $SOTERCTL; run make build or set SOTERCTL"
	mkdir -p "$DEVNET_DIR"
	for n in $NODES; do
		start_node "$n"
	done
	for n in $NODES; do
		if ! wait_ready "$n"; then
			cmd_stop
			die "start failed; every node was stopped"
		fi
	done
	print_usage
}

cmd_stop() {
	stopped=""
	for n in $NODES; do
		if pid=$(running_pid "$n"); then
			kill -TERM "$pid" 2>/dev/null || true
			stopped="$stopped $n:$pid"
		fi
	done
	for entry in $stopped; do
		n=${entry%%:*}
		pid=${entry#*:}
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt $((STOP_WAIT * 5)) ]; do
			sleep 0.2
			i=$((i + 1))
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "devnet: node$n (pid $pid) did not exit within ${STOP_WAIT}s; killing it" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
		echo "devnet: stopped node$n (pid $pid)"
	done
	for n in $NODES; do
		rm -f "$(home_of "$n")/soterd.pid"
	done
	[ -n "$stopped" ] || echo "devnet: no node was running"
}

cmd_status() {
	for n in $NODES; do
		if pid=$(running_pid "$n"); then
			echo "node$n: running (pid $pid), RPC 127.0.0.1:$(rpc_port "$n")"
		else
			echo "node$n: stopped"
		fi
	done
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
