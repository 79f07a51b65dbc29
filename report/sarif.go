package report

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"

	"github.com/release-gate/release-gate/gates"
	"github.com/release-gate/release-gate/internal/sanitize"
	"github.com/release-gate/release-gate/internal/wsfile"
)

// SARIF 2.1.0, as much of it as code scanning needs: a rule per finding kind
// and a result per finding that has a location.
//
// Hand-written on purpose, after measuring github.com/owenrumney/go-sarif
// v3.3.1 against it: the library adds 2.3 MB to a stripped binary (it
// links gojsonschema and uuid for validation we do not need at run time),
// and its log for one finding is 2,460 bytes where ours is 1,052: every
// optional array is written empty and every absent index as -1 (byteOffset,
// charOffset, rank), which code scanning reads as values. Every string
// still has to go through sanitize.Text either way: the library does not
// sanitise.

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	Level               string             `json:"level"`
	Message             sarifMessage       `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints,omitempty"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
}

// sarifSuppression is SARIF's record of a result someone accepted: a
// waiver, kept in the configuration (external to the source).
type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// EncodeSARIF returns the findings that have a location as SARIF 2.1.0,
// for upload to code scanning.
func EncodeSARIF(run Run) ([]byte, error) {
	data, err := json.MarshalIndent(NewSARIF(run), "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// WriteSARIF writes EncodeSARIF's log to path as WriteJSON writes.
func WriteSARIF(path string, run Run) error {
	data, err := EncodeSARIF(run)
	if err != nil {
		return err
	}
	return wsfile.WriteFile("", path, data)
}

// NewSARIF builds the SARIF log of a run.
func NewSARIF(run Run) any {
	rules := map[string]string{}
	results := []sarifResult{}
	for _, r := range run.Results {
		for _, f := range r.Findings {
			if f.Pos.File == "" {
				continue
			}
			id := sanitize.Text(r.Name)
			if f.Rule != "" {
				id += "/" + sanitize.Text(f.Rule)
			}
			if _, ok := rules[id]; !ok {
				rules[id] = sanitize.Text(r.Name + ": " + f.Rule)
			}
			res := sarifResult{
				RuleID:  id,
				Level:   sarifLevel(severityOf(r, f)),
				Message: sarifMessage{Text: sanitize.Text(findingText(f))},
				Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
					ArtifactLocation: sarifArtifact{URI: fileURI(f.Pos.File), URIBaseID: "%SRCROOT%"},
				}}},
			}
			if f.Pos.Line > 0 {
				res.Locations[0].PhysicalLocation.Region = &sarifRegion{StartLine: f.Pos.Line, StartColumn: f.Pos.Col}
			}
			if f.Commit != "" {
				res.PartialFingerprints = map[string]string{"commitSha": sanitize.Text(f.Commit)}
			}
			if f.Waived != nil {
				res.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: sanitize.Text(waiverText(f.Waived))}}
			}
			results = append(results, res)
		}
	}
	ids := make([]string, 0, len(rules))
	for id := range rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	driver := sarifDriver{Name: "release-gate", Version: sanitize.Text(run.Version), InformationURI: "https://github.com/release-gate/release-gate", Rules: []sarifRule{}}
	for _, id := range ids {
		driver.Rules = append(driver.Rules, sarifRule{ID: id, ShortDescription: sarifMessage{Text: rules[id]}})
	}
	return sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}},
	}
}

func sarifLevel(s gates.Severity) string {
	switch s {
	case gates.SeverityWarning:
		return "warning"
	case gates.SeverityNotice:
		return "note"
	}
	return "error"
}

// fileURI turns a workspace-relative path into a relative URI reference,
// percent-encoding each segment (spaces, #, ? and non-ASCII in file names).
func fileURI(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
