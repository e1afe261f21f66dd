# Headless Chromium for the HTML tests (report_html_test.sh, dashboard_html_test.sh), in one place.
# Sourced after the test has defined fail(); sets chromium_bin ("" when Chromium is not installed)
# and defines:
#   chromium_dom HTML DOM_OUT LOG   load HTML, write the DOM as built after loading (what a
#                                   reader's browser shows) to DOM_OUT and the browser's log to
#                                   LOG; fail() when the browser fails or the page logs an error
#   chromium_screenshot HTML PNG [WIDTH,HEIGHT]   (1280,1600 when omitted)
chromium_bin=$(command -v chromium || command -v chromium-browser || true)

chromium_dom() {
  local html=$1 dom=$2 log=$3 status
  timeout 120 "$chromium_bin" --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 \
    --dump-dom "file://$(realpath "$html")" >"$dom" 2>"$log"
  status=$?
  [[ $status -eq 0 ]] || { fail "chromium exited $status"; tail -20 "$log"; }
  if grep -E "CONSOLE|Uncaught|Failed to load resource" "$log"; then
    fail "the page logged errors"
  fi
}

chromium_screenshot() {
  local html=$1 png=$2 size=${3:-1280,1600}
  timeout 120 "$chromium_bin" --headless --no-sandbox --disable-gpu --window-size="$size" \
    --screenshot="$png" "file://$(realpath "$html")" >/dev/null 2>&1 ||
    fail "chromium --screenshot exited $?"
  [[ -s "$png" ]] || fail "no screenshot $png"
}
