#!/usr/bin/env bash
# The hostile sweep (issue 23): every case of tests/data/hostile/cases.tsv — a malformed, forged or
# injecting input — fed to the tinyperf command the case names. Per case, checked here once for all:
# the exit status (2 bad input, 1 only where it means a finding: an invalid submission, a
# regression, a rejected board entry, 0 for a valid input that carries a hostile name), no crash
# and no hang (every command under `timeout`), an error that names the file and the field, and
# output — the terminal's and every Markdown, text or HTML file written — free of raw control
# characters and forged rows (a payload's marker FORGED at the start of a line or table row), and
# no raw <script> in a Markdown or HTML file.
#   hostile_sweep_cli_test.sh <tinyperf> <scratch dir> <source dir>
# cases.tsv, one case a line, tab-separated:
#   name  fixture  find  replace  path  exit  expect  command
# The input is `fixture` (results, submission, bench: the files of tests/data/cli and report; "-"
# for none) with the first `find` replaced by `replace`, or `replace` alone when find is "-";
# `replace` takes printf %b escapes (\n, \x1b) and @rep(N,TEXT) for TEXT N times. It is written to
# <case dir>/<path> (@name: the case's name). `expect` must appear in the output ("-": nothing
# more than the file's name; "usage: TEXT": TEXT, and the error is about the command line, so no
# file need be named); `command` is tinyperf's arguments, with @file, @case (the case's
# directory), @out (an empty output directory), @db (an initialised SQLite database) and @good
# (an unchanged results.json).
set -uo pipefail
tinyperf=$1
dir=$2
src=$3
rm -rf "$dir" && mkdir -p "$dir"
declare -A fixtures=([results]=$src/tests/data/cli/results_one_contract.json
                     [submission]=$src/tests/data/cli/submission_latency_sprint.json
                     [bench]=$src/tests/data/report/matmul_bench_sample.json)
db="sqlite:$dir/perf.db"
"$tinyperf" db init --db "$db" >/dev/null || { echo "FAIL: db init"; exit 1; }
cp "${fixtures[results]}" "$dir/good.json"
printf -v esc '\033'
failures=0 cases=0
fail() { echo "FAIL: $name: $*"; failures=$((failures + 1)); }

expand_repeats() {  # @rep(N,TEXT) -> TEXT N times
  local s=$1 n text rep
  while [[ $s =~ @rep\(([0-9]+),([^\)]*)\) ]]; do
    n=${BASH_REMATCH[1]} text=${BASH_REMATCH[2]} rep=
    printf -v rep '%*s' "$n" ''
    rep=${rep// /$text}
    s=${s/"${BASH_REMATCH[0]}"/$rep}
  done
  printf '%s' "$s"
}

while IFS=$'\t' read -r name fixture find replace path want expect command; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  cases=$((cases + 1))
  case_dir=$dir/cases/$name out=$dir/out/$name
  mkdir -p "$case_dir" "$out"
  file=$case_dir/${path//@name/$name}
  mkdir -p "$(dirname "$file")"
  replace=$(expand_repeats "$replace")
  if [[ "$fixture" == - ]]; then
    printf '%b' "$replace" >"$file"
  else
    content=$(<"${fixtures[$fixture]}")
    [[ "$content" == *"$find"* ]] || { fail "fixture $fixture lacks '$find'"; continue; }
    printf -v replace '%b' "$replace"
    printf '%s' "${content/"$find"/"$replace"}" >"$file"
  fi
  command=${command//@file/$file}
  command=${command//@case/$case_dir}
  command=${command//@out/$out}
  command=${command//@db/$db}
  command=${command//@good/$dir/good.json}
  read -ra args <<<"$command"
  timeout 60 "$tinyperf" "${args[@]}" >"$dir/stdout.txt" 2>"$dir/stderr.txt"
  got=$?
  cat "$dir/stdout.txt" "$dir/stderr.txt" >"$dir/all.txt"
  if [[ $got -ne $want ]]; then
    fail "exit $got, expected $want ($( ((got == 124)) && echo hang || ((got > 128)) && echo crash))"
    head -c 2000 "$dir/all.txt"
    continue
  fi
  # An error names the file (a usage error is about the command line instead); so does a finding
  # about the file (exit 1 with an expected text: an invalid submission).
  if [[ $got -eq 2 || ($got -eq 1 && "$expect" != -) ]] && [[ "$expect" != usage:* ]] && ! grep -qF -- "$(basename "$file")" "$dir/all.txt"; then
    fail "the error does not name the file $(basename "$file")"; head -c 2000 "$dir/all.txt"
  fi
  expect=${expect#usage: }
  if [[ "$expect" != - ]] && ! grep -qF -- "$expect" "$dir/all.txt"; then
    fail "the output lacks '$expect'"; head -c 2000 "$dir/all.txt"
  fi
  # What reached the terminal or a Markdown, text or HTML file: no raw control character but
  # newline and tab, no forged line. HTML and Markdown files: no raw <script>.
  for f in "$dir/all.txt" $(find "$out" -type f \( -name '*.md' -o -name '*.txt' -o -name '*.html' \)); do
    if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$f"; then
      fail "a raw control character in $(basename "$f")"
    fi
    if grep -qE '^(\| *)?FORGED' "$f"; then fail "a forged line in $(basename "$f")"; fi
  done
  for f in $(find "$out" -type f \( -name '*.md' -o -name '*.html' \)); do
    if grep -qiF '<script>alert' "$f"; then fail "raw <script> in $(basename "$f")"; fi
  done
done <"$src/tests/data/hostile/cases.tsv"

echo "$cases cases, $failures failure(s)"
[[ $cases -ge 100 && $failures -eq 0 ]]
