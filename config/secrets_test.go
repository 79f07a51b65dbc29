package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/release-gate/release-gate/internal/testenv"
)

func TestSecretName(t *testing.T) {
	secret := []string{
		"INPUT_TOKEN", "GITHUB_TOKEN", "github_token", "NPM_AUTHTOKEN", "AWS_SESSION_TOKEN",
		"AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "CLIENT_SECRET", "SECRETS",
		"DB_PASSWORD", "PGPASSWORD", "MYSQL_PWD", "SMTP_PASS", "REDIS_PW", "LDAP_PASSWD", "GPG_PASSPHRASE",
		"AZURE_CREDENTIALS", "GCP_CREDS", "DOCKER_CRED",
		"API_KEY", "STRIPE_APIKEY", "SENDGRID_API_KEY", "SSH_PRIVATE_KEY", "DEPLOY_KEY", "STRIPE_KEY", "SSHKEY", "COSIGN_SIGNING_KEY",
		"STAGING_AUTH", "PROM_BASICAUTH", "OAUTH", "AUTHORIZATION", "HTTP_AUTHZ",
		"GHCR_PAT", "JWT", "SENTRY_DSN", "AZURE_STORAGE_SAS", "BEARER", "SESSION_COOKIE",
		"SLACK_WEBHOOK_URL", "DB_CONNECTION_STRING", "ConnectionString",
		"prom-token",
	}
	notSecret := []string{
		"GITHUB_SHA", "BASE_SHA", "GITHUB_ACTOR", "HOME", "PATH", "PWD", "OLDPWD",
		"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "AUTHOR", "KEYBOARD", "MONKEY_ISLAND",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "GOOGLE_APPLICATION_CREDENTIALS_PATH", "SECRET_NAME", "SSH_KEY_PATH",
		"SSH_PUBLIC_KEY", "PATH_STYLE", "PASSPORT", "COMPASS", "REGISTRY", "IMAGE", "", "_",
		"GHCR_USER", "DOCKERHUB_USERNAME",
	}
	for _, name := range secret {
		if !SecretName(name) {
			t.Errorf("SecretName(%q) = false; want true", name)
		}
	}
	for _, name := range notSecret {
		if SecretName(name) {
			t.Errorf("SecretName(%q) = true; want false", name)
		}
	}
}

// TestSecretInConfigError is the leak that a secret in a wrong place made:
// mode: ${INPUT_TOKEN} printed the token in "want enforce or warn, got ...".
// The message names the variable instead, and Secrets lists the value for
// the masker, errors or not.
func TestSecretInConfigError(t *testing.T) {
	token := testenv.GitHubToken(t)
	getenv := env(map[string]string{"INPUT_TOKEN": token, "BASE_SHA": "abc123"})
	src := "gates:\n  secret-scan:\n    mode: ${INPUT_TOKEN}\n    timeout: x${INPUT_TOKEN}\n    base: ${BASE_SHA}\n    retries: ${BASE_SHA}\n"
	f, err := Parse("rg.yml", []byte(src), Options{Getenv: getenv, Gates: testGates})
	assertErrors(t, err, []string{
		`rg.yml:3:11: gates.secret-scan.mode: want enforce or warn, got "${INPUT_TOKEN}" (from ${INPUT_TOKEN})`,
		`rg.yml:4:14: gates.secret-scan.timeout: want a duration such as 30s, 5m, 24h or 7d, got "x${INPUT_TOKEN}" (from ${INPUT_TOKEN})`,
	})
	if strings.Contains(err.Error(), token) {
		t.Errorf("the error shows the token: %v", err)
	}
	if f == nil {
		t.Fatal("no File with the errors: the CLI could not learn what to mask")
	}
	if diff := cmp.Diff([]string{token}, f.Secrets(getenv)); diff != "" {
		t.Errorf("Secrets (-want +got):\n%s", diff)
	}
	// A value that is not secret is shown, with where it came from.
	var c sampleConfig
	err = f.Section("secret-scan").Decode(&c)
	assertErrors(t, err, []string{`rg.yml:6:14: gates.secret-scan.retries: want an integer, got "abc123" (from ${BASE_SHA})`})
	// Errors a gate makes go through the same redaction.
	got := f.Section("secret-scan").Errorf("base", "%q and %s are not both allowed", token, "x"+token+"\ny").Error()
	if want := `rg.yml:5:11: gates.secret-scan.base: "${INPUT_TOKEN}" and x${INPUT_TOKEN}; y are not both allowed (from ${BASE_SHA})`; got != want {
		t.Errorf("Errorf:\n got  %s\n want %s", got, want)
	}
}

// TestLongSecretsInCutValues: a value or key an error quotes cut short
// shows no part of a secret in it longer than what is shown, neither a
// secret-looking variable's value nor a URL's password.
func TestLongSecretsInCutValues(t *testing.T) {
	token := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 100)
	password := testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 100)
	getenv := env(map[string]string{"WAIVER_TOKEN": token})
	src := "gates:\n  secret-scan:\n    selector: {\"https://u:" + password + "@h\": [1]}\n" +
		"waivers:\n  - gate: secret-scan\n    owner: o\n    reason: r\n    expires: ${WAIVER_TOKEN}\n"
	f, err := Parse("rg.yml", []byte(src), Options{Getenv: getenv, Gates: testGates})
	if err == nil || f == nil {
		t.Fatalf("want an error and the file: %v", err)
	}
	var c sampleConfig
	derr := f.Section("secret-scan").Decode(&c)
	if derr == nil {
		t.Fatal("want an error about the selector")
	}
	for _, msg := range []string{err.Error(), derr.Error()} {
		if strings.Contains(msg, token[:16]) || strings.Contains(msg, password[:16]) {
			t.Errorf("part of a secret is shown: %s", msg)
		}
	}
	testenv.MustContain(t, "errors", err.Error()+derr.Error(), `got "${WAIVER_TOKEN}"`, "selector.https://u:***@h")
}

// TestRedactionCoversQuotedForms: a secret with characters %q escapes is
// still not shown when a message quotes it.
func TestRedactionCoversQuotedForms(t *testing.T) {
	secret := testenv.Random(t, "abcdef0123456789", 20) + "\"\\\tz"
	getenv := env(map[string]string{"DB_PASSWORD": " " + secret + " "})
	f, err := Parse("rg.yml", []byte("gates:\n  secret-scan:\n    timeout: ${DB_PASSWORD}\n"), Options{Getenv: getenv, Gates: testGates})
	// ParseDuration trims the value before it quotes it.
	assertErrors(t, err, []string{`rg.yml:3:14: gates.secret-scan.timeout: want a duration such as 30s, 5m, 24h or 7d, got "${DB_PASSWORD}" (from ${DB_PASSWORD})`})
	if want := []string{" " + secret + " ", secret}; !cmp.Equal(sortedCopy(want), f.Secrets(getenv)) {
		t.Errorf("Secrets = %q, want %q", f.Secrets(getenv), want)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	slices.Sort(out)
	return out
}

// TestSecretsOfREADMEShapes takes every way the README brings a credential
// into a configuration: -env keys (scalar and mapping), ${VAR} with a
// secret name, and a URL with a password.
func TestSecretsOfREADMEShapes(t *testing.T) {
	vals := map[string]string{}
	for _, name := range []string{"GHCR_USER", "GHCR_PAT", "PROM_TOKEN", "MIMIR_TOKEN", "STAGING_AUTH", "ECR_PASSWORD", "PROM_PASSWORD", "RAW_PW", "TOKEN_USER"} {
		vals[name] = testenv.Random(t, "abcdefghijklmnopqrstuvwxyz0123456789", 24)
	}
	vals["GITHUB_SHA"] = "0123456789abcdef0123456789abcdef01234567"
	vals["STAGING_AUTH"] = "Bearer " + vals["STAGING_AUTH"]
	getenv := env(vals)
	src := `version: 1
gates:
  staging-digest:
    image: ghcr.io/org/api:${GITHUB_SHA}
    staging: ghcr.io/org/api:staging
    username-env: GHCR_USER
    password-env: GHCR_PAT
  alert-presence:
    prometheus: https://prom:${PROM_PASSWORD}@prometheus.example.com
    alertmanager: https://am:p%40ss-${GITHUB_SHA}@alertmanager.example.com/
    token-env: PROM_TOKEN
    alertmanager-token-env: &mimir MIMIR_TOKEN
    selector: {service: api, url: "see https://${TOKEN_USER}@git.example.com/x and http://a@b"}
  backup-freshness:
    location: s3://prod-backups/orders/
    pattern: "pre_migration_*.sql.gz"
    max-age: 24h
    endpoint: ${MINIO_URL:-https://minio:secret-default@minio.internal:9000}
  secret-scan:
    headers-env: {Authorization: STAGING_AUTH, X-Other: *mimir, X-Bad: "${RAW_PW}"}
    base: $${PROM_TOKEN}
`
	gates := []string{"staging-digest", "alert-presence", "backup-freshness", "secret-scan"}
	f, err := Parse("rg.yml", []byte(src), Options{Getenv: getenv, Gates: gates})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		vals["GHCR_PAT"], vals["PROM_TOKEN"], vals["MIMIR_TOKEN"],
		vals["STAGING_AUTH"],
		vals["PROM_PASSWORD"],          // ${PROM_PASSWORD}, and a URL's password
		"p%40ss-" + vals["GITHUB_SHA"], // a URL's password as written...
		"p@ss-" + vals["GITHUB_SHA"],   // ...and decoded
		vals["TOKEN_USER"],             // a long user name without a password
		"secret-default",               // a password written in the file is masked too
	}
	if diff := cmp.Diff(sortedCopy(want), f.Secrets(getenv)); diff != "" {
		t.Errorf("Secrets (-want +got):\n%s", diff)
	}
	for _, v := range f.Secrets(getenv) {
		// A user name (username-env) is not a secret: masking it would
		// hide the user everywhere in the job's log.
		if v == vals["GITHUB_SHA"] || v == vals["RAW_PW"] || v == vals["GHCR_USER"] {
			t.Errorf("Secrets lists %q, which is not a secret value here", v)
		}
	}
	if f.Secrets(nil) == nil || (*File)(nil).Secrets(getenv) != nil {
		t.Error("Secrets must work without getenv and on a nil File")
	}
}

// TestSecretsWhenTheFileIsOverALimit: a file refused for its aliases still
// tells what it brought in.
func TestSecretsWhenTheFileIsOverALimit(t *testing.T) {
	token := testenv.GitHubToken(t)
	getenv := env(map[string]string{"API_TOKEN": token, "PROM_TOKEN": token + "x"})
	src := "gates:\n  secret-scan:\n    mode: ${API_TOKEN}\n    token-env: PROM_TOKEN\n    scope: &a [*a]\n"
	f, err := Parse("rg.yml", []byte(src), Options{Getenv: getenv, Gates: testGates})
	assertErrors(t, err, []string{"rg.yml:5:16: alias *a refers to a mapping or list that contains it"})
	if diff := cmp.Diff([]string{token, token + "x"}, f.Secrets(getenv)); diff != "" {
		t.Errorf("Secrets (-want +got):\n%s", diff)
	}
}

func TestURLCredentials(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"https://prometheus.example.com", nil},
		{"https://user:pw@host", []string{"pw"}},
		{"https://user:p%40ss@host:9090/x?y#z", []string{"p%40ss", "p@ss"}},
		{"https://user:a@b@host/", []string{"a@b"}},
		{"ssh://git@github.com/org/repo", nil},
		{"https://abcdefghijklmnop1234@github.com/org/repo.git", []string{"abcdefghijklmnop1234"}},
		{"https://host/?token=t1&x=1&api_key=k%2B1&sig=s1#frag", []string{"t1", "k%2B1", "k+1", "s1"}},
		{"https://host/path?q=1&session=2", nil},
		{"see 'https://a:b1@h' and \"ftp://c:d2@h\"", []string{"b1", "d2"}},
		{"x=https://a:b1@h,y=https://c:d2@h", []string{"b1", "d2"}},
		{"no url: user:pw@host", nil},
	}
	for _, tt := range tests {
		if got := urlCredentials(tt.in); !cmp.Equal(got, tt.want) {
			t.Errorf("urlCredentials(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
