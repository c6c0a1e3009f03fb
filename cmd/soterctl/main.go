package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	flags "github.com/jessevdk/go-flags"
	"github.com/soterdag/soterd/blockdag"
	"github.com/soterdag/soterd/rpcmodel"
)

// version is soterctl's version.
const version = "0.1.0"

// maxReplyBytes bounds a reply read into memory: a large getblock at
// verbosity 2 or a big renderdag is a few megabytes.
const maxReplyBytes = 64 << 20

// options are soterctl's command-line and config-file options.
type options struct {
	ConfigFile   string `short:"C" long:"configfile" description:"Config file (default ~/.soterctl/soterctl.conf)"`
	SoterdConfig string `long:"soterdconfig" description:"soterd config file to read rpcuser/rpcpass from (default ~/.soterd/soterd.conf)"`
	RPCUser      string `short:"u" long:"rpcuser" description:"RPC user name"`
	RPCPass      string `short:"P" long:"rpcpass" default-mask:"-" description:"RPC password"`
	RPCServer    string `short:"s" long:"rpcserver" description:"RPC server host[:port] (default 127.0.0.1 and the network's RPC port)"`
	RPCCert      string `short:"c" long:"rpccert" description:"Certificate of the RPC server (default ~/.soterd/rpc.cert)"`
	NoTLS        bool   `long:"notls" description:"Use plain HTTP"`
	SkipVerify   bool   `long:"skipverify" description:"Do not verify the server's certificate (testing only)"`
	TestNet      bool   `long:"testnet" description:"Use the test network's RPC port"`
	RegTest      bool   `long:"regtest" description:"Use the regression test network's RPC port"`
	SimNet       bool   `long:"simnet" description:"Use the simulation network's RPC port"`
	ListCommands bool   `short:"l" long:"listcommands" description:"List the methods by category and exit"`
	ShowVersion  bool   `short:"V" long:"version" description:"Print the version and exit"`
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
		fmt.Fprintf(stderr, "usage: %s\n", method.Usage())
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

	if opts.RPCUser == "" && opts.RPCPass == "" {
		soterdConf := opts.SoterdConfig
		if soterdConf == "" {
			soterdConf = filepath.Join(home, ".soterd", "soterd.conf")
		}
		user, pass, err := readSoterdCredentials(soterdConf)
		if err != nil && (opts.SoterdConfig != "" || !errors.Is(err, os.ErrNotExist)) {
			return nil, nil, fmt.Errorf("soterd config file %s: %w", soterdConf, err)
		}
		opts.RPCUser, opts.RPCPass = user, pass
	}

	nets := 0
	params := blockdag.MainNetParams()
	if opts.TestNet {
		nets++
		params = blockdag.TestNetParams()
	}
	if opts.RegTest {
		nets++
		params = blockdag.RegressionNetParams()
	}
	if opts.SimNet {
		nets++
		params = blockdag.SimNetParams()
	}
	if nets > 1 {
		return nil, nil, errors.New("testnet, regtest and simnet: choose at most one")
	}
	if opts.RPCServer == "" {
		opts.RPCServer = net.JoinHostPort("127.0.0.1", params.RPCPort)
	} else if _, _, err := net.SplitHostPort(opts.RPCServer); err != nil {
		opts.RPCServer = net.JoinHostPort(strings.Trim(opts.RPCServer, "[]"), params.RPCPort)
	}
	if opts.RPCCert == "" {
		opts.RPCCert = filepath.Join(home, ".soterd", "rpc.cert")
	}
	return &opts, rest, nil
}

// readSoterdCredentials reads rpcuser and rpcpass from soterd's config
// file: "key=value" lines, sections, comments and other keys ignored.
func readSoterdCredentials(path string) (user, pass string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == ';' || line[0] == '#' || line[0] == '[' {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "rpcuser":
			user = strings.TrimSpace(value)
		case "rpcpass":
			pass = strings.TrimSpace(value)
		}
	}
	return user, pass, sc.Err()
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
	if opts.NoTLS {
		return &http.Client{}, "http://" + opts.RPCServer + "/", nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if opts.SkipVerify {
		cfg.InsecureSkipVerify = true
	} else {
		pem, err := os.ReadFile(opts.RPCCert)
		if err != nil {
			return nil, "", fmt.Errorf("rpccert: %w (use --rpccert, or --notls for a plain HTTP server)", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, "", fmt.Errorf("rpccert: %s holds no PEM certificate", opts.RPCCert)
		}
		cfg.RootCAs = pool
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}},
		"https://" + opts.RPCServer + "/", nil
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
