package storetest

import (
	"github.com/clientele/clientele/auth"
	"github.com/clientele/clientele/store"
)

var refreshDeleteTests = []test{
	{"Refresh/DeleteRefreshTokensOf", func(e *env) {
		rs := e.refreshStore()
		d, ok := rs.(auth.RefreshTokenDeleter)
		if !ok {
			e.t.Skip("the refresh-token store implements no auth.RefreshTokenDeleter (optional)")
		}
		t0 := now()
		for _, rt := range []*auth.RefreshToken{
			newRefresh("clrt_1", "fam_1", "authid_a", "h1", t0), newRefresh("clrt_2", "fam_2", "authid_a", "h2", t0),
			newRefresh("clrt_3", "fam_3", "authid_b", "h3", t0),
		} {
			e.must(rs.InsertRefreshToken(e.ctx, rt))
		}
		e.must(rs.RevokeRefreshFamily(e.ctx, "fam_2", t0))
		e.must(d.DeleteRefreshTokensOf(e.ctx, "authid_a"))
		for _, h := range []string{"h1", "h2"} {
			_, err := rs.UseRefreshToken(e.ctx, h, t0)
			e.wantErr(err, store.ErrNotFound)
		}
		_, err := rs.UseRefreshToken(e.ctx, "h3", t0)
		e.must(err)
		e.must(d.DeleteRefreshTokensOf(e.ctx, "authid_none"))
	}},
}
