# The checks the command-line tests share; sourced after setting $dir (scratch directory) and
# failures=0. A failed check prints the command's output and counts, so one run shows them all.
expect() {  # expect <exit code> <description> <command...>
  local want=$1 what=$2
  shift 2
  "$@" >"$dir/out.txt" 2>&1
  local got=$?
  if [[ $got -ne $want ]]; then
    echo "FAIL: $what: exit $got, expected $want"; cat "$dir/out.txt"; failures=$((failures + 1))
  else
    echo "ok: $what (exit $got)"
  fi
}
contains() {  # contains <text> — in the last command's output
  if ! grep -qF -- "$1" "$dir/out.txt"; then
    echo "FAIL: output lacks '$1'"; cat "$dir/out.txt"; failures=$((failures + 1))
  fi
}
