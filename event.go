package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/release-gate/release-gate/gates"
)

// readEvent reads the change under test from the GitHub event payload
// ($GITHUB_EVENT_PATH): the base and head commits of a pull request, a push
// or a merge queue group. Outside GitHub Actions it returns an empty Event.
func readEvent(getenv func(string) string) (gates.Event, error) {
	ev := gates.Event{Name: getenv("GITHUB_EVENT_NAME")}
	path := getenv("GITHUB_EVENT_PATH")
	if path == "" {
		return ev, nil
	}
	data, err := readCapped(path, maxEventBytes)
	if err != nil {
		return ev, fmt.Errorf("reading the GitHub event payload: %w", err)
	}
	var payload struct {
		Before      string `json:"before"`
		After       string `json:"after"`
		PullRequest *struct {
			Base struct {
				SHA string `json:"sha"`
			} `json:"base"`
			Head struct {
				SHA string `json:"sha"`
			} `json:"head"`
		} `json:"pull_request"`
		MergeGroup *struct {
			BaseSHA string `json:"base_sha"`
			HeadSHA string `json:"head_sha"`
		} `json:"merge_group"`
	}
	if err := json.Unmarshal(data, &payload); err != nil {
		return ev, fmt.Errorf("reading the GitHub event payload %s: %w", path, err)
	}
	switch {
	case payload.PullRequest != nil:
		ev.Base, ev.Head = payload.PullRequest.Base.SHA, payload.PullRequest.Head.SHA
	case payload.MergeGroup != nil:
		ev.Base, ev.Head = payload.MergeGroup.BaseSHA, payload.MergeGroup.HeadSHA
	case payload.After != "":
		ev.Base, ev.Head = payload.Before, payload.After
	}
	// A push that creates a branch has no "before": there is no base.
	if strings.Trim(ev.Base, "0") == "" {
		ev.Base = ""
	}
	if strings.Trim(ev.Head, "0") == "" {
		ev.Head = ""
	}
	for _, sha := range []struct{ name, value string }{{"base", ev.Base}, {"head", ev.Head}} {
		if sha.value != "" && !isCommitID(sha.value) {
			return ev, fmt.Errorf("reading the GitHub event payload %s: the %s commit %q is not a commit id (40 or 64 hexadecimal digits)", path, sha.name, sha.value)
		}
	}
	return ev, nil
}

// maxEventBytes bounds the event payload read into memory; GitHub's are
// far smaller.
const maxEventBytes = 64 << 20

// readCapped reads a file of at most max bytes.
func readCapped(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read only: nothing to lose
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, max>>20)
	}
	return data, nil
}

// isCommitID reports whether s is a full SHA-1 or SHA-256 commit id.
func isCommitID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
