// Command backup-freshness is the benchmark driver of the backup-freshness
// gate (see ../backup-freshness.sh).
//
//	backup-freshness gen -mib 256 -out FILE   # a gzip dump of that compressed size, made by gzip -6
//	backup-freshness verify FILE              # run the gate on FILE (checksum + decompress)
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/backup"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: backup-freshness gen -mib N -out FILE | verify FILE")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		fs := flag.NewFlagSet("gen", flag.ExitOnError)
		mib := fs.Int("mib", 256, "compressed size in MiB")
		out := fs.String("out", "backup.sql.gz", "output file")
		_ = fs.Parse(os.Args[2:]) // ExitOnError: never returns an error
		err = generate(int64(*mib)<<20, *out)
	case "verify":
		if len(os.Args) != 3 {
			err = fmt.Errorf("usage: backup-freshness verify FILE")
			break
		}
		err = verify(os.Args[2])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "backup-freshness:", err)
		os.Exit(1)
	}
}

// generate writes a pg_dump-like COPY stream through the real gzip -6 until
// the compressed file reaches size: random ids, hex tokens, amounts, times
// and words from a vocabulary, which gzip -6 compresses about 3:1, as it does real dumps.
func generate(size int64, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // after an error; the success path checks Close
	cw := &countingWriter{w: f}
	cmd := exec.Command("gzip", "-6", "-c")
	cmd.Stdout, cmd.Stderr = cw, os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(1, 2))
	words := make([]string, 400)
	for i := range words {
		b := make([]byte, 3+r.IntN(8))
		for j := range b {
			b[j] = byte('a' + r.IntN(26))
		}
		words[i] = string(b)
	}
	statuses := []string{"paid", "pending", "shipped", "refunded", "cancelled"}
	w := bufio.NewWriterSize(in, 1<<20)
	_, _ = w.WriteString("COPY public.orders (id, token, customer, amount, status, created_at, note) FROM stdin;\n")
	ts := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	var line []byte
	for id := 1; cw.n.Load() < size; id++ {
		line = line[:0]
		line = strconv.AppendInt(line, int64(id), 10)
		line = append(line, '\t')
		line = fmt.Appendf(line, "%08x", r.Uint32())
		line = append(line, '\t')
		line = append(line, words[r.IntN(len(words))]...)
		line = append(line, ' ')
		line = append(line, words[r.IntN(len(words))]...)
		line = append(line, '\t')
		line = strconv.AppendFloat(line, float64(r.IntN(1000000))/100, 'f', 2, 64)
		line = append(line, '\t')
		line = append(line, statuses[r.IntN(len(statuses))]...)
		line = append(line, '\t')
		ts = ts.Add(time.Duration(r.IntN(5000)) * time.Millisecond)
		line = ts.AppendFormat(line, "2006-01-02 15:04:05.000+00")
		line = append(line, '\t')
		for range r.IntN(8) {
			line = append(line, words[r.IntN(len(words))]...)
			line = append(line, ' ')
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	_, _ = w.WriteString("\\.\n")
	if err := w.Flush(); err != nil {
		return err
	}
	if err := in.Close(); err != nil {
		return err
	}
	if err := cmd.Wait(); err != nil {
		return err
	}
	return f.Close()
}

type countingWriter struct {
	w io.Writer
	n atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// verify runs the gate, as release-gate would, on one file: newest match,
// checksum sidecar and full decompression.
func verify(file string) error {
	abs, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	set := backup.Set{
		Location: filepath.Dir(abs), Pattern: filepath.Base(abs),
		MaxAge: 100 * 365 * 24 * time.Hour, Checksum: true, Decompress: true,
	}
	env := gates.Env{Workspace: filepath.Dir(abs)}
	res := (&gates.Runner{}).Run(context.Background(), env, []gates.Job{{Gate: benchGate{set}}})[0]
	fmt.Printf("%s: %s %s\n", res.Status, res.Summary, res.Err)
	if res.Status != gates.StatusPass {
		return fmt.Errorf("gate did not pass")
	}
	return nil
}

// benchGate runs Check on one set.
type benchGate struct{ set backup.Set }

func (benchGate) Name() string { return "backup-freshness" }

func (g benchGate) Run(ctx context.Context, env *gates.Env) ([]gates.Finding, error) {
	rep, err := backup.Check(ctx, env, g.set)
	if err != nil {
		return nil, err
	}
	env.SetSummary("%s", rep.Summary)
	var fs []gates.Finding
	for _, p := range rep.Problems {
		fs = append(fs, gates.Finding{Rule: p.Rule, Severity: gates.SeverityError, Message: p.Message})
	}
	return fs, nil
}
