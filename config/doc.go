// Package config implements soterd's options: the Config struct with its
// go-flags tags, the defaults, the merging of defaults, the conf file and the
// command line, and the validation and normalization of the result.
//
// Load merges in the order defaults < conf file < command-line flags. It
// parses the command line once to learn where the home directory and the
// conf file are (--appdata, --configfile) and whether only the version is
// wanted, reads the conf file (go-flags INI: key=value lines, an optional
// [Application Options] header, ';' or '#' comments), then parses the
// command line again over it, so a flag wins over the file and the file over
// the default. A list option given on the command line replaces the file's
// list rather than adding to it. A boolean set in the file cannot be unset by
// a flag.
//
// After merging, Load checks every value and names the option and the
// accepted range in its error; it picks the network (mainnet unless one of
// --testnet, --regtest or --simnet), puts the data and log directories in a
// subdirectory per network, fills in default listen addresses and ports,
// parses --debuglevel, --miningaddr, --minrelaytxfee and --whitelist into
// ready-to-use fields, and turns every path absolute.
//
// Package config does not log (it runs before logging is set up; messages
// the daemon should log later are in Config.Warnings), does not create
// directories or files, does not generate keys or certificates, and does not
// print: help text comes back as an error of kind ErrHelpRequested for the
// caller to print.
package config
