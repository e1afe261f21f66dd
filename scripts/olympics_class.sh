#!/usr/bin/env bash
# The course-sized Olympics run: 300 students x 5 submissions (every third forged) drained by one
# and then two verification workers, printing each drain time. Minutes long: run it once on an
# otherwise idle machine (timings taken beside other work mean nothing).
#   scripts/olympics_class.sh [BUILD_DIR] [STUDENTS] [SUBMISSIONS]
set -euo pipefail
build=${1:-build}
students=${2:-300}
per_student=${3:-5}
here=$(cd "$(dirname "$0")/.." && pwd)
for workers in 1 2; do
  "$here/tests/integration/olympics_class_test.sh" "$build/bin/tinyperf" \
    "$build/olympics_class_$workers" "$students" "$per_student" "$workers"
done
