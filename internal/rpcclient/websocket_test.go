package rpcclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/websocket"
	"github.com/soterdag/soterd/rpcmodel"
)

// fakeServer is a websocket JSON-RPC server: "echo" answers its params,
// "fail" an error, "notify" sends params[0] notifications before its
// reply, "late" answers after the next request's reply, "hang" never.
type fakeServer struct {
	t    *testing.T
	user string
	pass string
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if user, pass, ok := r.BasicAuth(); !ok || user != f.user || pass != f.pass {
		http.Error(w, "401 Unauthorized.", http.StatusUnauthorized)
		return
	}
	conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	var held []byte
	for {
		var req rpcmodel.Request
		if err := conn.ReadJSON(&req); err != nil {
			return
		}
		resp := rpcmodel.Response{ID: req.ID, Result: json.RawMessage("null")}
		switch req.Method {
		case "echo":
			resp.Result = req.Params
		case "fail":
			resp.Error = rpcmodel.NewRPCError(rpcmodel.ErrRPCMisc, "it failed")
		case "notify":
			var n []int
			json.Unmarshal(req.Params, &n)
			for i := 0; i < n[0]; i++ {
				conn.WriteJSON(rpcmodel.NewNotification("tick", i))
			}
		case "late":
			held, _ = json.Marshal(resp)
			continue
		case "hang":
			continue
		}
		conn.WriteJSON(resp)
		if held != nil {
			conn.WriteMessage(websocket.TextMessage, held)
			held = nil
		}
	}
}

// dialFake starts a fake server and dials it.
func dialFake(t *testing.T) *WSClient {
	t.Helper()
	srv := httptest.NewServer(&fakeServer{t: t, user: "u", pass: "p"})
	t.Cleanup(srv.Close)
	o := &ConnOptions{NoTLS: true, RPCServer: strings.TrimPrefix(srv.URL, "http://"),
		RPCUser: "u", RPCPass: "p"}
	c, err := Dial(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestWSClientCalls(t *testing.T) {
	c := dialFake(t)
	ctx := context.Background()
	var got []string
	if err := c.Call(ctx, &got, "echo", "a", "b"); err != nil || len(got) != 2 || got[1] != "b" {
		t.Errorf("echo: %v %v", got, err)
	}
	var re *rpcmodel.RPCError
	if err := c.Call(ctx, nil, "fail"); !errors.As(err, &re) || re.Message != "it failed" {
		t.Errorf("fail: %v", err)
	}
	// Replies out of order reach their calls.
	var wg sync.WaitGroup
	wg.Add(1)
	var lateErr error
	go func() {
		defer wg.Done()
		lateErr = c.Call(ctx, nil, "late")
	}()
	time.Sleep(50 * time.Millisecond)
	var echoed []int
	if err := c.Call(ctx, &echoed, "echo", 7); err != nil || len(echoed) != 1 || echoed[0] != 7 {
		t.Errorf("echo beside late: %v %v", echoed, err)
	}
	wg.Wait()
	if lateErr != nil {
		t.Errorf("late: %v", lateErr)
	}
	// Concurrent calls.
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var r []int
			if err := c.Call(ctx, &r, "echo", i); err != nil || len(r) != 1 || r[0] != i {
				t.Errorf("concurrent echo %d: %v %v", i, r, err)
			}
		}(i)
	}
	wg.Wait()
	// A call that never gets a reply ends with its context.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := c.Call(short, nil, "hang"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hang: %v", err)
	}
}

func TestWSClientNotifications(t *testing.T) {
	c := dialFake(t)
	if err := c.Call(context.Background(), nil, "notify", 3); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		select {
		case n := <-c.Notifications():
			if n.Method != "tick" || len(n.Params) != 1 || string(n.Params[0]) != fmt.Sprint(i) ||
				n.Received.IsZero() {
				t.Errorf("notification %d: %+v", i, n)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("notification %d did not arrive", i)
		}
	}
	// A caller that does not read is disconnected, and waiting calls end.
	c.Call(context.Background(), nil, "notify", NotificationQueue+1)
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("overflowing notifications did not end the connection")
	}
	if err := c.Err(); err == nil || !strings.Contains(err.Error(), "notifications not read") {
		t.Errorf("Err: %v", err)
	}
	if err := c.Call(context.Background(), nil, "echo"); !errors.Is(err, ErrClosed) {
		t.Errorf("call after the end: %v", err)
	}
}

func TestWSClientDialAndClose(t *testing.T) {
	srv := httptest.NewServer(&fakeServer{t: t, user: "u", pass: "p"})
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	if _, err := Dial(&ConnOptions{NoTLS: true, RPCServer: addr, RPCUser: "u", RPCPass: "x"}); err == nil ||
		!strings.Contains(err.Error(), "authentication failed") {
		t.Errorf("wrong password: %v", err)
	}
	c := dialFake(t)
	done := make(chan error, 1)
	go func() { done <- c.Call(context.Background(), nil, "hang") }()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	c.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("call cut by Close: %v", err)
	}
	if err := c.Err(); err != nil {
		t.Errorf("Err after Close: %v", err)
	}
}
