package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageText is printed for -h and for a command line soterbench does not
// understand.
const usageText = `usage:
  soterbench ibd [-n N] [-txs T] [-width W] [-utxoindex] [-peers K] [-delay D] [-mbit M] [options]
  soterbench restart [-n N] [-width W] [-mine M] [-dir D] [options]
  soterbench propagate [-nodes K] [-blocks B] [options]
  soterbench schnorr [-seconds S] [-cpu C]
  soterbench template [-blocks B] [options]
  soterbench hashrate [-seconds S] [-rounds R] [-workers W] [-sotermine PATH]
  soterbench dbsize -db DIR

Run "soterbench <command> -h" for the options of a command.
`

// usageError is a command line soterbench does not understand; it exits
// with status 2 after the usage text.
type usageError struct {
	msg string
}

func (e usageError) Error() string { return e.msg }

// run is soterbench; its return value is the exit code: 0, 1 for a failed
// benchmark, 2 for a usage mistake.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return 2
	}
	var err error
	switch args[0] {
	case "ibd":
		err = cmdIBD(ctx, args[1:], stdout, stderr)
	case "propagate":
		err = cmdPropagate(ctx, args[1:], stdout, stderr)
	case "restart":
		err = cmdRestart(ctx, args[1:], stdout, stderr)
	case "schnorr":
		err = cmdSchnorr(ctx, args[1:], stdout, stderr)
	case "template":
		err = cmdTemplate(ctx, args[1:], stdout, stderr)
	case "hashrate":
		err = cmdHashrate(ctx, args[1:], stdout, stderr)
	case "dbsize":
		err = cmdDBSize(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usageText)
		return 0
	default:
		err = usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	var uerr usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &uerr):
		fmt.Fprintf(stderr, "soterbench: %v\n%s", err, usageText)
		return 2
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		fmt.Fprintln(stderr, "soterbench: interrupted; every process it started is stopped")
		return 1
	default:
		fmt.Fprintf(stderr, "soterbench: %v\n", err)
		return 1
	}
}

// newFlagSet returns a flag set for a command that reports its own errors
// through the returned error, not by exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("soterbench "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and refuses arguments that are not options.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}
