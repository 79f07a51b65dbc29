package backup

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// DefaultMaxDecompressed bounds how many decompressed bytes Verify reads
// when the set does not say (max-decompressed).
const DefaultMaxDecompressed int64 = 100 << 30

// zstdMaxWindow is the largest zstd window accepted, as the zstd tool
// accepts by default (--long=27); it bounds the decoder's memory.
const zstdMaxWindow = 128 << 20

// The read pipeline: numChunks buffers of chunkSize circulate between the
// reader (which also hashes) and the decompressor, so at most
// numChunks*chunkSize bytes of the object are in memory at once.
const (
	chunkSize = 1 << 20
	numChunks = 4
)

// VerifyOptions says what to check while reading an object once.
type VerifyOptions struct {
	// Hash computes the SHA-256 of the bytes read.
	Hash bool
	// Decompress decompresses the stream to EOF, which checks the
	// archive's own CRCs and its framing.
	Decompress bool
	// Format is the compression format; FormatUnknown sniffs the first bytes.
	Format Format
	// MaxDecompressed stops decompression after this many bytes (an error,
	// not a corrupt archive); 0 means DefaultMaxDecompressed.
	MaxDecompressed int64
	// Size is the object's listed size: reading more or fewer bytes is an
	// error (the object changed while it was read). Negative: unknown.
	Size int64
	// Progress, when set, is called after each chunk with the bytes read.
	Progress func(read int64)
}

// VerifyResult is what one pass over an object found.
type VerifyResult struct {
	Read         int64  // bytes of the object read
	SHA256       []byte // when Hash
	Format       Format // when Decompress
	Decompressed int64  // bytes the archive decompressed to
	// Corrupt is set when the archive is truncated or corrupt; the pass
	// still read (and hashed) the whole object.
	Corrupt *CorruptError
}

// CorruptError says why an archive failed to decompress.
type CorruptError struct {
	Format    Format
	Truncated bool // the stream ended early
	Offset    int64
	Err       error
}

func (e *CorruptError) Error() string {
	if e.Truncated {
		return fmt.Sprintf("%s stream is truncated: it ends after %d decompressed bytes (%v)", e.Format, e.Offset, e.Err)
	}
	return fmt.Sprintf("%s stream is corrupt after %d decompressed bytes: %v", e.Format, e.Offset, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// ErrUnknownFormat is returned when Decompress is asked of an object that
// is neither gzip nor zstd.
var ErrUnknownFormat = errors.New("not a gzip or zstd stream")

// TooLargeError is returned when an archive decompresses to more than the
// allowed bytes: verification could not finish.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("decompressed size exceeds max-decompressed (%d bytes)", e.Limit)
}

// Verify reads r once, to EOF, hashing it and decompressing it in parallel
// as opts ask. It holds at most a few MiB whatever the object's size.
//
// An archive that fails to decompress is reported in the result's Corrupt,
// with err nil; err is for what stopped the check itself: a read error,
// the context, an unknown format, the size cap.
func Verify(ctx context.Context, r io.Reader, opts VerifyOptions) (VerifyResult, error) {
	var res VerifyResult
	if opts.Size >= 0 {
		r = io.LimitReader(r, opts.Size+1) // one more byte reveals a grown object
	}
	limit := opts.MaxDecompressed
	if limit <= 0 {
		limit = DefaultMaxDecompressed
	}
	var h hash.Hash
	if opts.Hash {
		h = sha256.New()
	}
	free := make(chan []byte, numChunks)
	for range numChunks {
		free <- make([]byte, chunkSize)
	}
	full := make(chan []byte, numChunks) // never blocks: it can hold every buffer
	var decDone chan decodeOutcome       // nil until decompression starts, and after it ends
	var dec decodeOutcome
	decoding := false

	var readErr error
	for first := true; ; first = false {
		if err := ctx.Err(); err != nil {
			readErr = err
			goto done
		}
		var buf []byte
		select {
		case buf = <-free:
		case dec = <-decDone:
			decDone, decoding = nil, false
			reclaim(full, free)
			if h == nil {
				goto done // nothing left to learn from the rest
			}
			continue
		case <-ctx.Done():
			readErr = ctx.Err()
			goto done
		}
		n, err := fill(r, buf)
		buf = buf[:n]
		res.Read += int64(n)
		if h != nil {
			h.Write(buf)
		}
		if first && opts.Decompress {
			res.Format = opts.Format
			if res.Format == FormatUnknown {
				res.Format = sniffFormat(buf)
			}
			if res.Format == FormatUnknown {
				return res, ErrUnknownFormat
			}
			decDone = make(chan decodeOutcome, 1)
			decoding = true
			go decode(res.Format, &chunkReader{full: full, free: free}, limit, decDone)
		}
		if decoding && n > 0 {
			full <- buf
		} else {
			free <- buf[:cap(buf)]
		}
		if opts.Progress != nil {
			opts.Progress(res.Read)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			readErr = err
			break
		}
	}
done:
	if decoding {
		close(full) // the decompressor sees EOF after what it was sent
		dec = <-decDone
	}
	if readErr != nil {
		return res, readErr
	}
	if opts.Size >= 0 && res.Read != opts.Size && (dec.err == nil || h != nil) {
		return res, fmt.Errorf("read %d bytes, but the listing said %d: the object changed while it was read; run again", res.Read, opts.Size)
	}
	if h != nil {
		res.SHA256 = h.Sum(nil)
	}
	res.Decompressed = dec.n
	if dec.err != nil {
		var tooLarge *TooLargeError
		switch {
		case errors.As(dec.err, &tooLarge), errors.Is(dec.err, zstd.ErrWindowSizeExceeded):
			return res, dec.err
		case errors.Is(dec.err, io.ErrUnexpectedEOF), errors.Is(dec.err, io.EOF):
			res.Corrupt = &CorruptError{Format: res.Format, Truncated: true, Offset: dec.n, Err: dec.err}
		default:
			res.Corrupt = &CorruptError{Format: res.Format, Offset: dec.n, Err: dec.err}
		}
	}
	return res, nil
}

// fill reads into buf until it is full, the stream ends (io.EOF), or a read
// fails. Unlike io.ReadFull it keeps a reader's own io.ErrUnexpectedEOF (a
// connection cut short) apart from the normal end of the stream.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// reclaim returns buffers the decompressor will never read to the pool.
func reclaim(full <-chan []byte, free chan<- []byte) {
	for {
		select {
		case b := <-full:
			free <- b[:cap(b)]
		default:
			return
		}
	}
}

type decodeOutcome struct {
	n   int64
	err error
}

// decode decompresses everything cr delivers and reports on done.
func decode(f Format, cr *chunkReader, limit int64, done chan<- decodeOutcome) {
	w := &countingDiscard{limit: limit}
	err := decodeTo(f, cr, w)
	if err == nil {
		// Bytes after the last complete frame would be ignored by a restore
		// tool, or worse: call them corrupt.
		if n, _ := io.Copy(io.Discard, cr); n > 0 {
			err = fmt.Errorf("%d bytes of trailing data after the compressed stream", n)
		}
	}
	cr.release()
	done <- decodeOutcome{n: w.n, err: err}
}

func decodeTo(f Format, cr *chunkReader, w io.Writer) error {
	switch f {
	case FormatGzip:
		// A *bufio.Reader is the flate decoder's fastest input.
		zr, err := gzip.NewReader(bufio.NewReaderSize(cr, 256<<10))
		if err != nil {
			return err
		}
		_, err = io.Copy(w, zr) // WriteTo: no extra copy; checks each member's CRC and size
		return err
	case FormatZstd:
		zr, err := zstd.NewReader(cr, zstd.WithDecoderLowmem(true), zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxWindow(zstdMaxWindow))
		if err != nil {
			return err
		}
		defer zr.Close()
		_, err = io.Copy(w, zr)
		return err
	}
	return ErrUnknownFormat
}

// chunkReader reads the chunks the reader sends, giving each buffer back
// once consumed.
type chunkReader struct {
	full <-chan []byte
	free chan<- []byte
	held []byte // the buffer being read
	cur  []byte // its unread part
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.cur) == 0 {
		c.release()
		b, ok := <-c.full
		if !ok {
			return 0, io.EOF
		}
		c.held, c.cur = b, b
	}
	n := copy(p, c.cur)
	c.cur = c.cur[n:]
	return n, nil
}

func (c *chunkReader) release() {
	if c.held != nil {
		c.free <- c.held[:cap(c.held)]
		c.held, c.cur = nil, nil
	}
}

// countingDiscard counts and drops decompressed bytes, up to a limit.
type countingDiscard struct {
	n, limit int64
}

func (w *countingDiscard) Write(p []byte) (int, error) {
	if w.n+int64(len(p)) > w.limit {
		return 0, &TooLargeError{Limit: w.limit}
	}
	w.n += int64(len(p))
	return len(p), nil
}
