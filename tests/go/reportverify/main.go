// reportverify checks an evidence report with Go's golang.org/x/mod/sumdb/note and
// golang.org/x/mod/sumdb/tlog, independently of supportctl's own code: the checkpoint the
// report embeds must carry a valid signature by the verifier key, and every event's inclusion
// proof must lead from its hash to the root that checkpoint signs. Exit 0 and print the number
// of events checked when all hold, 1 saying why when one does not, 2 on bad usage.
//
// Usage: reportverify VERIFIER-KEY-FILE REPORT-FILE
package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type report struct {
	Org        string `json:"org"`
	Checkpoint string `json:"checkpoint"`
	Events     []struct {
		Event struct {
			Seq  int64  `json:"seq"`
			Hash string `json:"hash"`
		} `json:"event"`
		Proof []string `json:"proof"`
	} `json:"events"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: reportverify VERIFIER-KEY-FILE REPORT-FILE")
		os.Exit(2)
	}
	key, err := os.ReadFile(os.Args[1])
	if err != nil {
		usage(err)
	}
	text, err := os.ReadFile(os.Args[2])
	if err != nil {
		usage(err)
	}
	var r report
	if err := json.Unmarshal(text, &r); err != nil {
		usage(fmt.Errorf("not a report: %w", err))
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(string(key)))
	if err != nil {
		usage(fmt.Errorf("verifier key: %w", err))
	}
	n, err := note.Open([]byte(r.Checkpoint), note.VerifierList(verifier))
	if err != nil {
		fail(fmt.Errorf("checkpoint: %w", err))
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) != 3 {
		fail(fmt.Errorf("checkpoint: not three lines"))
	}
	if !strings.HasSuffix(lines[0], "/orgs/"+r.Org) {
		fail(fmt.Errorf("checkpoint: origin %s is not of org %s", lines[0], r.Org))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail(fmt.Errorf("checkpoint: size: %w", err))
	}
	root, err := hash(lines[2])
	if err != nil {
		fail(fmt.Errorf("checkpoint: root: %w", err))
	}
	for _, e := range r.Events {
		record, err := hex.DecodeString(e.Event.Hash)
		if err != nil || len(record) != 32 {
			fail(fmt.Errorf("event %d: hash is not 32 bytes of hex", e.Event.Seq))
		}
		var proof []tlog.Hash
		for _, p := range e.Proof {
			h, err := hash(p)
			if err != nil {
				fail(fmt.Errorf("event %d: proof: %w", e.Event.Seq, err))
			}
			proof = append(proof, h)
		}
		if err := tlog.CheckRecord(proof, size, root, e.Event.Seq-1, tlog.RecordHash(record)); err != nil {
			fail(fmt.Errorf("event %d: %w", e.Event.Seq, err))
		}
	}
	fmt.Println(len(r.Events))
}

func hash(text string) (tlog.Hash, error) {
	var h tlog.Hash
	bytes, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(bytes) != tlog.HashSize {
		return h, fmt.Errorf("%q is not base64 of 32 bytes", text)
	}
	copy(h[:], bytes)
	return h, nil
}

func usage(err error) {
	fmt.Fprintln(os.Stderr, "reportverify:", err)
	os.Exit(2)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "reportverify:", err)
	os.Exit(1)
}
