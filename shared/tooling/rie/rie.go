// Package rie runs a function's bootstrap under AWS's Lambda Runtime Interface Emulator (the
// runtime side of Lambda that AWS publishes), pinned and installed by the project itself:
// `make invoke` and the test that sends every events/ file through the real runtime use it.
package rie

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/payhooks/payhooks/shared/tooling/devstack"
)

// The pinned emulator. Install builds it from source at this version with `go install`.
const (
	Module  = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"
	Version = "v0.0.0-20261030222936-bef5c4ba774d"
)

// BinDir is where Install puts the emulator, relative to the repository root.
const BinDir = "build/bin"

// Install returns root/build/bin/aws-lambda-rie, first running `go install Module@Version`
// into it when the binary is missing or was built from another version.
func Install(ctx context.Context, root string, log io.Writer) (string, error) {
	bin := filepath.Join(root, BinDir, "aws-lambda-rie")
	if out, err := exec.CommandContext(ctx, "go", "version", "-m", bin).Output(); err == nil &&
		bytes.Contains(out, []byte("\t"+Version)) {
		return bin, nil
	}
	cmd := exec.CommandContext(ctx, "go", "install", Module+"@"+Version)
	cmd.Env = append(os.Environ(), "GOBIN="+filepath.Join(root, BinDir), "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("rie: go install %s@%s: %w", Module, Version, err)
	}
	return bin, nil
}

// Build builds every functions/<name> for the host into dir/<name>, with the flags of the
// Makefile's build-<LogicalId> targets (static, stripped, lambda.norpc), in one go command.
func Build(ctx context.Context, root, dir string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", "lambda.norpc",
		"-ldflags", "-s -w -buildid=", "-o", dir+string(filepath.Separator), "./functions/...")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("rie: build functions: %w\n%s", err, out)
	}
	return nil
}

// Emulator is one emulator process serving one bootstrap; it starts the bootstrap on the
// first invocation (a cold start) and keeps it warm for the next ones, as Lambda does.
type Emulator struct {
	url string
	cmd *exec.Cmd
	out *devstack.Buffer
	seq atomic.Int64
}

// Start runs bootstrap under the emulator at bin with exactly env (nothing of this process's
// own environment leaks in), both listening on free loopback ports.
func Start(ctx context.Context, bin, bootstrap string, env []string) (*Emulator, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	api, err := freeAddr()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(bootstrap)
	if err != nil {
		return nil, err
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return nil, err
	}
	e := &Emulator{url: "http://" + addr + "/2015-03-31/functions/function/invocations", out: &devstack.Buffer{}}
	e.cmd = exec.Command(bin, "--runtime-interface-emulator-address", addr, "--runtime-api-address", api, abs)
	e.cmd.Dir = filepath.Dir(abs)
	e.cmd.Env = env
	e.cmd.Stdout, e.cmd.Stderr = e.out, e.out
	// Own process group, killed with us, so no emulator or bootstrap outlives its runner.
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := e.cmd.Start(); err != nil {
		return nil, fmt.Errorf("rie: start: %w", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return e, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			e.Close()
			return nil, fmt.Errorf("rie: emulator did not listen on %s: %w\n%s", addr, err, e.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Result is one invocation as the emulator reports it.
type Result struct {
	Body []byte // the function's response, or its error document
	// FunctionError is the errorType of a function that returned an error or crashed.
	FunctionError string
	// Init is the "INIT REPORT" line of a cold start (empty when warm), Report the
	// invocation's "REPORT RequestId: …" line; InitMS is the init duration the former gives.
	Init, Report string
	InitMS       float64
	// Logs are the lines the bootstrap wrote during the invocation.
	Logs []string
}

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// Invoke sends one event and waits for the emulator's REPORT line of it.
func (e *Emulator) Invoke(ctx context.Context, event []byte) (Result, error) {
	id := fmt.Sprintf("invoke-%d-%d", os.Getpid(), e.seq.Add(1))
	from := e.out.Len()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(event))
	if err != nil {
		return Result{}, err
	}
	req.Header.Set("X-Amzn-RequestId", id)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("rie: invoke: %w\n%s", err, e.out.From(from))
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return Result{}, fmt.Errorf("rie: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Result{}, fmt.Errorf("rie: HTTP %d %s\n%s", resp.StatusCode, body, e.out.From(from))
	}
	r := Result{Body: body}
	if t := errorType(body); t != "" {
		r.FunctionError = t
	}
	mark := "REPORT RequestId: " + id
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(e.out.From(from), mark) {
		if time.Now().After(deadline) {
			return r, fmt.Errorf("rie: no REPORT line for %s", id)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, line := range strings.Split(e.out.From(from), "\n") {
		line = strings.TrimRight(line, "\t\r")
		switch {
		case strings.HasPrefix(line, mark):
			r.Report = line
		case initReport.MatchString(line):
			r.Init = line
			r.InitMS, _ = strconv.ParseFloat(initReport.FindStringSubmatch(line)[1], 64)
		case line == "" || strings.Contains(line, "] (rapid) ") || strings.HasPrefix(line, "START RequestId:") ||
			strings.HasPrefix(line, "END RequestId:") || strings.HasPrefix(line, "REPORT RequestId:"):
		default:
			r.Logs = append(r.Logs, line)
		}
	}
	return r, nil
}

// errorType is the errorType of a Lambda error document, "" for anything else.
func errorType(body []byte) string {
	var doc struct {
		ErrorType string `json:"errorType"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	return doc.ErrorType
}

// Output is everything the emulator and the bootstrap printed so far.
func (e *Emulator) Output() string { return e.out.String() }

// Close stops the emulator and its bootstrap.
func (e *Emulator) Close() {
	if e.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
	_ = e.cmd.Wait()
}
