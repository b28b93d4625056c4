package kit_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/payhooks/payhooks/shared/pipeline/event"
	"github.com/payhooks/payhooks/shared/provider"
	"github.com/payhooks/payhooks/shared/provider/kit"
)

func reason(t *testing.T, err error) provider.Reason {
	t.Helper()
	if err == nil {
		return ""
	}
	r, ok := provider.AsRejection(err)
	if !ok {
		t.Fatalf("not a rejection: %v", err)
	}
	return r.Reason
}

func TestParseRefuses(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		want       provider.Reason
	}{
		{"ok", `{"a":1,"b":{"c":[{"d":1},{"d":2}]}}`, ""},
		{"not an object", `[1]`, provider.ReasonBadJSON},
		{"null", `null`, provider.ReasonBadJSON},
		{"trailing data", `{"a":1} {}`, provider.ReasonBadJSON},
		{"invalid", `{"a":}`, provider.ReasonBadJSON},
		{"top duplicate", `{"a":1,"a":2}`, provider.ReasonDuplicateMember},
		{"escaped duplicate", `{"a":1,"\u0061":2}`, provider.ReasonDuplicateMember},
		{"nested duplicate", `{"b":{"c":1,"c":1}}`, provider.ReasonDuplicateMember},
		{"duplicate in array", `{"b":[{"c":1},{"d":1,"d":2}]}`, provider.ReasonDuplicateMember},
		{"same key different objects", `{"b":{"c":1},"d":{"c":1}}`, ""},
		{"many members", `{` + manyMembers(100, "") + `}`, ""},
		{"many members duplicate", `{` + manyMembers(100, `,"k7":0`) + `}`, provider.ReasonDuplicateMember},
		{"many nested duplicate", `{"x":{` + manyMembers(100, `,"k99":0`) + `}}`, provider.ReasonDuplicateMember},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := kit.Parse([]byte(tt.body))
			if got := reason(t, err); got != tt.want {
				t.Fatalf("reason %q, want %q (%v)", got, tt.want, err)
			}
			if tt.want == provider.ReasonDuplicateMember && !errors.Is(err, kit.ErrDuplicate) {
				t.Fatalf("%v does not wrap ErrDuplicate", err)
			}
		})
	}
}

func manyMembers(n int, extra string) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + itoa(i) + `":` + itoa(i))
	}
	return b.String() + extra
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func TestReads(t *testing.T) {
	o, err := kit.Parse([]byte(`{"s":"x\u00e9","n":61.910,"ns":" 1.50 ","nul":null,"Amount":1,
		"data":{"amount":"2.5","cur":"EUR"},"str":"{\"objectId\":7}","b":true,"list":[1,"a"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := o.String("s", kit.Required); got != "xé" {
		t.Errorf("String %q", got)
	}
	if got := o.Text("n", kit.Required); got != "61.910" {
		t.Errorf("number text %q", got)
	}
	if got := o.Decimal("ns", kit.Required); got != "1.50" {
		t.Errorf("Decimal %q", got)
	}
	if o.Has("nul") || o.Has("amount") || o.Raw("absent") != nil {
		t.Error("null, a differently cased key or an absent key read as present")
	}
	data := o.Object("data", kit.Required)
	if m := data.Money("amount", data.String("cur", kit.Required), kit.Required); m == nil || m.Value != "2.5" || m.Currency != "EUR" {
		t.Errorf("Money %+v", m)
	}
	inner, text := o.ObjectOrString("str", kit.Required)
	if inner.Ref("objectId", kit.Required) != "7" || string(text) != `{"objectId":7}` {
		t.Errorf("ObjectOrString %q", text)
	}
	if v, ok := o.Value("list").([]any); !ok || len(v) != 2 {
		t.Errorf("Value %#v", o.Value("list"))
	}
	if err := o.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestFieldErrorsNamePaths(t *testing.T) {
	body := []byte(`{"b":true,"long":"` + strings.Repeat("x", 3000) + `","lone":"t\ud800","data":{"amount":"1e","secret":"4111111111111111","cur":"john.doe@example.com","pan":"5555555555554444","ccy":" USDT-TRON "},"sd":"[1]"}`)
	for _, tt := range []struct {
		name string
		read func(o *kit.Object)
		want provider.Reason
		path string
	}{
		{"missing", func(o *kit.Object) { o.String("absent", kit.Required) }, provider.ReasonMissingField, "absent is missing"},
		{"optional absent", func(o *kit.Object) { o.String("absent", kit.Optional) }, "", ""},
		{"not a string", func(o *kit.Object) { o.String("b", kit.Optional) }, provider.ReasonBadField, "b: want a string"},
		{"not text", func(o *kit.Object) { o.Text("data", kit.Optional) }, provider.ReasonBadField, "data: want a string or number"},
		{"long ref is read, for event.BoundIDs to bound", func(o *kit.Object) { o.Ref("long", kit.Required) }, "", ""},
		{"lone surrogate ref", func(o *kit.Object) { o.Ref("lone", kit.Required) }, provider.ReasonBadField, "lone: want text without lone surrogates"},
		{"nested bad amount", func(o *kit.Object) { o.Object("data", kit.Required).Money("amount", "EUR", kit.Required) }, provider.ReasonBadField, "data.amount: want"},
		{"nested missing", func(o *kit.Object) { o.Object("data", kit.Required).Text("currency", kit.Required) }, provider.ReasonMissingField, "data.currency is missing"},
		{"currency holding an email", func(o *kit.Object) { o.Object("data", kit.Required).Currency("cur", kit.Required) }, provider.ReasonBadField, "data.cur: want a currency code"},
		{"currency holding a number", func(o *kit.Object) { o.Currency("b", kit.Optional) }, provider.ReasonBadField, "b: want a string"},
		{"currency code", func(o *kit.Object) {
			if c := o.Object("data", kit.Required).Currency("ccy", kit.Required); c != "USDT-TRON" {
				o.Invalid("ccy", "read "+c)
			}
		}, "", ""},
		{"amount holding a card number", func(o *kit.Object) { o.Object("data", kit.Required).Money("pan", "EUR", kit.Required) }, provider.ReasonBadField, "data.pan: want"},
		{"decimal holding a card number", func(o *kit.Object) { o.Object("data", kit.Required).Decimal("pan", kit.Required) }, provider.ReasonBadField, "data.pan: want"},
		{"absent object reads empty", func(o *kit.Object) { o.Object("none", kit.Optional).Text("x", kit.Optional) }, "", ""},
		{"string holding no object", func(o *kit.Object) { o.ObjectOrString("sd", kit.Required) }, provider.ReasonBadField, "sd: want an object"},
		{"first problem wins", func(o *kit.Object) { o.Missing("first"); o.Invalid("second", "x") }, provider.ReasonMissingField, "first is missing"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o, err := kit.Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			tt.read(o)
			err = o.Err()
			if got := reason(t, err); got != tt.want {
				t.Fatalf("reason %q, want %q (%v)", got, tt.want, err)
			}
			if err == nil {
				return
			}
			var fe *kit.FieldError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.path) {
				t.Fatalf("error %q does not name %q", err, tt.path)
			}
			if strings.Contains(err.Error(), "4111") || strings.Contains(err.Error(), "5555") || strings.Contains(err.Error(), "@") || strings.Contains(err.Error(), "xxxx") {
				t.Fatalf("error %q quotes a value", err)
			}
		})
	}
}

func TestStatuses(t *testing.T) {
	upper := kit.Statuses{
		"SUCCESS":     {Type: event.TypePaymentSucceeded, Status: event.Succeeded},
		"IN_PROGRESS": {Type: event.TypePaymentPending, Status: event.Pending},
	}
	lower := kit.Statuses{"completed": {Type: event.TypePaymentSucceeded, Status: event.Succeeded}}
	for _, tt := range []struct {
		table     kit.Statuses
		in, canon string
		known     bool
	}{
		{upper, "SUCCESS", "SUCCESS", true},
		{upper, " success ", "SUCCESS", true},
		{upper, "Success", "SUCCESS", true},
		{upper, "in_progress", "IN_PROGRESS", true},
		{upper, "ſuccess", "ſUCCESS", false}, // no Unicode folding
		{upper, "refunded", "REFUNDED", false},
		{lower, "COMPLETED", "completed", true},
		{lower, "Refunded", "refunded", false},
	} {
		canon, o, known := tt.table.Lookup(tt.in)
		if canon != tt.canon || known != tt.known {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tt.in, canon, known, tt.canon, tt.known)
		}
		if !known && o != kit.Unsupported {
			t.Errorf("Lookup(%q): unknown status got %+v", tt.in, o)
		}
	}
	for _, tbl := range []kit.Statuses{upper, lower} {
		if err := tbl.Check(); err != nil {
			t.Error(err)
		}
	}
	for _, bad := range []kit.Statuses{
		{"Success": {Type: event.TypePaymentSucceeded, Status: event.Succeeded}, "FAIL": {Type: event.TypePaymentFailed, Status: event.Failed}},
		{" SUCCESS": {Type: event.TypePaymentSucceeded, Status: event.Succeeded}},
		{"SUCCESS": {Status: event.Succeeded}},
	} {
		if bad.Check() == nil {
			t.Errorf("Check accepted %v", bad)
		}
	}
}

func TestDuplicatePaths(t *testing.T) {
	for body, want := range map[string]string{
		`{"a":1,"a":2}`:                       "a: duplicate member",
		`{"d":{"x":{"y":1,"y":2}}}`:           "d.x.y: duplicate member",
		`{"d":[{"c":1},{"c":1,"c":2}]}`:       "d[].c: duplicate member",
		`{"d":{"l":[[{"k":1,"k":1}]]}}`:       "d.l[][].k: duplicate member",
		`{"d":{"x":1,"x":{"secret":"4111"}}}`: "d.x: duplicate member",
		`{"":1,"":2}`:                         ": duplicate member",
		`{"t":{"":"","":9}}`:                  "t.: duplicate member",
		`{"t":[{"":1,"":2}]}`:                 "t[].: duplicate member",
	} {
		_, err := kit.Parse([]byte(body))
		if err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("%s: %v, want ...%s", body, err, want)
		}
	}
}

func TestEscapedKeys(t *testing.T) {
	o, err := kit.Parse([]byte(`{"\u0061b":1,"é":"x","c\"d":2,"n":{"\u006b":3}}`))
	if err != nil {
		t.Fatal(err)
	}
	if o.Text("ab", kit.Required) != "1" || o.Text("é", kit.Required) != "x" || o.Text(`c"d`, kit.Required) != "2" ||
		o.Object("n", kit.Required).Text("k", kit.Required) != "3" {
		t.Fatalf("escaped keys not found: %v %v", o.Keys(), o.Err())
	}
}

// A reference is bounded later, never refused for its length, but one that cannot be read
// without loss (invalid UTF-8, a lone surrogate) is: it would merge with another.
func TestRefLengthIsNotRefusedLossIs(t *testing.T) {
	for body, want := range map[string]provider.Reason{
		`{"r":"` + strings.Repeat("7", 2100) + `"}`: "",
		"{\"r\":\"a\xffb\"}":                        provider.ReasonBadField,
		`{"r":"t\udc00"}`:                           provider.ReasonBadField,
	} {
		o, err := kit.Parse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		r := o.Ref("r", kit.Required)
		var got provider.Reason
		if rej, ok := provider.AsRejection(o.Err()); ok {
			got = rej.Reason
		}
		if got != want || want == "" && len(r) != 2100 {
			t.Errorf("%.20q: %q %v, want %q", body, got, o.Err(), want)
		}
	}
}
