package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	flags "github.com/jessevdk/go-flags"
	"github.com/soterdag/soterd/internal/rpcclient"
	"github.com/soterdag/soterd/rpcmodel"
)

// version is soterctl's version.
const version = "0.1.0"

// maxReplyBytes bounds a reply read into memory: a large getblock at
// verbosity 2 or a big renderdag is a few megabytes.
const maxReplyBytes = 64 << 20

// options are soterctl's command-line and config-file options.
type options struct {
	ConfigFile string `short:"C" long:"configfile" description:"Config file (default ~/.soterctl/soterctl.conf)"`
	rpcclient.ConnOptions
	ListCommands bool `short:"l" long:"listcommands" description:"List the methods by category and exit"`
	ShowVersion  bool `short:"V" long:"version" description:"Print the version and exit"`
}

// usageLine is shown above go-flags' option list.
const usageLine = "[options] <method> [params...]"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is soterctl: it returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	opts, rest, err := loadOptions(args, stdout)
	if err != nil {
		var fe *flags.Error
		if errors.As(err, &fe) && fe.Type == flags.ErrHelp {
			return 0
		}
		fmt.Fprintln(stderr, err)
		return 1
	}
	if opts.ShowVersion {
		fmt.Fprintf(stdout, "soterctl version %s\n", version)
		return 0
	}
	if opts.ListCommands {
		listMethods(stdout)
		return 0
	}
	if len(rest) == 0 {
		fmt.Fprintf(stderr, "usage: soterctl %s\nsoterctl -h shows the options, soterctl -l the methods\n", usageLine)
		return 1
	}
	method, ok := rpcmodel.LookupMethod(rest[0])
	if !ok {
		fmt.Fprintf(stderr, "unknown method %q; soterctl -l lists the methods\n", rest[0])
		return 1
	}
	if method.WebsocketOnly {
		fmt.Fprintf(stderr, "%s needs a websocket connection, which soterctl does not keep\n", method.Name)
		return 1
	}
	params, err := readStdinParams(rest[1:], stdin)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	raw, err := method.ParamsFromStrings(params)
	if err != nil {
		fmt.Fprintln(stderr, err)
		// A wrong parameter count already names the usage.
		if !strings.Contains(err.Error(), method.Usage()) {
			fmt.Fprintf(stderr, "usage: %s\n", method.Usage())
		}
		return 1
	}
	resp, err := send(opts, method.Name, raw)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if resp.Error != nil {
		fmt.Fprintln(stderr, resp.Error.Error())
		return 1
	}
	if err := printResult(stdout, resp.Result); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// loadOptions parses the command line, then the config file, then the
// command line again so flags win over the file. It returns the options
// and the method and its params.
func loadOptions(args []string, stdout io.Writer) (*options, []string, error) {
	// The method's params may look like flags (-1): stop at the method.
	const parseFlags = flags.HelpFlag | flags.PassDoubleDash | flags.PassAfterNonOption

	// First pass: find -C, -V, -l and -h.
	var pre options
	preParser := flags.NewParser(&pre, parseFlags)
	preParser.Usage = usageLine
	if _, err := preParser.ParseArgs(args); err != nil {
		var fe *flags.Error
		if errors.As(err, &fe) && fe.Type == flags.ErrHelp {
			fmt.Fprintln(stdout, err)
		}
		return nil, nil, err
	}
	if pre.ShowVersion || pre.ListCommands {
		return &pre, nil, nil
	}

	home, _ := os.UserHomeDir()
	var opts options
	parser := flags.NewParser(&opts, parseFlags)
	configFile := pre.ConfigFile
	explicit := configFile != ""
	if !explicit {
		configFile = filepath.Join(home, ".soterctl", "soterctl.conf")
	}
	if err := flags.NewIniParser(parser).ParseFile(configFile); err != nil {
		var pathErr *os.PathError
		if !errors.As(err, &pathErr) || explicit {
			return nil, nil, fmt.Errorf("config file %s: %w", configFile, err)
		}
	}
	rest, err := parser.ParseArgs(args)
	if err != nil {
		return nil, nil, err
	}

	if _, err := opts.Resolve(home); err != nil {
		return nil, nil, err
	}
	return &opts, rest, nil
}

// readStdinParams replaces each "-" param with the next line of stdin.
func readStdinParams(params []string, stdin io.Reader) ([]string, error) {
	var r *bufio.Reader
	out := make([]string, len(params))
	for i, p := range params {
		if p != "-" {
			out[i] = p
			continue
		}
		if r == nil {
			r = bufio.NewReader(stdin)
		}
		line, err := r.ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			return nil, fmt.Errorf("parameter #%d: read from standard input: %v", i+1, err)
		}
		out[i] = strings.TrimRight(line, "\r\n")
	}
	return out, nil
}

// listMethods prints the methods by category.
func listMethods(w io.Writer) {
	for i, c := range rpcmodel.Categories() {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s:\n", c)
		for _, m := range rpcmodel.MethodsByCategory(c) {
			fmt.Fprintf(w, "  %s\n", m.Usage())
		}
	}
}

// httpClient returns the client for the options: TLS trusting the server's
// certificate file unless notls or skipverify.
func httpClient(opts *options) (*http.Client, string, error) {
	tlsConfig, err := opts.TLSConfig()
	if err != nil {
		return nil, "", err
	}
	url := opts.URL("/", false)
	if tlsConfig == nil {
		return &http.Client{}, url, nil
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig}}, url, nil
}

// send posts one request and decodes the reply.
func send(opts *options, method string, params []json.RawMessage) (*rpcmodel.Response, error) {
	client, url, err := httpClient(opts)
	if err != nil {
		return nil, err
	}
	defer client.CloseIdleConnections()
	list := make([]interface{}, len(params))
	for i := range params {
		list[i] = params[i]
	}
	req, err := rpcmodel.NewRequest(1, method, list...)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	hreq, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.SetBasicAuth(opts.RPCUser, opts.RPCPass)
	hresp, err := client.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", opts.RPCServer, err)
	}
	defer hresp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(hresp.Body, maxReplyBytes))
	if err != nil {
		return nil, fmt.Errorf("read reply from %s: %w", opts.RPCServer, err)
	}
	switch hresp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized:
		return nil, errors.New("authentication failed: check rpcuser and rpcpass")
	default:
		return nil, fmt.Errorf("server answered %s: %s", hresp.Status, strings.TrimSpace(string(reply)))
	}
	var resp rpcmodel.Response
	if err := json.Unmarshal(reply, &resp); err != nil {
		return nil, fmt.Errorf("malformed reply from %s: %v", opts.RPCServer, err)
	}
	return &resp, nil
}

// printResult prints a result: nothing for null, a string as is, anything
// else as indented JSON.
func printResult(w io.Writer, result json.RawMessage) error {
	if rpcmodel.IsNull(result) {
		return nil
	}
	if result[0] == '"' {
		var s string
		if err := json.Unmarshal(result, &s); err != nil {
			return fmt.Errorf("malformed result: %v", err)
		}
		if !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		_, err := io.WriteString(w, s)
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, result, "", "  "); err != nil {
		return fmt.Errorf("malformed result: %v", err)
	}
	out.WriteByte('\n')
	_, err := w.Write(out.Bytes())
	return err
}
