package secretscan

import (
	"context"
	"strings"

	"github.com/zricethezav/gitleaks/v8/detect"
	"github.com/zricethezav/gitleaks/v8/report"
	"github.com/zricethezav/gitleaks/v8/sources"

	"github.com/release-gate/release-gate/internal/secrets"
)

// gitleaks scans what files hold, never their names. A key given as the
// name of a file or directory is as committed as one inside it, and every
// report that names the file would print it. So the names a scope sees are
// scanned too, with each policy that scans the content (the change's, and
// base's for a change that edits it); a name holding a secret is a finding
// on the file at line 0, and the secret is returned to be masked in every
// report, wherever the name appears.

// nameRef is a file's path as a scope saw it: in a commit, or in the tree
// (no commit).
type nameRef struct {
	path, commit string
}

// scanNames scans names with the rules of each policy (nil ones skipped)
// and returns the leaks, one per secret, rule and commit, and the secret
// values to mask.
func scanNames(ctx context.Context, names []nameRef, prefix string, policies ...*gitleaksDetector) ([]leak, []string, error) {
	byCommit := map[string][]string{}
	var commits []string
	for _, n := range names {
		if _, ok := byCommit[n.commit]; !ok {
			commits = append(commits, n.commit)
		}
		byCommit[n.commit] = append(byCommit[n.commit], n.path)
	}
	// One leak per secret, rule and commit: a secret naming a directory
	// is in the name of every file under it.
	type key struct{ secret, rule, commit string }
	seen := map[key]bool{}
	var leaks []leak
	var masks []string
	for i, p := range policies {
		if p == nil || (i > 0 && p == policies[0]) {
			continue
		}
		byPath := p.pathAllowlists()
		rules := p.rules.rules
		d := revealing(ctx, p)
		for _, c := range commits {
			var kept []string
			for _, path := range byCommit[c] {
				if !p.allowlisted(path, byPath) {
					kept = append(kept, path)
				}
			}
			for len(kept) > 0 {
				// One name a line, up to a fragment's size.
				n, size := 0, 0
				for n < len(kept) && (n == 0 || size+len(kept[n])+1 <= fragmentSize) {
					size += len(kept[n]) + 1
					n++
				}
				chunk := kept[:n]
				kept = kept[n:]
				found, err := rules.Detect(ctx, d, sources.Fragment{Raw: strings.Join(chunk, "\n"), CommitSHA: c}, false)
				if err != nil {
					return nil, nil, err
				}
				for _, f := range found {
					// A bare fragment's lines count from 0.
					if f.StartLine < 0 || f.StartLine >= len(chunk) {
						continue
					}
					path := chunk[f.StartLine]
					inName, err := secretsInName(ctx, rules, d, path)
					if err != nil {
						return nil, nil, err
					}
					masks = append(masks, inName...)
					k := key{strings.Join(inName, "\x00"), f.RuleID, c}
					if seen[k] {
						continue
					}
					seen[k] = true
					leaks = append(leaks, leak{rule: f.RuleID, description: f.Description, file: strings.TrimPrefix(path, prefix), commit: c})
				}
			}
		}
	}
	return leaks, masks, nil
}

// revealing is a detector with p's rules that keeps the secrets in its
// findings (to mask them) and honours no gitleaks:allow: a name holds no
// comment.
func revealing(ctx context.Context, p *gitleaksDetector) *detect.Detector {
	d := p.rules.rules.NewDetector(ctx, true)
	d.IgnoreGitleaksAllow = true
	return d
}

// secretsInName returns what must be masked for the secrets in one name:
// each secret as it is written there (a decoded one is written encoded),
// or, where that cannot be told, the name itself and each of its parts
// long enough to hold one (masking "src" would garble every report).
func secretsInName(ctx context.Context, rules *secrets.Rules, d *detect.Detector, name string) ([]string, error) {
	whole := []string{name}
	for _, part := range strings.Split(name, "/") {
		if len(part) >= 16 {
			whole = append(whole, part)
		}
	}
	findings, err := rules.Detect(ctx, d, sources.Fragment{Raw: name}, false)
	if err != nil || len(findings) == 0 {
		return whole, err
	}
	var out []string
	for _, f := range findings {
		text, ok := findingText(name, f)
		if !ok {
			return whole, nil
		}
		out = append(out, text)
	}
	return out, nil
}

// findingText is the text of name that f found: its secret when name holds
// it as such, else the span gitleaks reports (where it decoded the
// secret); false when neither can be told.
func findingText(name string, f report.Finding) (string, bool) {
	if f.Secret != "" && strings.Contains(name, f.Secret) {
		return f.Secret, true
	}
	start, end := f.StartColumn-1, f.EndColumn
	if f.StartLine != 0 || start < 0 || end > len(name) || start >= end {
		return "", false
	}
	return name[start:end], true
}
