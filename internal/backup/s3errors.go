package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"

	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// s3Error turns an SDK error into one that says what failed, where, and
// what to do. Missing objects match fs.ErrNotExist.
func s3Error(ctx context.Context, verb, target, bucket, where string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%s %s at %s: %w", verb, target, where, cerr)
	}
	status := 0
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		status = re.Response.StatusCode
	}
	code, msg := "", ""
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg = ae.ErrorCode(), ae.ErrorMessage()
	}
	if status == 0 {
		// Never reached the service: name the network problem only.
		var ne *net.OpError
		if errors.As(err, &ne) {
			return fmt.Errorf("%s %s: cannot reach %s: %w", verb, target, where, ne)
		}
		return fmt.Errorf("%s %s at %s: %w", verb, target, where, err)
	}
	detail := fmt.Sprintf("%d %s", status, http.StatusText(status))
	if code != "" {
		detail += ": " + code
		if msg != "" && msg != code {
			detail += ": " + msg
		}
	}
	switch {
	case code == "NoSuchBucket":
		return fmt.Errorf("%s %s: bucket %q does not exist at %s (%s); check the bucket name and the endpoint", verb, target, bucket, where, detail)
	case code == "NoSuchKey" || (status == http.StatusNotFound && verb == "reading"):
		return &notFoundError{msg: fmt.Sprintf("%s %s at %s: %s", verb, target, where, detail)}
	case status == http.StatusForbidden || status == http.StatusUnauthorized:
		need := "s3:ListBucket on the bucket"
		if verb == "reading" {
			need = "s3:GetObject on the objects"
		}
		return fmt.Errorf("%s %s: access denied by %s (%s); the credentials in use need %s", verb, target, where, detail, need)
	case status == http.StatusMovedPermanently || code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed":
		region := ""
		if re != nil && re.Response != nil {
			region = re.Response.Header.Get("x-amz-bucket-region")
		}
		hint := "set region: to the bucket's region"
		if region != "" {
			hint = fmt.Sprintf("the bucket is in %s: set region: %s (or AWS_REGION)", region, region)
		}
		return fmt.Errorf("%s %s at %s: %s; %s", verb, target, where, detail, hint)
	}
	if code == "" {
		// No S3 error document (a proxy's page, garbage): keep the SDK's words.
		return fmt.Errorf("%s %s at %s: %s: %w", verb, target, where, detail, err)
	}
	return fmt.Errorf("%s %s at %s: %s", verb, target, where, detail)
}

// notFoundError is a missing object.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string        { return e.msg }
func (e *notFoundError) Is(target error) bool { return target == fs.ErrNotExist }
