package throttle

import "context"

// MFA begins an attempt at an MFA code of the auth identity authIdentityID
// (a challenge verification, a factor verification, a code that disables
// a factor), checking the MFA rule before the code is: an identity locked
// by earlier failures is refused (*LimitError) whatever the code, so that
// guesses spread over many logins and challenges are counted together.
// The attempt is reserved, as Login's is: report Fail, Succeed (an
// accepted code clears the count) or Cancel. An empty id is not
// throttled.
func (l *Limiter) MFA(ctx context.Context, authIdentityID string) (*Attempt, error) {
	if l == nil || authIdentityID == "" || l.rules[ruleMFA].off() {
		return nil, nil
	}
	key := l.key(ruleMFA, authIdentityID)
	at, _, err := l.try(ctx, []string{ruleMFA}, []string{key})
	if err != nil {
		return nil, err
	}
	return &Attempt{l: l, key: key, at: at}, nil
}
