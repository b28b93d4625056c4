package perf

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/payhooks/payhooks/shared/tooling/devstack"
	"github.com/payhooks/payhooks/shared/tooling/devstack/stacktest"
	"github.com/payhooks/payhooks/shared/tooling/perf/runtimeapi"
	"github.com/payhooks/payhooks/shared/tooling/rie"
)

// Cold start settings, from the environment.
//
//	PAYHOOKS_COLDSTART=1            run TestColdStart (otherwise it is skipped)
//	PAYHOOKS_COLDSTART_N=20         starts per function (the median is reported)
//	PAYHOOKS_COLDSTART_FUNCTIONS=a,b only these functions (default: every functions/ dir)
//	PAYHOOKS_COLDSTART_OVERLAY=f   go build -overlay f (what-if builds, e.g. without a dependency)
//	PAYHOOKS_COLDSTART_MODE=init    init: dependencies point at a closed port and the event
//	                                is rejected before any I/O (bad signature or token), so
//	                                the figure is process start + init + one rejected request;
//	                                io: a valid event against DynamoDB Local and moto (the
//	                                first start stores it, later starts find a duplicate).
func coldStartEnabled() bool { return os.Getenv("PAYHOOKS_COLDSTART") == "1" }

func coldStartMode() string {
	if m := os.Getenv("PAYHOOKS_COLDSTART_MODE"); m != "" {
		return m
	}
	return "init"
}

func coldStartN(t *testing.T) int {
	v := os.Getenv("PAYHOOKS_COLDSTART_N")
	if v == "" {
		return 20
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("PAYHOOKS_COLDSTART_N=%q", v)
	}
	return n
}

// lambdaBuild builds a function as the Makefile's build target does, for goarch.
func lambdaBuild(t *testing.T, function, goarch, out string) int64 {
	t.Helper()
	args := []string{"build", "-trimpath", "-tags", "lambda.norpc", "-ldflags", "-s -w -buildid=", "-o", out}
	if o := os.Getenv("PAYHOOKS_COLDSTART_OVERLAY"); o != "" {
		args = append(args, "-overlay", o)
	}
	cmd := exec.Command("go", append(args, "./functions/"+function)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s/%s: %v\n%s", function, goarch, err, b)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// coldEvent is the invocation a function gets: its first events/ file, spoiled in init
// mode so the handler rejects it before touching DynamoDB or SQS.
func coldEvent(t *testing.T, function, mode string) []byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(root, "events", function+"-*.json"))
	if len(files) == 0 {
		t.Fatalf("no events/%s-*.json", function)
	}
	slices.Sort(files)
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if mode != "init" || !strings.HasSuffix(function, "-webhook") {
		return b
	}
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	spoil := func(s string) string {
		if s == "" {
			return "x"
		}
		if s[len(s)-1] == 'A' {
			return s[:len(s)-1] + "B"
		}
		return s[:len(s)-1] + "A"
	}
	spoiled := false
	for k, v := range e.Headers {
		switch k {
		case "content-type", "user-agent", "host", "content-length":
		default:
			e.Headers[k], spoiled = spoil(v), true
		}
	}
	if tok, ok := e.PathParameters["token"]; ok {
		bad := spoil(tok)
		e.PathParameters["token"] = bad
		e.RawPath = strings.Replace(e.RawPath, tok, bad, 1)
		e.RequestContext.HTTP.Path = e.RawPath
		spoiled = true
	}
	if !spoiled {
		// The credential is in the body (AXS's JWE): send one that is no delivery at all.
		e.Body = `{"data":"not-a-jwe"}`
	}
	out, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type start struct {
	d      time.Duration
	hwmKB  int64 // VmHWM while the function waits for its next event
	maxKB  int64 // wait4 ru_maxrss after SIGKILL
	status string
}

// vmHWM reads the peak resident set size of a live process, in kB.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// coldStartOnce starts bin, hands it one event and measures until its first post.
// Each start gets its own Runtime API: the previous, killed process may still hold a
// request on the old one.
func coldStartOnce(t *testing.T, bin string, env []string, ev []byte, i int) start {
	t.Helper()
	srv, err := runtimeapi.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	env = append(slices.Clone(env), "AWS_LAMBDA_RUNTIME_API="+srv.Addr())
	srv.Enqueue(runtimeapi.Invocation{RequestID: fmt.Sprintf("cold-%d", i), Event: ev})
	var logs bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &logs, &logs
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	res, err := srv.Wait(ctx)
	cancel()
	var s start
	if err == nil {
		s.d = res.At.Sub(t0)
		s.hwmKB = vmHWM(cmd.Process.Pid)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if err != nil {
		t.Fatalf("%s: no response: %v\n%s", filepath.Base(filepath.Dir(bin)), err, logs.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.maxKB = ru.Maxrss // kilobytes on Linux
	}
	s.status = res.Kind
	var body struct {
		StatusCode int `json:"statusCode"`
	}
	if res.Kind == runtimeapi.KindResponse && json.Unmarshal(res.Body, &body) == nil && body.StatusCode != 0 {
		s.status = strconv.Itoa(body.StatusCode)
	}
	return s
}

// TestColdStart is a measurement, not an assertion: it prints binary sizes, the median
// time from process start to the first posted response, and peak RSS for every function.
func TestColdStart(t *testing.T) {
	if !coldStartEnabled() {
		t.Skip("set PAYHOOKS_COLDSTART=1 to measure cold starts")
	}
	mode, n := coldStartMode(), coldStartN(t)
	if mode != "init" && mode != "io" {
		t.Fatalf("PAYHOOKS_COLDSTART_MODE=%q: want init or io", mode)
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "functions", "*"))
	if len(dirs) == 0 {
		t.Fatal("no functions")
	}
	tmp := t.TempDir()

	base := []string{
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST", "_HANDLER=bootstrap",
		"SECRETS_FILE=" + secretsPath(t), "TZ=UTC",
	}
	if mode == "init" {
		port, err := devstack.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		nowhere := fmt.Sprintf("http://127.0.0.1:%d", port)
		base = append(base, "AWS_ENDPOINT_URL_DYNAMODB="+nowhere, "AWS_ENDPOINT_URL_SQS="+nowhere,
			"AWS_MAX_ATTEMPTS=1", "TABLE_NAME=nowhere",
			"QUEUE_URL="+nowhere+"/123456789012/nowhere.fifo")
	} else {
		env := stacktest.New(t)
		dynamo, moto := stacktest.Endpoints()
		base = append(base, "AWS_ENDPOINT_URL_DYNAMODB="+dynamo, "AWS_ENDPOINT_URL_SQS="+moto,
			"TABLE_NAME="+env.Table, "QUEUE_URL="+env.Queues.URL)
	}

	rieBin, err := rie.Install(context.Background(), root, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("\ncold start: mode=%s, N=%d, GOARCH=%s, %d CPUs, %s\n", mode, n, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Printf("med/min/max-ms: process start to first response under the stand-in; rie-init-ms: median INIT REPORT of AWS's emulator (%s)\n", rie.Version)
	fmt.Printf("%-22s %12s %12s %9s %9s %9s %11s %10s %10s %s\n", "function", "bytes/"+runtime.GOARCH, "bytes/arm64",
		"med-ms", "min-ms", "max-ms", "rie-init-ms", "VmHWM-MB", "maxrss-MB", "answers")
	only := os.Getenv("PAYHOOKS_COLDSTART_FUNCTIONS")
	for _, dir := range dirs {
		function := filepath.Base(dir)
		if only != "" && !slices.Contains(strings.Split(only, ","), function) {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
			continue // a function still being written
		}
		bin := filepath.Join(tmp, function, "bootstrap")
		size := lambdaBuild(t, function, runtime.GOARCH, bin)
		armSize := lambdaBuild(t, function, "arm64", filepath.Join(tmp, function, "bootstrap-arm64"))
		ev := coldEvent(t, function, mode)

		env := append(slices.Clone(base), "AWS_LAMBDA_FUNCTION_NAME="+function)
		var ds []time.Duration
		var hwm, maxrss []int64
		answers := map[string]int{}
		for i := 0; i < n; i++ {
			s := coldStartOnce(t, bin, env, ev, i)
			ds = append(ds, s.d)
			hwm = append(hwm, s.hwmKB)
			maxrss = append(maxrss, s.maxKB)
			answers[s.status]++
		}
		slices.Sort(ds)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		mb := func(kb int64) float64 { return float64(kb) / 1024 }
		rieInit := rieColdStarts(t, rieBin, bin, env, ev, n)
		fmt.Printf("%-22s %12d %12d %9.1f %9.1f %9.1f %11.1f %10.1f %10.1f %v\n", function, size, armSize,
			ms(ds[len(ds)/2]), ms(ds[0]), ms(ds[len(ds)-1]), rieInit, mb(slices.Max(hwm)), mb(slices.Max(maxrss)), answers)
	}
}

// rieColdStarts starts bin n times under AWS's Runtime Interface Emulator, one event each,
// and returns the median init duration the emulator reports.
func rieColdStarts(t *testing.T, rieBin, bin string, env []string, ev []byte, n int) float64 {
	t.Helper()
	var inits []float64
	for i := 0; i < n; i++ {
		em, err := rie.Start(context.Background(), rieBin, bin, env)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		r, err := em.Invoke(ctx, ev)
		cancel()
		em.Close()
		if err != nil || r.Init == "" {
			t.Fatalf("%s under the emulator: %v (no INIT REPORT: %q)", filepath.Base(bin), err, r.Report)
		}
		inits = append(inits, r.InitMS)
	}
	slices.Sort(inits)
	return inits[len(inits)/2]
}
