package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/release-gate/release-gate/gates"
)

// Object is one stored file or S3 object.
type Object struct {
	// Name is the object's path relative to the store's location, with
	// forward slashes.
	Name    string
	Size    int64
	ModTime time.Time
}

// Query says which objects to list.
type Query struct {
	// Prefix is the start of the names to list (relative to the location);
	// it may contain slashes.
	Prefix string
	// Recursive lists objects below further slashes after Prefix too.
	Recursive bool
}

// ListStats says how much a listing saw.
type ListStats struct {
	Objects  int // objects listed (before any pattern is applied)
	Requests int // list requests made (pages, for S3)
}

// Store is a place backups live: a directory or an S3 prefix.
type Store interface {
	// String names the location in messages (s3://bucket/prefix/ at endpoint,
	// or the directory).
	String() string
	// ObjectURL names one object in messages.
	ObjectURL(name string) string
	// List calls fn for every object the query selects, in no particular
	// order. A location that does not exist or cannot be read is an error,
	// never an empty listing.
	List(ctx context.Context, q Query, fn func(Object) error) (ListStats, error)
	// Open opens an object for reading. A missing object is an error that
	// matches fs.ErrNotExist.
	Open(ctx context.Context, name string) (io.ReadCloser, error)
}

// Location is a parsed location: a directory or an S3 bucket and prefix.
type Location struct {
	// Dir is the directory of a local location, absolute or relative to
	// the workspace; empty for S3.
	Dir string
	// Bucket and Prefix locate an S3 location; Prefix is empty or ends with
	// a slash.
	Bucket, Prefix string
}

// IsS3 reports whether the location is an S3 one.
func (l Location) IsS3() bool { return l.Bucket != "" }

// ParseLocation parses a location: a local path, a file:// URL, or
// s3://bucket/prefix. The prefix is taken as a folder: s3://b/orders and
// s3://b/orders/ both list keys under "orders/".
func ParseLocation(s string) (Location, error) {
	switch {
	case s == "":
		return Location{}, errors.New("want a directory, a file:// URL or s3://bucket/prefix")
	case strings.HasPrefix(s, "s3://"):
		rest := strings.TrimPrefix(s, "s3://")
		bucket, prefix, _ := strings.Cut(rest, "/")
		if err := checkBucket(bucket); err != nil {
			return Location{}, fmt.Errorf("%q: %w", s, err)
		}
		prefix = strings.TrimLeft(prefix, "/")
		if prefix != "" && !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		return Location{Bucket: bucket, Prefix: prefix}, nil
	case strings.HasPrefix(s, "file:"):
		u, err := url.Parse(s)
		if err != nil {
			return Location{}, fmt.Errorf("%q is not a valid file:// URL: %w", s, err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return Location{}, fmt.Errorf("%q names host %q; a file:// URL must be file:///absolute/path", s, u.Host)
		}
		if u.Path == "" || !strings.HasPrefix(u.Path, "/") {
			return Location{}, fmt.Errorf("%q has no absolute path; write file:///absolute/path or a path relative to the workspace", s)
		}
		return Location{Dir: filepath.FromSlash(u.Path)}, nil
	case strings.Contains(s, "://"):
		scheme, _, _ := strings.Cut(s, "://")
		return Location{}, fmt.Errorf("%q: unsupported scheme %q; want a directory, a file:// URL or s3://bucket/prefix", s, scheme)
	}
	return Location{Dir: filepath.FromSlash(s)}, nil
}

// checkBucket catches typos in bucket names (S3 rules, loosely: some
// S3-compatible stores allow upper case and underscores).
func checkBucket(b string) error {
	if b == "" {
		return errors.New("no bucket name; want s3://bucket/prefix")
	}
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("bucket name %q must be 3 to 63 characters long", b)
	}
	for _, r := range b {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return fmt.Errorf("bucket name %q has an invalid character %q", b, r)
		}
	}
	return nil
}

// OpenStore returns the store for a set's location. For S3 it builds a
// client from the standard AWS chain; it makes no request yet.
func OpenStore(ctx context.Context, env *gates.Env, set Set) (Store, error) {
	loc, err := ParseLocation(set.Location)
	if err != nil {
		return nil, err
	}
	if loc.IsS3() {
		return newS3Store(ctx, env, loc, set.S3)
	}
	return newLocalStore(env.Workspace, loc.Dir), nil
}
