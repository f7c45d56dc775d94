// tlogverify checks the audit chains' Merkle tree proofs with Go's golang.org/x/mod/sumdb/tlog,
// independently of supportctl's own code: exit 0 when the proof holds, 1 (saying why) when it
// does not, 2 on bad usage.
//
// Usage:
//
//	tlogverify inclusion ROOT SIZE SEQ EVENT-HASH [PROOF...]
//	tlogverify consistency ROOT SIZE OLD-ROOT OLD-SIZE [PROOF...]
//
// ROOT, OLD-ROOT and each PROOF hash are base64 of 32 bytes; EVENT-HASH is the event's hash in
// hex, whose 32 bytes are the record of leaf SEQ (record SEQ-1).
package main

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"
)

func main() {
	if len(os.Args) < 6 {
		usage()
	}
	root := hash(os.Args[2])
	size := number(os.Args[3])
	var proof []tlog.Hash
	for _, p := range os.Args[6:] {
		proof = append(proof, hash(p))
	}
	switch os.Args[1] {
	case "inclusion":
		seq := number(os.Args[4])
		record, err := hex.DecodeString(os.Args[5])
		if err != nil || len(record) != 32 {
			usage()
		}
		if err := tlog.CheckRecord(proof, size, root, seq-1, tlog.RecordHash(record)); err != nil {
			fail(err)
		}
	case "consistency":
		oldRoot := hash(os.Args[4])
		oldSize := number(os.Args[5])
		if err := tlog.CheckTree(proof, size, root, oldSize, oldRoot); err != nil {
			fail(err)
		}
	default:
		usage()
	}
}

func hash(text string) tlog.Hash {
	bytes, err := base64.StdEncoding.DecodeString(text)
	if err != nil || len(bytes) != tlog.HashSize {
		usage()
	}
	var h tlog.Hash
	copy(h[:], bytes)
	return h
}

func number(text string) int64 {
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		usage()
	}
	return n
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: tlogverify inclusion ROOT SIZE SEQ EVENT-HASH [PROOF...]")
	fmt.Fprintln(os.Stderr, "       tlogverify consistency ROOT SIZE OLD-ROOT OLD-SIZE [PROOF...]")
	os.Exit(2)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "tlogverify:", err)
	os.Exit(1)
}
