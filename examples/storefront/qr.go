package storefront

import (
	"bytes"
	"image/png"
	"io"
	"net/http"
	"strings"

	"github.com/pquerna/otp"
)

// maxQRBody bounds the otpauth URL of a QR request.
const maxQRBody = 2048

// serveQR answers POST {prefix}qr, whose body is the otpauth:// URL of a
// factor being enrolled (POST /auth/mfa/factors answers it), with the QR
// code an authenticator app scans, as a PNG. The URL travels in the body,
// never in a URL that logs and history keep, and the answer is not
// cached. The QR code is drawn by github.com/pquerna/otp (through
// boombuler/barcode), which clientele uses for TOTP already.
func serveQR(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxQRBody))
	if err != nil {
		http.Error(w, "The QR code's text is too long.", http.StatusRequestEntityTooLarge)
		return
	}
	raw := strings.TrimSpace(string(body))
	if !strings.HasPrefix(raw, "otpauth://totp/") {
		http.Error(w, "Only otpauth://totp/ URLs are drawn.", http.StatusBadRequest)
		return
	}
	key, err := otp.NewKeyFromURL(raw)
	if err != nil || key.Secret() == "" {
		http.Error(w, "The otpauth URL is not valid.", http.StatusBadRequest)
		return
	}
	img, err := key.Image(240, 240)
	if err != nil {
		http.Error(w, "The QR code could not be drawn.", http.StatusBadRequest)
		return
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		http.Error(w, "The QR code could not be drawn.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(buf.Bytes())
}
