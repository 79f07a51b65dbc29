package main

import (
	"encoding/json"
	"fmt"
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
	data, err := os.ReadFile(path)
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
	return ev, nil
}
