package walkthrough

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/payhooks/payhooks/shared/tooling/devstack"
)

const root = "../../.."

func readme(t *testing.T) []Block {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return blocks
}

// The README's walkthrough is well formed: one start block with one command, first, then at
// least one block of commands. Runs in -short too, so an edit that breaks it shows at once.
func TestREADMEHasWalkthrough(t *testing.T) {
	blocks := readme(t)
	if len(blocks) < 2 || !blocks[0].Start || len(blocks[0].Commands) != 1 {
		t.Fatalf("want a start block with one command, then command blocks; have %+v", blocks)
	}
	for _, b := range blocks[1:] {
		if b.Start || len(b.Commands) == 0 {
			t.Fatalf("README line %d: a second start block, or an empty one", b.Line)
		}
	}
}

func TestParse(t *testing.T) {
	md := "x\n<!-- walkthrough: start -->\n\n```sh\nmake run\n```\n```sh\nnot me\n```\n<!-- walkthrough -->\n```sh\n# a comment\na \\\n  b\n\nc\n```\n"
	blocks, err := Parse([]byte(md))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 2 || !blocks[0].Start || blocks[0].Commands[0] != "make run" ||
		strings.Join(blocks[1].Commands, "|") != "a   b|c" {
		t.Fatalf("%+v", blocks)
	}
	for _, bad := range []string{"<!-- walkthrough -->\n```console\n$ x\n```\n", "<!-- walkthrough -->\n```sh\na \\\n```\n", "<!-- walkthrough -->\n"} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// Every walkthrough command of the README, verbatim and in order, against the quick-start
// stack the start block brings up (on free ports, through the PAYHOOKS_*_PORT variables the
// README documents); each must exit 0.
func TestREADMEWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("starts make run")
	}
	blocks := readme(t)
	dir, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	env := os.Environ()
	ports := map[string]int{}
	for _, v := range []string{"PAYHOOKS_PORT", "PAYHOOKS_DYNAMODB_PORT", "PAYHOOKS_MOTO_PORT", "PAYHOOKS_AXPAY_PORT", "PAYHOOKS_CHAINSTATUS_PORT"} {
		p, err := devstack.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		ports[v] = p
		env = append(env, v+"="+strconv.Itoa(p))
	}

	start := blocks[0].Commands[0]
	var startOut devstack.Buffer
	srv := exec.Command("bash", "-c", start)
	srv.Dir, srv.Env = dir, env
	srv.Stdout, srv.Stderr = &startOut, &startOut
	srv.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = srv.Wait(); close(exited) }()
	defer func() {
		// Ctrl-C, as the README says; then make sure.
		_ = syscall.Kill(-srv.Process.Pid, syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-srv.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}()
	gw := "127.0.0.1:" + strconv.Itoa(ports["PAYHOOKS_PORT"])
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if c, err := net.DialTimeout("tcp", gw, 200*time.Millisecond); err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("%s ended before the gateway answered:\n%s", start, startOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no gateway on %s after 3 minutes:\n%s", start, gw, startOut.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("$ %s\n%s", start, startOut.String())

	for _, b := range blocks[1:] {
		for _, c := range b.Commands {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			cmd := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", c)
			cmd.Dir, cmd.Env = dir, env
			out, err := cmd.CombinedOutput()
			cancel()
			t.Logf("$ %s\n%s", c, out)
			if err != nil {
				t.Fatalf("README line %d: %q failed: %v\n%s", b.Line, c, err, out)
			}
		}
	}
}
