# serve_on <HOST:PORT> [SERVE OPTIONS...]: starts `tinyperf serve` on $db, waits (at most 60 s)
# for its "listening on" line, and sets server_pid and port. Sourced by the server's shell tests after setting
# $tinyperf, $db and $dir (scratch directory); the caller's EXIT trap kills $server_pid.
serve_on() {
  "$tinyperf" serve --db "$db" --listen "$@" >"$dir/serve.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 600); do
    grep -q "listening on" "$dir/serve.log" && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$dir/serve.log")
  if [[ -z "$port" ]]; then echo "FAIL: serve did not start"; cat "$dir/serve.log"; exit 1; fi
}
