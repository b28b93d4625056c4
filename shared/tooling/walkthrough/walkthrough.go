// Package walkthrough reads the README's walkthrough: the fenced sh blocks that follow a
// `<!-- walkthrough -->` marker (`<!-- walkthrough: start -->` for the one that starts the
// stack). Its test runs them verbatim, in order, so the quick start cannot go stale.
package walkthrough

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// Block is one marked fenced block: its commands (continuation lines joined, comments and
// blank lines dropped) and whether it is the long-running start block.
type Block struct {
	Start    bool
	Line     int // where the fence opens
	Commands []string
}

// Parse finds the marked blocks of a Markdown document. A marker must be followed (blank
// lines aside) by a ```sh fence; anything else is an error, so a README edit that breaks the
// walkthrough fails its test instead of silently running less.
func Parse(md []byte) ([]Block, error) {
	var blocks []Block
	sc := bufio.NewScanner(bytes.NewReader(md))
	n := 0
	var pending *Block
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "<!-- walkthrough"):
			pending = &Block{Start: strings.HasPrefix(line, "<!-- walkthrough: start")}
		case pending != nil && line == "":
		case pending != nil && line == "```sh":
			pending.Line = n
			cmds, err := commands(sc, &n)
			if err != nil {
				return nil, fmt.Errorf("README line %d: %w", pending.Line, err)
			}
			pending.Commands = cmds
			blocks = append(blocks, *pending)
			pending = nil
		case pending != nil:
			return nil, fmt.Errorf("README line %d: a walkthrough marker must be followed by a ```sh block, not %q", n, line)
		}
	}
	if pending != nil {
		return nil, fmt.Errorf("README: a walkthrough marker at the end, with no block")
	}
	return blocks, sc.Err()
}

func commands(sc *bufio.Scanner, n *int) ([]string, error) {
	var cmds []string
	var cur strings.Builder
	for sc.Scan() {
		*n++
		line := sc.Text()
		if strings.TrimSpace(line) == "```" {
			if cur.Len() > 0 {
				return nil, fmt.Errorf("a continued command runs into the closing fence")
			}
			return cmds, nil
		}
		if cur.Len() == 0 && (strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#")) {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\"))
			continue
		}
		cur.WriteString(line)
		cmds = append(cmds, strings.TrimSpace(cur.String()))
		cur.Reset()
	}
	return nil, fmt.Errorf("unclosed block")
}
