package rie

import "testing"

func TestErrorType(t *testing.T) {
	for body, want := range map[string]string{
		`{"errorMessage":"boom","errorType":"errorString"}`: "errorString",
		`{"statusCode":200,"body":"{\"errorType\":\"x\"}"}`: "",
		`null`:            "",
		`"errorType":"x"`: "",
	} {
		if got := errorType([]byte(body)); got != want {
			t.Errorf("%s: %q want %q", body, got, want)
		}
	}
}
