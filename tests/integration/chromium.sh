# Headless Chromium for the HTML tests, sourced after defining fail(): the browser's path, the DOM
# of a page after its scripts ran, and a screenshot.
#   chromium_dom FILE DOM_OUT LOG    fails (through fail) when Chromium exits non-zero or the
#                                    page logs an error or fails to load a resource
#   chromium_screenshot FILE PNG [WIDTH,HEIGHT]
browser=$(command -v chromium || command -v chromium-browser || true)

chromium_dom() {
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 \
    --dump-dom "file://$(realpath "$1")" >"$2" 2>"$3"
  local status=$?
  [[ $status -eq 0 ]] || { fail "chromium exited $status"; tail -20 "$3"; }
  if grep -E "CONSOLE|Uncaught|Failed to load resource" "$3"; then
    fail "the page logged errors"
  fi
}

chromium_screenshot() {
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --window-size="${3:-1280,1600}" \
    --screenshot="$2" "file://$(realpath "$1")" >/dev/null 2>&1 ||
    fail "chromium --screenshot exited $?"
  [[ -s "$2" ]] || fail "no screenshot $2"
}
