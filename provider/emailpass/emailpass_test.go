package emailpass_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/clientele/clientele/provider/emailpass"
	"github.com/clientele/clientele/store"
)

func TestCheckUpdate(t *testing.T) {
	p := emailpass.New()
	for _, tc := range []struct {
		data map[string]any
		want string // "" for no error
	}{
		{map[string]any{"entity_id": "a@b.co", "password": "new password"}, ""},
		{map[string]any{"entity_id": "a@b.co", "password": "new password", "current_password": "old password"}, ""},
		{map[string]any{"entity_id": "a@b.co", "password": "new password", "current_password": ""}, ""},
		{map[string]any{"password": "new password"}, "entity_id"},
		{map[string]any{"entity_id": "a@b.co"}, "Password should be a string"},
		{map[string]any{"entity_id": "a@b.co", "password": 12}, "Password should be a string"},
		// A current password that is not a string is a malformed request,
		// not a wrong password.
		{map[string]any{"entity_id": "a@b.co", "password": "new password", "current_password": nil}, "Password should be a string"},
		{map[string]any{"entity_id": "a@b.co", "password": "new password", "current_password": 12.5}, "Password should be a string"},
	} {
		err := p.CheckUpdate(tc.data)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckUpdate(%v) = %v", tc.data, err)
		case tc.want != "" && (err == nil || !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckUpdate(%v) = %v, want an invalid-data error saying %q", tc.data, err, tc.want)
		}
	}
}
