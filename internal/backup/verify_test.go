package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"testing"

	"github.com/release-gate/release-gate/internal/backup/backuptest"

	"github.com/klauspost/compress/zstd"
)

func TestVerifyGoodArchives(t *testing.T) {
	data := backuptest.Payload(5<<20+123, 1) // several pipeline chunks
	for _, tt := range []struct {
		name   string
		body   []byte
		format Format
	}{
		{"gzip", backuptest.Gzip(t, data), FormatGzip},
		{"zstd", backuptest.Zstd(t, data), FormatZstd},
		{"gzip sniffed", backuptest.Gzip(t, data), FormatUnknown},
		{"zstd sniffed", backuptest.Zstd(t, data), FormatUnknown},
		{"gzip multi-member (pigz, cat a.gz b.gz)", append(backuptest.Gzip(t, data[:1000]), backuptest.Gzip(t, data[1000:])...), FormatGzip},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Verify(context.Background(), bytes.NewReader(tt.body),
				VerifyOptions{Hash: true, Decompress: true, Format: tt.format, Size: int64(len(tt.body))})
			if err != nil {
				t.Fatal(err)
			}
			if res.Corrupt != nil {
				t.Fatalf("good archive reported corrupt: %v", res.Corrupt)
			}
			if res.Decompressed != int64(len(data)) || res.Read != int64(len(tt.body)) {
				t.Errorf("decompressed %d, read %d; want %d, %d", res.Decompressed, res.Read, len(data), len(tt.body))
			}
			sum := sha256.Sum256(tt.body)
			if !bytes.Equal(res.SHA256, sum[:]) {
				t.Errorf("sha256 %x, want %x", res.SHA256, sum)
			}
			if tt.format == FormatUnknown && res.Format == FormatUnknown {
				t.Error("format not sniffed")
			}
		})
	}
}

func TestVerifyBadArchives(t *testing.T) {
	data := backuptest.Payload(3<<20, 2)
	gz, zs := backuptest.Gzip(t, data), backuptest.Zstd(t, data)
	flip := func(b []byte, at int) []byte {
		c := bytes.Clone(b)
		c[at] ^= 0xff
		return c
	}
	for _, tt := range []struct {
		name      string
		body      []byte
		format    Format
		truncated bool
	}{
		{"gzip cut in half", gz[:len(gz)/2], FormatGzip, true},
		{"gzip without its trailer", gz[:len(gz)-8], FormatGzip, true},
		{"gzip with a wrong CRC", flip(gz, len(gz)-6), FormatGzip, false},
		{"gzip flipped in the middle", flip(gz, len(gz)/2), FormatGzip, false},
		{"gzip followed by garbage", append(bytes.Clone(gz), "this is not a gzip header"...), FormatGzip, false},
		{"gzip named but plain text", data[:4096], FormatGzip, false},
		{"empty .gz", nil, FormatGzip, true},
		{"zstd cut in half", zs[:len(zs)/2], FormatZstd, true},
		{"zstd flipped in the middle", flip(zs, len(zs)/2), FormatZstd, false},
		{"zstd with a wrong checksum", flip(zs, len(zs)-2), FormatZstd, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Verify(context.Background(), bytes.NewReader(tt.body),
				VerifyOptions{Hash: true, Decompress: true, Format: tt.format, Size: int64(len(tt.body))})
			if err != nil {
				t.Fatalf("error %v; want a corrupt archive", err)
			}
			if res.Corrupt == nil {
				t.Fatal("bad archive passed")
			}
			if res.Corrupt.Truncated != tt.truncated {
				t.Errorf("truncated = %v, want %v (%v)", res.Corrupt.Truncated, tt.truncated, res.Corrupt)
			}
			// The whole object is still hashed, so a caller can tell a
			// backup damaged after it was written from one written broken.
			sum := sha256.Sum256(tt.body)
			if res.Read != int64(len(tt.body)) || !bytes.Equal(res.SHA256, sum[:]) {
				t.Errorf("read %d of %d bytes, sha256 %x", res.Read, len(tt.body), res.SHA256)
			}
		})
	}
}

func TestVerifyStopsAtTheCap(t *testing.T) {
	gz := backuptest.Gzip(t, backuptest.Payload(4<<20, 3))
	_, err := Verify(context.Background(), bytes.NewReader(gz), VerifyOptions{Decompress: true, MaxDecompressed: 1 << 20, Size: int64(len(gz))})
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != 1<<20 {
		t.Fatalf("err = %v, want TooLargeError at 1 MiB", err)
	}
}

func TestVerifyRefusesAHugeZstdWindow(t *testing.T) {
	w, err := zstd.NewWriter(nil, zstd.WithWindowSize(256<<20))
	if err != nil {
		t.Fatal(err)
	}
	// The window is declared in the frame header only when the content size
	// is unknown: stream it.
	var b bytes.Buffer
	w.Reset(&b)
	w.Write(backuptest.Payload(1<<20, 4))
	w.Close()
	_, err = Verify(context.Background(), bytes.NewReader(b.Bytes()), VerifyOptions{Decompress: true, Size: int64(b.Len())})
	if !errors.Is(err, zstd.ErrWindowSizeExceeded) {
		t.Fatalf("err = %v, want the window refused", err)
	}
}

func TestVerifyUnknownFormat(t *testing.T) {
	_, err := Verify(context.Background(), bytes.NewReader([]byte("PGDMP custom format")), VerifyOptions{Decompress: true, Size: 19})
	if !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("err = %v, want ErrUnknownFormat", err)
	}
}

// failingReader returns data, then an error, as a connection cut short does.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func TestVerifyReadErrorIsNotCorruption(t *testing.T) {
	gz := backuptest.Gzip(t, backuptest.Payload(3<<20, 5))
	for _, cut := range []error{io.ErrUnexpectedEOF, errors.New("connection reset by peer")} {
		r := &failingReader{r: bytes.NewReader(gz[:len(gz)/2]), err: cut}
		res, err := Verify(context.Background(), r, VerifyOptions{Hash: true, Decompress: true, Format: FormatGzip, Size: int64(len(gz))})
		if !errors.Is(err, cut) {
			t.Errorf("cut by %v: err = %v, corrupt = %v; want the read error", cut, err, res.Corrupt)
		}
	}
}

func TestVerifyNoticesAChangedObject(t *testing.T) {
	gz := backuptest.Gzip(t, backuptest.Payload(1<<20, 6))
	for _, size := range []int64{int64(len(gz)) - 10, int64(len(gz)) + 10} {
		_, err := Verify(context.Background(), bytes.NewReader(gz), VerifyOptions{Hash: true, Decompress: true, Size: size})
		if err == nil {
			t.Errorf("listed size %d for %d bytes: no error", size, len(gz))
		}
	}
}

func TestVerifyHonoursContext(t *testing.T) {
	gz := backuptest.Gzip(t, backuptest.Payload(12<<20, 7)) // several chunks
	ctx, cancel := context.WithCancel(context.Background())
	r := &cancelAfter{r: bytes.NewReader(gz), after: len(gz) / 2, cancel: cancel}
	_, err := Verify(ctx, r, VerifyOptions{Hash: true, Decompress: true, Size: int64(len(gz))})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

type cancelAfter struct {
	r      io.Reader
	read   int
	after  int
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.read += n; c.read >= c.after {
		c.cancel()
	}
	return n, err
}

func BenchmarkVerifyGzip(b *testing.B) {
	data := backuptest.Payload(64<<20, 8)
	gz := backuptest.Gzip(b, data)
	b.SetBytes(int64(len(gz)))
	for b.Loop() {
		res, err := Verify(context.Background(), bytes.NewReader(gz), VerifyOptions{Hash: true, Decompress: true, Size: int64(len(gz))})
		if err != nil || res.Corrupt != nil {
			b.Fatal(err, res.Corrupt)
		}
	}
}
