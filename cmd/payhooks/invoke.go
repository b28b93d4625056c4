package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/payhooks/payhooks/shared/tooling/devstack"
	"github.com/payhooks/payhooks/shared/tooling/rie"
	"github.com/payhooks/payhooks/shared/tooling/samtemplate"
)

func init() {
	register("invoke", "run a function under AWS's Lambda Runtime Interface Emulator with events/ files (what `make invoke` does)", invoke)
}

const localEnvFile = "events/local-env.json"

func invoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fn := fs.String("function", "", "logical id in template.yaml, e.g. InstaXchangeWebhookFunction")
	bootstrap := fs.String("bootstrap", "", "the function's bootstrap built for this machine (default: built now into build/host/<function>/)")
	verbose := fs.Bool("v", false, "print the function's own log lines too")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: payhooks invoke --function <LogicalId> [--bootstrap path] events/<file>.json...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *fn == "" || fs.NArg() == 0 {
		fs.Usage()
		return errors.New("--function and at least one event file are required")
	}
	root, err := devstack.FindRoot()
	if err != nil {
		return err
	}
	if err := stackAnswers(ctx, dynamoEndpoint()); err != nil {
		return err
	}
	tpl, f, err := templateFunction(root, *fn)
	if err != nil {
		return err
	}
	if *bootstrap == "" {
		if *bootstrap, err = buildOne(ctx, root, *fn); err != nil {
			return err
		}
	}
	bin, err := rie.Install(ctx, root, stderr)
	if err != nil {
		return err
	}
	env, err := invokeEnv(root, tpl, f, defaultLocalPorts())
	if err != nil {
		return err
	}
	em, err := rie.Start(ctx, bin, *bootstrap, env)
	if err != nil {
		return err
	}
	defer em.Close()
	for _, path := range fs.Args() {
		if err := invokeFile(ctx, em, path, *verbose, stdout, stderr); err != nil {
			return err
		}
	}
	return nil
}

// invokeFile sends one event file to the warm function and prints its answer, the
// emulator's INIT REPORT (on the first) and REPORT lines, and with verbose its log.
func invokeFile(ctx context.Context, em *rie.Emulator, path string, verbose bool, stdout, stderr io.Writer) error {
	ev, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	r, err := em.Invoke(ctx, ev)
	if err != nil {
		return err
	}
	if verbose {
		for _, l := range r.Logs {
			fmt.Fprintln(stderr, l)
		}
	}
	fmt.Fprintf(stdout, "%s -> %s\n", path, strings.TrimSpace(string(r.Body)))
	if r.Init != "" {
		fmt.Fprintln(stdout, "  "+r.Init)
	}
	fmt.Fprintln(stdout, "  "+r.Report)
	if r.FunctionError != "" {
		return fmt.Errorf("%s: the function failed (%s)", path, r.FunctionError)
	}
	return nil
}

// stackAnswers fails early, and says what to do, when `make run` is not up.
func stackAnswers(ctx context.Context, endpoint string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("DynamoDB Local does not answer at %s: start `make run` in another terminal (ports: PAYHOOKS_*_PORT)", endpoint)
	}
	resp.Body.Close()
	return nil
}

func templateFunction(root, logical string) (*samtemplate.Template, samtemplate.Function, error) {
	tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		return nil, samtemplate.Function{}, err
	}
	var names []string
	for _, f := range tpl.Functions {
		if f.Logical == logical {
			return tpl, f, nil
		}
		names = append(names, f.Logical)
	}
	return nil, samtemplate.Function{}, fmt.Errorf("no function %q in template.yaml (have %s)", logical, strings.Join(names, ", "))
}

// buildOne builds the function as `sam build` would (the Makefile's build-<LogicalId>), for
// this machine's architecture.
func buildOne(ctx context.Context, root, logical string) (string, error) {
	dir := filepath.Join(root, "build", "host", logical)
	cmd := exec.CommandContext(ctx, "make", "--no-print-directory", "build-"+logical, "ARTIFACTS_DIR="+dir, "GOARCH_LAMBDA="+runtime.GOARCH)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("make build-%s: %w\n%s", logical, err, out)
	}
	return filepath.Join(dir, "bootstrap"), nil
}

// defaultLocalPorts maps the ports events/local-env.json names (make run's defaults) to
// where this machine's stack listens (PAYHOOKS_*_PORT).
func defaultLocalPorts() map[string]string {
	return map[string]string{
		"8000": dynamoEndpoint(), "5000": motoEndpoint(), "4010": axpayURL(), "4011": chainURL(),
	}
}

var dockerHost = regexp.MustCompile(`http://host\.docker\.internal:([0-9]+)`)

// invokeEnv is the whole environment of f's process, as `sam local invoke --env-vars
// events/local-env.json` would make it, but on this machine: the template's variables for
// f, overridden by the file's Parameters and f's own section only where the template
// declares them (SAM ignores the rest), with host.docker.internal:<port> turned into the
// local stack's address for that port. Credentials are fake and no profile is read, so a
// developer's AWS account is never reached.
func invokeEnv(root string, tpl *samtemplate.Template, f samtemplate.Function, local map[string]string) ([]string, error) {
	refs := map[string]string{
		"EventsTable": localTable, "EventsQueue": local["5000"] + "/123456789012/" + localQueue,
		"AWS::Region": devstack.Region, "AWS::AccountId": "123456789012", "AWS::Partition": "aws",
	}
	vars, err := tpl.Environment(f, refs)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(root, localEnvFile))
	if err != nil {
		return nil, err
	}
	var file map[string]map[string]string
	if err := json.Unmarshal(b, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", localEnvFile, err)
	}
	for _, section := range []string{"Parameters", f.Logical} {
		for k, v := range file[section] {
			if _, declared := vars[k]; !declared {
				continue
			}
			vars[k] = dockerHost.ReplaceAllStringFunc(v, func(m string) string {
				if u, ok := local[dockerHost.FindStringSubmatch(m)[1]]; ok {
					return u
				}
				return strings.Replace(m, "host.docker.internal", "127.0.0.1", 1)
			})
		}
	}
	for k, v := range map[string]string{
		"AWS_REGION": devstack.Region, "AWS_DEFAULT_REGION": devstack.Region,
		"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_LAMBDA_FUNCTION_NAME": f.Logical, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(f.MemorySize),
		"AWS_LAMBDA_FUNCTION_TIMEOUT": strconv.Itoa(f.Timeout), "_HANDLER": "bootstrap", "TZ": "UTC",
	} {
		vars[k] = v
	}
	env := make([]string, 0, len(vars))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return env, nil
}
